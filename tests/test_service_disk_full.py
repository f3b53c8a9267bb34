"""A real full disk (issue #8): the embedded store lives on a small tmpfs that the test fills to the
last byte. Needs root (to mount a tmpfs); CI runs as root, elsewhere the test is skipped and says
why. The simulated case (the store raising ENOSPC) is in test_service_faults.py."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clearlive.serve.app import create_app
from clearlive.serve.embedded import EmbeddedPipeline, TenantScanners
from clearlive.serve.ingest import parse_events
from clearlive.serve.store import open_store

T0 = 1_793_534_400_000  # 2026-11-01T12:00:00Z


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs (CI runs as root)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write until the filesystem says ENOSPC; the filler file is returned, to be deleted."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1 << 20, 4096, 1):  # big blocks, then the last scraps
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError:
                    break
    finally:
        os.close(fd)
    return filler


def batch(n: int, size: int = 300) -> str:
    """Chat in 3 rooms; every tenth message diverts to a private channel."""
    lines = []
    for j in range(size):
        text = f"加V：shop{n:02d}{j:03d} 私聊下单" if j % 10 == 0 else f"主播好看 第{j}条"
        ev = {"type": "comment", "room_id": f"r{j % 3}", "ts": T0 + n * 60_000 + j, "id": f"b{n}-{j}",
              "user_id": f"u{j % 40}", "text": text}  # fmt: skip
        lines.append(json.dumps(ev, ensure_ascii=False))
    return "\n".join(lines)


def wait_until(check, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_full_disk_refuses_ingest_stalls_the_worker_and_loses_nothing(small_disk: Path) -> None:
    store = open_store(str(small_disk / "svc.duckdb"))
    admin = store.create_key("admin", "acme")
    auth = {"Authorization": f"Bearer {admin}"}
    state = small_disk / "svc.state"
    pipeline = EmbeddedPipeline(store, state_path=state)
    client = TestClient(create_app(store, pipeline), raise_server_exceptions=False)
    assert client.get("/api/v1/health").json()["status"] == "ok"
    assert client.post("/api/v1/events", content=batch(0), headers=auth).json()["accepted"] == 300
    assert pipeline.drain()
    pipeline.close()

    # Accepted while there was room, then the disk fills before the worker has run.
    pipeline = EmbeddedPipeline(store, state_path=state, start=False)
    client = TestClient(create_app(store, pipeline), raise_server_exceptions=False)
    assert client.post("/api/v1/events", content=batch(1), headers=auth).json()["accepted"] == 300
    filler = fill(small_disk)

    refused = client.post("/api/v1/events", content=batch(2), headers=auth)
    assert refused.status_code == 503 and "waiting for the disk" in refused.json()["detail"]
    assert refused.headers["Retry-After"]
    pipeline.thread.start()  # the worker meets the full disk writing batch 1's findings
    wait_until(lambda: any("the disk" in w for w in client.get("/api/v1/health").json()["waiting_for"]))
    health = client.get("/api/v1/health").json()
    assert health["status"] == "degraded" and health["queue_lag"] >= 1

    filler.unlink()  # room again: the worker goes on, the client's retry goes through
    assert pipeline.drain()
    retried = client.post("/api/v1/events", content=batch(2), headers=auth)
    assert retried.status_code == 202 and retried.json()["accepted"] == 300
    assert pipeline.drain()
    wait_until(lambda: client.get("/api/v1/health").json()["status"] == "ok")

    events = [ev for n in range(3) for ev in parse_events(batch(n).encode())[0]]
    expected = {f.id for f in TenantScanners().process("acme", events)}
    got = [f["id"] for f in client.get("/api/v1/findings?limit=1000", headers=auth).json()]
    # each diverting message: a contact app and "私聊下单" (2 x 90), plus 3 templated-chat bursts
    assert len(expected) == 183
    assert sorted(got) == sorted(expected)  # every finding, none twice
    assert store.db.query("SELECT count(*), count(DISTINCT id) FROM events")[0] == (900, 900)
    pipeline.close()
    assert store.pending_events() == []  # the last checkpoint covered everything
