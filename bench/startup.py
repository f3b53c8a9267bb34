"""Start-up of `clearlive scan` on one event, against `python -c pass`, measured in the same run.

    python bench/startup.py [--runs 5] [--importtime]

Runs each command `--runs` times as a whole process, interleaved so that both see the same load,
and prints the median wall time and CPU time (user + system) of each, their ratio, and the
difference (what ClearLive itself costs). The one event is a Chinese host line that two rules
flag, so the scan does real work (rules, the bundled claims classifier, findings on stdout).

The first run of a checkout fills the start-up cache (clearlive.cache: parsed YAML and the
normalisation tables, in ~/.cache/clearlive); it is made before timing and not counted, as a user
pays it once. Byte-compiled modules are written too (a wheel install compiles them; a checkout
with PYTHONDONTWRITEBYTECODE=1 would recompile every module each run), so the environment of
the timed runs drops PYTHONDONTWRITEBYTECODE. Figures vary with the machine's load: on a busy
machine compare the CPU time and the ratio, not the wall time.

`--importtime` also prints the 15 slowest imports of one run (python -X importtime, self time).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EVENT = {"type": "utterance", "room_id": "r1", "ts": 1_700_000_000_000, "speaker": "host", "text": "全网最低价"}


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.jsonl"
        one.write_text(json.dumps(EVENT, ensure_ascii=False) + "\n", encoding="utf-8")
        scan = [sys.executable, "-m", "clearlive", "scan", str(one), "--rejects", str(Path(tmp) / "r.jsonl")]
        bare = [sys.executable, "-c", "pass"]
        run(scan, env)  # fills the start-up cache and writes byte code: not timed
        times: dict[str, list[tuple[float, float]]] = {"python -c pass": [], "clearlive scan (1 event)": []}
        for _ in range(args.runs):
            times["python -c pass"].append(run(bare, env))
            times["clearlive scan (1 event)"].append(run(scan, env))
        if args.importtime:
            proc = subprocess.run([*scan[:1], "-X", "importtime", *scan[1:]], env=env, capture_output=True)
            rows = []
            for line in proc.stderr.decode().splitlines():
                parts = line.removeprefix("import time:").split("|")
                if len(parts) == 3 and parts[0].strip().isdigit():  # not the header line
                    rows.append((int(parts[0]), parts[2].strip()))
            print("slowest imports (self time, ms):")
            for us, name in sorted(rows, reverse=True)[:15]:
                print(f"  {us / 1000:7.1f}  {name}")

    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in times.items()}
    load = os.getloadavg()[0]
    print(f"{'':28} {'wall s':>8} {'CPU s':>8}   (median of {args.runs}, {os.cpu_count()} cores, load {load:.1f})")
    for name, (wall, cpu) in med.items():
        print(f"{name:28} {wall:8.3f} {cpu:8.3f}")
    (bw, bc), (sw, sc) = med["python -c pass"], med["clearlive scan (1 event)"]
    print(f"{'ratio scan / bare':28} {sw / bw:8.1f} {sc / max(bc, 1e-3):8.1f}")
    print(f"{'scan minus bare':28} {sw - bw:8.3f} {sc - bc:8.3f}   (the aim: a one-event scan under 0.6 s)")


if __name__ == "__main__":
    main()
