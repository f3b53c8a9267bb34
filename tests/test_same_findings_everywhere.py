"""The same events give the same finding ids in every runtime (issues #16 item 4, #20 item 1):
`clearlive scan`, `clearlive scan --engine spark` (Spark batch over the archive), the embedded
service, the Redis workers (room lanes and tenant lane, PostgreSQL behind them) and
`clearlive spark-stream` (Spark Structured Streaming over the same Redis lanes, into PostgreSQL).

The stream (tests/test_lifecycle.py `realistic_stream`): three demo rooms, a room whose host claims a
reference price, scarcity and an origin before the listing arrives, a dense buyer-shop ring across
six shops amid 150 honest shops, and the next day's first broadcast.

Needs Redis (logical database 15 is flushed), PostgreSQL and Java 17 with PySpark; skipped without
them. About three minutes, most of it Spark starting and the worker's idle exit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from tests.test_lifecycle import copies, realistic_stream
from tests.test_service_postgres import (
    ADMIN_URL,
    pg_url,  # noqa: F401  (fixture)
)
from tests.test_service_postgres import _server_up as pg_up

pytest.importorskip("pyspark")
redis = pytest.importorskip("redis")
REDIS_URL = os.environ.get("CLEARLIVE_TEST_REDIS", "redis://127.0.0.1:6379/15")
SHARDS = 2
TENANT = "acme"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(
    not (_redis_up() and pg_up()) or (shutil.which("java") is None and not os.environ.get("JAVA_HOME")),
    reason="needs Redis, PostgreSQL and Java 17",
)


def _cli_scan(events: list, tmp_path: Path, *options: str) -> bytes:
    stream = tmp_path / "stream.jsonl"
    stream.write_bytes(b"".join(msgspec.json.encode(e) + b"\n" for e in events))
    out = tmp_path / "findings.jsonl"
    cmd = [sys.executable, "-m", "clearlive", "scan", str(stream), "--tenant", TENANT, "--out", str(out), *options]
    subprocess.run(cmd, check=True, cwd=Path(__file__).parents[1], capture_output=True)
    return out.read_bytes()


@pytest.fixture
def spark_pg() -> Iterator[str]:
    """A second service database: the one `clearlive spark-stream` stores into."""
    import psycopg

    name = f"clearlive_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(ADMIN_URL, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _stored(url: str) -> set[str]:
    from clearlive.serve.store import open_store

    store = open_store(url)
    try:
        return {row[0] for row in store.db.query("SELECT id FROM findings WHERE tenant = ?", [TENANT])}
    finally:
        store.db.close()


def _embedded(events: list) -> set[str]:
    from clearlive.serve.embedded import EmbeddedPipeline
    from clearlive.serve.store import open_store

    store = open_store(None)
    pipeline = EmbeddedPipeline(store)
    try:
        for i in range(0, len(events), 500):
            pipeline.submit(TENANT, copies(events[i : i + 500]))
        assert pipeline.drain(timeout=300)
    finally:
        pipeline.close()
    return {row[0] for row in store.db.query("SELECT id FROM findings WHERE tenant = ?", [TENANT])}


def _spark_stream(tmp_path: Path, pg: str) -> set[str]:
    """The documented command, as a user runs it on what the lanes hold (--once)."""
    cmd = [sys.executable, "-m", "clearlive", "spark-stream", "--redis", REDIS_URL, "--db", pg]
    cmd += ["--shards", str(SHARDS), "--checkpoint", str(tmp_path / "spark-checkpoint"), "--once"]
    proc = subprocess.run(cmd, cwd=Path(__file__).parents[1], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert ", 0 dead letter(s)" in proc.stderr
    return _stored(pg)


def _redis_workers(pg: str) -> set[str]:

    code = (
        "from clearlive.serve.redis_transport import worker_main; "
        f"worker_main({REDIS_URL!r}, {pg!r}, {list(range(SHARDS))!r}, 3.0)"
    )
    worker = subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).parents[1])
    try:
        assert worker.wait(timeout=600) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    return _stored(pg)


def test_scan_embedded_redis_and_spark_report_the_same_finding_ids(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
    spark_pg: str,
) -> None:
    from clearlive.serve.redis_transport import RedisSubmitter
    from clearlive.serve.store import open_store

    events = realistic_stream(tmp_path)
    out = _cli_scan(events, tmp_path)
    batch = [msgspec.json.decode(line) for line in out.splitlines()]
    expected = {f["id"] for f in batch}
    assert len(expected) == len(batch) > 200
    rules = {(f["room_id"], f["rule_id"]) for f in batch}
    assert ("room-early", "facts.price.reference_above_lowest") in rules
    assert ("room-early", "facts.origin.mismatch") in rules
    assert any(rule == "fraud.fraudar" for _, rule in rules)

    assert _cli_scan(events, tmp_path, "--engine", "spark") == out  # the same findings, in the same order

    assert _embedded(events) == expected

    redis.Redis.from_url(REDIS_URL).flushdb()
    for url in (pg_url, spark_pg):
        open_store(url).db.close()  # migrates the fresh database
    submitter = RedisSubmitter(REDIS_URL, SHARDS)
    for i in range(0, len(events), 1000):
        submitter.submit(TENANT, events[i : i + 1000])
    assert _spark_stream(tmp_path, spark_pg) == expected  # first: the workers delete what they acknowledge

    assert _redis_workers(pg_url) == expected
