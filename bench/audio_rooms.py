"""How many live rooms one machine can follow: N rooms transcribed at once, measured, not divided.

    python bench/audio_rooms.py [--rooms 1,2,3,4,6] [--seconds 90]
    python bench/audio_rooms.py --paced [--rooms 2,4,6,8] [--lang mixed]

Each room is a separate process (as separate API processes or machines would run them) with its
own model on one CTranslate2 thread, fed the same recording (the committed speech clips, about
`--seconds` long) in 5-second chunks into 15-second windows, as `POST /api/v1/rooms/{room}/audio`
and a followed stream URL do. The rooms run as fast as they can, all at once: they keep up with
live audio when every room's transcription took less wall time than the recording lasts
(wall RTF < 1, the baseline: real time). Printed per N: the slowest room's wall RTF, the mean CPU
seconds per second of audio, and the peak resident memory of one room's process. A room that
keeps up at full speed also keeps up when its audio arrives at real-time pace; the reverse test
(pacing) would take `--seconds` per N and say the same.

`--paced` feeds each room its audio in real time instead (a 5-second chunk every 5 seconds, as a
live room sends it) and measures how far behind each room's transcription is when each chunk has
been transcribed (lag = when the chunk's transcription finished - when its last sample was said).
A room keeps up when its lag does not grow: the lag over the last third of the recording is at most
the lag over the first third plus one chunk (5 s), and no chunk waited more than a window (15 s).
N grows until the rooms fall behind. Printed per N: the worst lag of any room, the worst lag over
the last third and the first, CPU seconds per second of audio, peak resident memory of one room's
process, and the load average when the rooms started (other work on the machine).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from audio_speed import SOURCES

from clearlive.watch.audio.asr import AsrOptions, StreamTranscriber
from clearlive.watch.audio.decode import SAMPLE_RATE, decode
from clearlive.watch.audio.model import load_model


def recording(seconds: float) -> np.ndarray:
    pieces, total = [], 0.0
    while total < seconds:
        for path in SOURCES:
            samples = decode(path).samples
            pieces += [samples, np.zeros(SAMPLE_RATE // 2, dtype=np.float32)]
            total += len(samples) / SAMPLE_RATE + 0.5
    return np.concatenate(pieces)


def room(audio: np.ndarray, start: mp.Event, out: mp.Queue) -> None:  # type: ignore[type-arg]
    model = load_model(threads=1)
    stream = StreamTranscriber(model, AsrOptions(lang="mixed", window_s=15.0, overlap_s=5.0))
    start.wait()
    wall, cpu = time.perf_counter(), time.process_time()
    chunk = 5 * SAMPLE_RATE
    for i in range(0, len(audio), chunk):
        stream.feed(audio[i : i + chunk], final=i + chunk >= len(audio))
    out.put(
        (
            time.perf_counter() - wall,
            time.process_time() - cpu,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        )
    )


CHUNK_S = 5


def paced_room(audio: np.ndarray, lang: str, start: mp.Event, out: mp.Queue) -> None:  # type: ignore[type-arg]
    model = load_model(threads=1)
    stream = StreamTranscriber(model, AsrOptions(lang=lang, window_s=15.0, overlap_s=5.0))
    start.wait()
    t0, cpu = time.perf_counter(), time.process_time()
    chunk = CHUNK_S * SAMPLE_RATE
    lags = []
    for k, i in enumerate(range(0, len(audio), chunk)):
        piece = audio[i : i + chunk]
        said = t0 + (i + len(piece)) / SAMPLE_RATE  # when its last sample was said
        wait = said - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        stream.feed(piece, final=i + chunk >= len(audio))
        lags.append((k, time.perf_counter() - said))
    out.put((lags, time.process_time() - cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def paced(audio: np.ndarray, rooms: list[int], lang: str) -> None:
    seconds = len(audio) / SAMPLE_RATE
    ctx = mp.get_context("spawn")
    print(f"paced, --lang {lang}: {seconds:.1f} s of audio per room, fed in {CHUNK_S} s chunks in real time")
    print(
        f"{'rooms':>5} {'load':>5} {'worst lag s':>12} {'lag last third':>15} {'lag first third':>16} "
        f"{'CPU s per audio s':>18} {'peak MB/room':>13} {'keeps up':>9}"
    )
    for n in rooms:
        start, out = ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=paced_room, args=(audio, lang, start, out)) for _ in range(n)]
        for p in procs:
            p.start()
        time.sleep(8.0 + n)  # every room has loaded its model before the clock starts
        load = os.getloadavg()[0]
        start.set()
        results = [out.get() for _ in procs]
        for p in procs:
            p.join()
        chunks = max(k for k, _ in results[0][0]) + 1
        first = [lag for lags, _, _ in results for k, lag in lags if k < chunks / 3]
        last = [lag for lags, _, _ in results for k, lag in lags if k >= chunks * 2 / 3]
        worst = max(lag for lags, _, _ in results for _, lag in lags)
        cpu = sum(c for _, c, _ in results) / len(results) / seconds
        peak = max(m for _, _, m in results)
        keeps = max(last) <= max(first) + CHUNK_S and worst <= 15.0
        print(
            f"{n:>5} {load:>5.1f} {worst:>12.1f} {max(last):>15.1f} {max(first):>16.1f} "
            f"{cpu:>18.3f} {peak:>13.0f} {'yes' if keeps else 'no':>9}",
            flush=True,
        )
        if not keeps:
            break  # more rooms fall further behind: the machine's capacity is the N before this one


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rooms", default="1,2,3,4,6")
    ap.add_argument("--seconds", type=float, default=90.0)
    ap.add_argument("--paced", action="store_true", help="feed each room in real time and measure its lag")
    ap.add_argument("--lang", default="mixed", help="the rooms' language (--paced): zh, en or mixed")
    args = ap.parse_args()
    audio = recording(args.seconds)
    seconds = len(audio) / SAMPLE_RATE
    if args.paced:
        print(f"cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}")
        paced(audio, [int(x) for x in args.rooms.split(",")], args.lang)
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        return 0
    ctx = mp.get_context("spawn")
    print(f"recording: {seconds:.1f} s; cores: {os.cpu_count()}; load average at start: {os.getloadavg()[0]:.1f}")
    print(f"{'rooms':>5} {'slowest wall RTF':>17} {'CPU s per audio s':>18} {'peak MB/room':>13} {'keeps up':>9}")
    for n in (int(x) for x in args.rooms.split(",")):
        start, out = ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=room, args=(audio, start, out)) for _ in range(n)]
        for p in procs:
            p.start()
        time.sleep(8.0)  # every room has loaded its model before the clock starts
        start.set()
        results = [out.get() for _ in procs]
        for p in procs:
            p.join()
        slowest = max(wall for wall, _, _ in results) / seconds
        cpu = sum(c for _, c, _ in results) / len(results) / seconds
        peak = max(m for _, _, m in results)
        print(f"{n:>5} {slowest:>17.3f} {cpu:>18.3f} {peak:>13.0f} {'yes' if slowest < 1 else 'no':>9}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
