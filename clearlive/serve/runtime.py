"""Running the service as `clearlive serve` does: the store, the embedded worker or the Redis worker
processes (supervised, and tied to the service's life), uvicorn, and an orderly stop on SIGTERM.

    with Runtime(db, redis_url, workers, shards) as runtime:
        ...  # e.g. ingest the demo rooms through runtime.pipeline
        runtime.serve(host, port)

Leaving the block stops everything, in this order: the alert streams (the `stopping` event), the
supervisor (so that it cannot start a worker after that), the worker processes (each checkpoints
on SIGTERM), the embedded worker's last checkpoint, the store.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import threading
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import Any

from clearlive.serve.embedded import EmbeddedPipeline
from clearlive.serve.store import DEFAULT_DB, open_store

PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


class Runtime:
    """The service's processes. `say` reports what was started (the CLI prints it)."""

    def __init__(
        self,
        db: str | None,
        redis_url: str | None = None,
        workers: int = 2,
        shards: int = 4,
        say: Callable[[str], None] = print,
        recordings: Path | None = None,
    ) -> None:
        self.db, self.redis_url, self.workers, self.shards, self.say = db, redis_url, workers, shards, say
        if recordings is None:  # live rooms' audio, played at a finding's moment: beside the DuckDB file
            on_pg = (db or "").startswith(("postgresql://", "postgres://"))
            recordings = Path("clearlive-recordings") if on_pg else Path(db or DEFAULT_DB).with_suffix(".recordings")
        self.recordings = recordings
        self.store = open_store(db or DEFAULT_DB)
        self.procs: list[BaseProcess] = []
        self.stopping = threading.Event()
        self.supervisor: threading.Thread | None = None
        self.pipeline: Any = None

    def __enter__(self) -> Runtime:
        if self.store.keys.count() == 0:
            key = self.store.create_key("admin", "default")
            self.say(f"first start: an admin key for tenant 'default' (shown once): {key}")
        signal.signal(signal.SIGTERM, _exit_on_sigterm)  # from here on, SIGTERM ends in __exit__
        try:
            if self.redis_url:
                self._start_workers(self.redis_url)
            else:
                path = Path(self.db or DEFAULT_DB)
                self.pipeline = EmbeddedPipeline(self.store, state_path=path.with_suffix(".state"))
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _start_workers(self, redis_url: str) -> None:
        from clearlive.serve.redis_transport import RedisSubmitter, supervise

        self.pipeline = RedisSubmitter(redis_url, self.shards)
        ctx = mp.get_context("spawn")
        workers, shards, db = self.workers, self.shards, self.db

        def start_worker(k: int) -> BaseProcess:
            owned = [s for s in range(shards) if s % workers == k]
            proc = ctx.Process(target=_worker, args=(os.getpid(), redis_url, db, owned), name=f"clearlive-worker-{k}")
            proc.start()
            return proc

        self.procs.extend(start_worker(k) for k in range(workers))
        self.supervisor = threading.Thread(
            target=supervise, args=(self.procs, start_worker, self.stopping), daemon=True
        )
        self.supervisor.start()
        if workers:
            self.say(f"{workers} worker process(es) over {shards} Redis stream shard(s), restarted if they die")
        else:
            self.say(f"no worker process: run `clearlive spark-stream --shards {shards}` over the Redis lanes")

    def serve(self, host: str, port: int) -> None:
        """The HTTP service until SIGTERM or Ctrl-C (the alert streams end at once: `stopping`)."""
        import uvicorn

        from clearlive.serve.app import create_app
        from clearlive.serve.server import StoppingServer

        status = {"redis_url": self.redis_url, "workers": self.procs, "stopping": self.stopping}
        app = create_app(self.store, self.pipeline, status, recordings=self.recordings)
        self.say(f"dashboard: http://{host}:{port}/  ·  API: http://{host}:{port}/docs")
        StoppingServer(uvicorn.Config(app, host=host, port=port, log_level="warning"), self.stopping).run()

    def stop(self) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the shutdown short
        self.stopping.set()
        if self.supervisor is not None:
            self.supervisor.join()  # so that it cannot start a worker after this
        if self.procs:
            from clearlive.serve.redis_transport import stop_workers

            stop_workers(self.procs)
        if isinstance(self.pipeline, EmbeddedPipeline):
            self.pipeline.close()
        self.store.db.close()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    """uvicorn shuts down on SIGTERM and then raises the signal again with the handler it found.
    Left at the default, that handler ends the process on the spot, skipping the shutdown: worker
    processes left running, the embedded pipeline's last checkpoint not written."""
    raise SystemExit(0)


def _worker(parent: int, redis_url: str, db: str | None, shards: list[int]) -> None:
    """A worker process of `clearlive serve --redis`: it ends with the service even when the
    service is killed outright (SIGKILL, the OOM killer), which runs no shutdown code. Linux tells it
    with SIGTERM (PR_SET_PDEATHSIG); then it checkpoints and stops as on any SIGTERM."""
    from clearlive.serve.redis_transport import worker_main

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the service died before the line above
        return
    worker_main(redis_url, db, shards)
