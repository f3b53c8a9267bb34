"""A bounded soak test of the live service on loopback: a fixed rate for a fixed time, then check that
nothing was lost and that the server's memory stayed flat.

    python bench/soak.py [--seconds 120] [--rate 5000] [--rooms 200] [--mode embedded|redis]

Starts `clearlive serve` (embedded: DuckDB and one worker thread; redis: Redis Streams, 2 worker
processes, PostgreSQL in a fresh database dropped afterwards), sends `--rate` events a second
for `--seconds` (chat over `--rooms` rooms, every 50th line a violation), samples the resident
memory of the server and its worker processes every second, and prints: events sent and accepted,
findings stored and expected (the same events scanned in this process afterwards), and the memory
at each tenth of the run. Exit status 1 if a finding is missing, the memory grew by more than 25%
over the second half of the run, or the service could not take the rate asked (below 95% of it:
the client waits for each answer, so a slow service slows the soak).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from service import CLI, PG_ADMIN, REDIS_URL, _wait_up, make_batch

SHARDS = 4


def rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants (the service's worker processes)."""
    total = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(rss_mib(int(c)) for c in children)


def main() -> int:
    import random
    import subprocess

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--rate", type=float, default=5000)
    ap.add_argument("--rooms", type=int, default=200)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--mode", choices=["embedded", "redis"], default="embedded")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="clearlive-soak-"))
    db = str(work / "svc.duckdb")
    extra: list[str] = []
    db_name = None
    if args.mode == "redis":
        import psycopg
        import redis

        db_name = f"clearlive_soak_{random.randrange(10**9)}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{db_name}"')
        redis.Redis.from_url(REDIS_URL).flushdb()
        db = PG_ADMIN.rsplit("/", 1)[0] + "/" + db_name
        extra = ["--redis", REDIS_URL, "--workers", "2", "--shards", str(SHARDS)]
    port = 19_000 + random.randrange(1000)
    log = (work / "serve.log").open("w")
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--db", db, *extra], cwd=work, stdout=log, stderr=log
    )
    try:
        key = subprocess.run(
            [*CLI, "keys", "create", "--role", "admin", "--tenant", "soak", "--db", db],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        _wait_up(base)
        headers = {"Authorization": f"Bearer {key}"}
        samples: list[tuple[float, float]] = []
        stop = threading.Event()

        def sample() -> None:
            t0 = time.monotonic()
            while not stop.is_set():
                samples.append((time.monotonic() - t0, rss_mib(server.pid)))
                time.sleep(1)

        threading.Thread(target=sample, daemon=True).start()
        rng, counter, sent, accepted = random.Random(1), [0], 0, 0
        all_rows: list[dict] = []
        interval = args.batch / args.rate
        next_at = start = time.monotonic()
        deadline = next_at + args.seconds
        answers: list[tuple[float, float]] = []  # (when asked, seconds to the answer) per request
        with httpx.Client(headers=headers, timeout=60) as http:
            while time.monotonic() < deadline:
                rows, _ = make_batch(rng, args.rooms, args.batch, counter)
                all_rows.extend(rows)
                body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
                asked = time.monotonic()
                while (r := http.post(f"{base}/api/v1/events", content=body)).status_code == 503:
                    time.sleep(0.2)  # not accepted: the same events go again
                r.raise_for_status()
                answers.append((asked - start, time.monotonic() - asked))
                sent += len(rows)
                accepted += r.json()["accepted"]
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))
            while http.get(f"{base}/api/v1/health").json().get("queue_lag"):
                time.sleep(0.2)
            stored = sum(room["findings"] for room in http.get(f"{base}/api/v1/rooms").json())
        stop.set()
        import msgspec

        from clearlive.model.events import Event
        from clearlive.serve.embedded import TenantScanners

        events = [msgspec.convert(r, Event) for r in all_rows]
        # one scanner for the tenant: the Redis workers' room and tenant lanes together report the same
        expected = len(TenantScanners().process("soak", events))
        n = len(samples)
        points = {q: samples[min(n - 1, int(q * n))][1] for q in (0.25, 0.5, 0.75)} | {1.0: samples[-1][1]}
        growth = (points[1.0] - points[0.5]) / points[0.5]
        achieved = sent / args.seconds
        print(f"{args.mode}: {args.seconds:g} s at {args.rate:,.0f} events/s over {args.rooms} rooms")
        print(f"rate achieved: {achieved:,.0f} events/s ({100 * achieved / args.rate:.0f}% of the rate asked)")
        print(f"events sent {sent:,}, accepted {accepted:,}; findings stored {stored:,}, expected {expected:,}")
        print(
            "server (and workers) RSS MiB at 25/50/75/100% of the run: "
            + " / ".join(f"{v:.0f}" for v in points.values())
        )
        deciles = [samples[min(n - 1, int(q * n / 10))][1] for q in range(1, 11)]
        print("RSS MiB at each tenth of the run: " + " ".join(f"{v:.0f}" for v in deciles))
        tenths = [
            [d for t, d in answers if k * args.seconds / 10 <= t < (k + 1) * args.seconds / 10] for k in range(10)
        ]
        print(
            "events/s in each tenth: " + " ".join(f"{len(x) * args.batch / (args.seconds / 10):,.0f}" for x in tenths)
        )
        print(
            "median answer ms in each tenth: "
            + " ".join(f"{1000 * sorted(x)[len(x) // 2]:.0f}" if x else "-" for x in tenths)
        )
        print(f"growth over the second half: {100 * growth:+.1f}%")
        ok = accepted == sent and stored == expected and growth <= 0.25 and achieved >= 0.95 * args.rate
        print("OK" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        if db_name:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as con:
                con.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
