"""Scale: many rooms with an hour of 1 Hz room statistics and their chat, on all cores.

    python bench/scale.py [--rooms 10000] [--seconds 3600] [--chat-every 5] [--workers 2]

Rooms are sharded over worker processes by a stable hash of room_id (CRC32), as the live service
will shard them. Each worker generates its rooms' events (room_stats every second, an enter per
newcomer with --enters, a comment every `--chat-every` seconds on average from a pool of 50 viewers) and runs
them through the same Scanner the CLI uses, with every default detector. Events are built in
memory (no JSON decoding), so this measures the detectors and bookkeeping, not the reader.
Prints wall time, events per second and the peak resident memory of the largest worker, and the
same for a 10% slice run first as the baseline of this run.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor

from clearlive.demo import scripts
from clearlive.model.events import Comment, Enter, RoomStats
from clearlive.watch.scan.scanner import ScanConfig, Scanner

T0 = 1_793_534_400_000
LINES = [*scripts.HONEST_ZH_CHAT, *scripts.BAD_ZH_CHAT, *scripts.HONEST_EN_CHAT]


def room_events(room_id: str, seconds: int, chat_every: float, enters: bool, rng: random.Random):  # type: ignore[no-untyped-def]
    online = rng.randint(50, 5000)
    viewers = [f"{room_id}-u{k}" for k in range(50)]
    next_chat = rng.expovariate(1 / chat_every)
    for s in range(seconds):
        ts = T0 + s * 1000
        arrivals = max(0, int(rng.gauss(online * 0.001, 1)))
        online = max(1, online + arrivals - int(online * 0.001))
        if enters:
            for k in range(arrivals):
                yield Enter(room_id=room_id, ts=ts, user_id=f"{room_id}-n{s}-{k}")
        yield RoomStats(room_id=room_id, ts=ts, online=online, likes_total=s * 3)
        while next_chat < s + 1:
            yield Comment(
                room_id=room_id, ts=T0 + int(next_chat * 1000), user_id=rng.choice(viewers), text=rng.choice(LINES)
            )
            next_chat += rng.expovariate(1 / chat_every)


def worker(args: tuple[int, int, int, int, float, bool]) -> tuple[int, int, float, int]:
    shard, workers, rooms, seconds, chat_every, enters = args
    scanner = Scanner.from_config(ScanConfig())
    events = findings = 0
    started = time.perf_counter()
    for r in range(rooms):
        room_id = f"room-{r}"
        if zlib.crc32(room_id.encode()) % workers != shard:
            continue
        rng = random.Random(r)
        for ev in room_events(room_id, seconds, chat_every, enters, rng):
            events += 1
            findings += len(scanner.process(ev))
    findings += len(scanner.finish())
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return events, findings, time.perf_counter() - started, peak_kib


def run(rooms: int, seconds: int, chat_every: float, workers: int, enters: bool) -> tuple[int, int, float, int]:
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs = [(k, workers, rooms, seconds, chat_every, enters) for k in range(workers)]
        results = list(pool.map(worker, jobs))
    wall = time.perf_counter() - started
    return sum(r[0] for r in results), sum(r[1] for r in results), wall, max(r[3] for r in results)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rooms", type=int, default=10_000)
    ap.add_argument("--seconds", type=int, default=3600)
    ap.add_argument("--chat-every", type=float, default=5.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--enters", action="store_true", help="also an enter event per newcomer (many more events)")
    args = ap.parse_args()
    for label, rooms in (("baseline (10% of the rooms)", max(1, args.rooms // 10)), ("full", args.rooms)):
        events, findings, wall, peak = run(rooms, args.seconds, args.chat_every, args.workers, args.enters)
        print(
            f"{label}: {rooms} rooms x {args.seconds} s, {events:,} events, {findings} findings, "
            f"{wall:.1f} s wall on {args.workers} workers ({events / wall:,.0f} events/s), "
            f"peak RSS per worker {peak / 1024:.0f} MiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
