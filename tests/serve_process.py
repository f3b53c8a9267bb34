"""`clearlive serve` as a real subprocess, for the tests that need one (browser, shutdown)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CLI = [sys.executable, "-m", "clearlive"]
# The subprocess imports the clearlive of this checkout (it runs in a temporary folder, where an
# editable install of another checkout would otherwise be found first).
_PATH = [str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in _PATH if p)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_key(db: str, role: str, tenant: str) -> str:
    return subprocess.run(
        [*CLI, "keys", "create", "--role", role, "--tenant", tenant, "--db", db],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    ).stdout.strip()


def start_serve(tmp_path: Path, db: str, *extra: str) -> tuple[subprocess.Popen, str]:
    """Start `clearlive serve` (log in tmp_path/serve.log) and wait until it answers; return the
    process and its base URL."""
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--db", db, *extra], cwd=tmp_path, stdout=log, stderr=log, env=ENV
    )
    log.close()  # the child holds its own copy
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not start: " + (tmp_path / "serve.log").read_text())
