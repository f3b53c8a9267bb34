"""Sustained events per second through the live service, and event-to-alert latency.

    python bench/service.py [--seconds 30] [--rate 0] [--rooms 200] [--batch 500] [--clients 4]
                            [--mode both|embedded|redis] [--workers 2] [--shards 4]
    python bench/service.py --mode redis --rate 5000,10000,20000,0     # offered loads in turn

Starts `clearlive serve` as a subprocess (embedded: in-process queue and DuckDB; redis: Redis
Streams, `--workers` worker processes and PostgreSQL, in a fresh database that is dropped after),
creates a key, then for `--seconds` `--clients` threads POST batches of room events (chat at a
realistic mix: one line in 50 is a violation that gives a finding) while one client listens to
`/api/v1/alerts`. `--rate N` paces the clients to N events per second in all (0: as fast as the
server accepts them); several rates, comma-separated, are run one after the other (a fresh server
each), one line each. It prints:

- ingest: events accepted per second by the HTTP API;
- processed: events per second from the first request until every event was stored by the workers;
- event-to-alert latency p50 / p99: from the moment the request carrying an event returned to the
  moment its finding arrived on the alert stream. Above the processed rate a backlog grows and the
  latency is the queue's; measure it with `--rate` below that.

Issue #7 aims at 20,000 events/s with p99 under 250 ms on 2 cores. The load generator, the server,
the workers, Redis and PostgreSQL all share this machine's cores, so read the figures together with
the embedded run of the same load printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "clearlive"]
PG_ADMIN = os.environ.get("CLEARLIVE_PG_ADMIN_URL", "postgresql://127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CLEARLIVE_BENCH_REDIS", "redis://127.0.0.1:6379/13")
CHAT = ["这个多少钱", "有没有大码", "主播好美", "发什么快递", "已拍", "好看", "能便宜点吗", "支持一下", "什么时候发货"]
BAD = "加我微信 shop{} 领优惠券"  # an off-platform diversion: one finding per line


def make_batch(rng: random.Random, rooms: int, size: int, counter: list[int]) -> tuple[list[dict], list[str]]:
    rows, flagged = [], []
    for _ in range(size):
        counter[0] += 1
        n = counter[0]
        ev = {
            "id": f"b{n}",
            "type": "comment",
            "room_id": f"room{rng.randrange(rooms)}",
            "ts": 1_793_534_400_000 + n * 10,
            "user_id": f"u{rng.randrange(100_000)}",
            "text": BAD.format(n) if n % 50 == 0 else rng.choice(CHAT),
        }
        rows.append(ev)
        if n % 50 == 0:
            flagged.append(ev["id"])
    return rows, flagged


def run(mode: str, rate: float, args: argparse.Namespace) -> dict[str, float]:
    port = 18_000 + random.randrange(1000)
    work = Path(tempfile.mkdtemp(prefix=f"clearlive-bench-{mode}-"))
    cmd = [*CLI, "serve", "--port", str(port)]  # a fresh folder: no demo to preload
    db_name = None
    if mode == "redis":
        import psycopg
        import redis

        db_name = f"clearlive_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{db_name}"')
        redis.Redis.from_url(REDIS_URL).flushdb()
        db = PG_ADMIN.rsplit("/", 1)[0] + "/" + db_name
        cmd = [*cmd, "--db", db, "--redis", REDIS_URL, "--workers", str(args.workers), "--shards", str(args.shards)]
        key_db = db
    else:
        key_db = str(work / "clearlive-service.duckdb")
        cmd = [*cmd, "--db", key_db]
    log = (work / "serve.log").open("w")  # not a pipe: nobody would read it, and a full pipe blocks the server
    server = subprocess.Popen(cmd, cwd=work, stdout=log, stderr=subprocess.STDOUT)
    try:
        key = subprocess.run(
            [*CLI, "keys", "create", "--role", "admin", "--tenant", "bench", "--db", key_db],
            cwd=work,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {key}"}
        _wait_up(base)
        sent_at: dict[str, float] = {}
        latencies: list[float] = []
        stop_listening = threading.Event()
        listener = threading.Thread(
            target=_listen, args=(base, headers, sent_at, latencies, stop_listening), daemon=True
        )
        listener.start()
        time.sleep(0.5)
        accepted = [0]
        lock = threading.Lock()
        counter = [0]
        deadline = time.monotonic() + args.seconds
        started = time.monotonic()

        def client(seed: int) -> None:
            rng = random.Random(seed)
            interval = args.batch * args.clients / rate if rate else 0.0
            next_at = time.monotonic()
            with httpx.Client(headers=headers, timeout=60) as http:
                while time.monotonic() < deadline:
                    if interval:
                        next_at += interval
                        time.sleep(max(0.0, next_at - time.monotonic()))
                    with lock:
                        rows, flagged = make_batch(rng, args.rooms, args.batch, counter)
                    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
                    r = http.post(f"{base}/api/v1/events", content=body)
                    if r.status_code == 503:
                        time.sleep(float(r.headers.get("Retry-After", "1")) / 4)
                        continue
                    r.raise_for_status()
                    now = time.monotonic()
                    with lock:
                        accepted[0] += r.json()["accepted"]
                        for eid in flagged:
                            sent_at[eid] = now

        threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ingest_s = time.monotonic() - started
        with httpx.Client(headers=headers, timeout=60) as http:
            while http.get(f"{base}/api/v1/health").json().get("queue_lag"):
                time.sleep(0.05)
        processed_s = time.monotonic() - started
        time.sleep(1.0)  # the last alerts
        stop_listening.set()
        lat = sorted(latencies)
        return {
            "accepted": accepted[0],
            "ingest_per_s": accepted[0] / ingest_s,
            "processed_per_s": accepted[0] / processed_s,
            "alerts": len(lat),
            "p50_ms": 1000 * statistics.median(lat) if lat else float("nan"),
            "p99_ms": 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else float("nan"),
        }
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        print(f"  ({mode} server log: {work / 'serve.log'})", file=sys.stderr)
        if db_name:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as con:
                con.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def _wait_up(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not start")


def _listen(base: str, headers: dict, sent_at: dict, latencies: list, stop: threading.Event) -> None:
    with httpx.Client(headers=headers, timeout=None) as http, http.stream("GET", f"{base}/api/v1/alerts") as r:
        for line in r.iter_lines():
            if stop.is_set():
                return
            if line.startswith("data: "):
                f = json.loads(line[6:])
                for eid in f.get("event_ids", []):
                    if eid in sent_at:
                        latencies.append(time.monotonic() - sent_at[eid])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--rate", default="0", help="events per second in all (0: unpaced); comma-separated: each in turn")
    ap.add_argument("--rooms", type=int, default=200)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--mode", choices=["both", "embedded", "redis"], default="both")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shards", type=int, default=4)
    args = ap.parse_args()
    modes = ["embedded", "redis"] if args.mode == "both" else [args.mode]
    print(
        f"{args.seconds:g} s of load, {args.clients} clients, batches of {args.batch}, {args.rooms} rooms, "
        f"{os.cpu_count()} cores shared by everything"
    )
    rates = [float(r) for r in args.rate.split(",")]
    print(
        f"{'offered':>9} {'mode':<10}{'accepted':>10}{'ingest/s':>11}{'processed/s':>13}{'alerts':>8}"
        f"{'p50 ms':>9}{'p99 ms':>9}"
    )
    for rate in rates:
        for mode in modes:
            r = run(mode, rate, args)
            offered = f"{rate:,.0f}/s" if rate else "unpaced"
            print(
                f"{offered:>9} {mode:<10}{r['accepted']:>10,}{r['ingest_per_s']:>11,.0f}{r['processed_per_s']:>13,.0f}"
                f"{r['alerts']:>8}{r['p50_ms']:>9.0f}{r['p99_ms']:>9.0f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
