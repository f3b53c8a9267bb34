"""Throughput and memory of the audio path, as ratios to real time measured in this process.

    python bench/audio_speed.py [--seconds 60]

Workload: a recording of about `--seconds` seconds made of the committed speech clips (real
Mandarin and English speech and an espeak-ng clip, tests/data/audio), decoded from their files.
Measured, each against the audio's own duration (real time, the baseline a live room sets):
decoding with PyAV; transcription of the whole file and in 15-second windows, with CTranslate2
on 1 thread and on 2 threads; a live room fed 5-second chunks (StreamTranscriber, 15-second
windows). Real-time factor (RTF) = processing time / audio time; RTF per core = RTF x threads;
live rooms one machine can follow = cores / (RTF per core) (windowed, 1 thread per room).
Peak resident memory of the process is printed at the end (the model is loaded once per
thread setting, so it counts twice).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

from clearlive.watch.audio.asr import AsrOptions, StreamTranscriber, transcribe
from clearlive.watch.audio.decode import SAMPLE_RATE, decode
from clearlive.watch.audio.model import load_model

CLIPS = Path(__file__).resolve().parent.parent / "tests" / "data" / "audio"
SOURCES = [
    CLIPS / "real" / "librispeech-1995-1837-0001.wav",
    CLIPS / "en-efficacy.mp3",
    CLIPS / "real" / "aishell-BAC009S0724W0121.wav",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()

    t = time.perf_counter()
    pieces = []
    total = 0.0
    while total < args.seconds:
        for path in SOURCES:
            samples = decode(path).samples
            pieces += [samples, np.zeros(SAMPLE_RATE // 2, dtype=np.float32)]
            total += len(samples) / SAMPLE_RATE + 0.5
    decode_s = time.perf_counter() - t
    audio = np.concatenate(pieces)
    seconds = len(audio) / SAMPLE_RATE
    print(f"audio: {seconds:.1f} s; decoding: RTF {decode_s / seconds:.4f}")
    rows = []
    for threads in (1, 2):
        t = time.perf_counter()
        model = load_model(threads=threads)
        load_s = time.perf_counter() - t
        for label, opts in (
            ("whole file", AsrOptions(lang="mixed")),
            ("15 s windows", AsrOptions(lang="mixed", window_s=15.0, overlap_s=5.0)),
        ):
            t = time.perf_counter()
            transcribe(model, audio, opts)
            rtf = (time.perf_counter() - t) / seconds
            rows.append((label, threads, rtf))
        stream = StreamTranscriber(model, AsrOptions(lang="mixed", window_s=15.0, overlap_s=5.0))
        chunk = 5 * SAMPLE_RATE
        t = time.perf_counter()
        worst = 0.0
        for i in range(0, len(audio), chunk):
            c0 = time.perf_counter()
            stream.feed(audio[i : i + chunk], final=i + chunk >= len(audio))
            worst = max(worst, time.perf_counter() - c0)
        rtf = (time.perf_counter() - t) / seconds
        rows.append((f"live, 5 s chunks (slowest chunk {worst:.1f} s)", threads, rtf))
        print(f"model load ({threads} thread(s)): {load_s:.2f} s")
    cores = os.cpu_count() or 1
    print(f"{'mode':<44} {'threads':>7} {'RTF':>7} {'RTF/core':>9}")
    for label, threads, rtf in rows:
        print(f"{label:<44} {threads:>7} {rtf:>7.3f} {rtf * threads:>9.3f}")
    per_core = next(rtf for label, threads, rtf in rows if label.startswith("live") and threads == 1)
    print(f"live rooms one {cores}-core machine can follow (1 thread each): {cores / per_core:.1f}")
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
