"""Redis Streams between the HTTP front and the detector workers (service mode).

- **Sharding.** An event goes to stream `clearlive:events:<shard>`, shard = CRC32(room_id) mod
  shards, so a room's events stay in order and in one worker's hands.
- **At least once, exactly once in effect.** A worker reads its shards through a consumer group,
  runs the detectors, stores events and findings (both keyed by deterministic ids, inserted with
  ON CONFLICT DO NOTHING), and acknowledges entries only when it checkpoints: the detector state
  (pickled `TenantScanners`) is saved to Redis first, then the entries it covers are acknowledged and
  deleted. A worker killed at any point restarts from its last checkpoint, claims the entries still
  pending (XAUTOCLAIM) and processes them again in order: the state comes out as if nothing had
  happened, and findings already stored are not stored twice.
- **Back-pressure.** The front refuses new events (HTTP 503, Retry-After) while the unprocessed
  backlog over all shards is above `max_backlog`.

Checkpoints are pickles in the operator's own Redis: trusted state, never user input.
"""

from __future__ import annotations

import logging
import pickle
import signal
import time
import zlib
from typing import Any

import msgspec
import redis

from clearlive.model.events import Event, EventBase
from clearlive.service.pipeline import QueueFull, TenantScanners
from clearlive.service.store import ServiceStore, open_store

log = logging.getLogger("clearlive.worker")
TRANSIENT: tuple[type[BaseException], ...] = (redis.RedisError, OSError)  # a dependency down, not a bug
try:
    import psycopg

    TRANSIENT = (*TRANSIENT, psycopg.OperationalError)
except ImportError:  # pragma: no cover - psycopg is a dependency; kept optional for embedded-only installs
    pass
GROUP = "clearlive"
BATCH = 500
_encode = msgspec.json.Encoder().encode
_decode_event = msgspec.json.Decoder(Event).decode


def stream_key(shard: int) -> str:
    return f"clearlive:events:{shard}"


def checkpoint_key(shard: int) -> str:
    return f"clearlive:checkpoint:{shard}"


def shard_of(room_id: str, shards: int) -> int:
    return zlib.crc32(room_id.encode()) % shards


class RedisSubmitter:
    """The HTTP front's side: XADD accepted events to their room's shard."""

    def __init__(self, url: str, shards: int, max_backlog: int = 200_000) -> None:
        self.redis = redis.Redis.from_url(url)
        self.shards = shards
        self.max_backlog = max_backlog

    def submit(self, tenant: str, events: list[EventBase]) -> None:
        if self.lag() > self.max_backlog:
            raise QueueFull(f"{self.max_backlog} events waiting for the workers")
        pipe = self.redis.pipeline(transaction=False)
        for ev in events:
            pipe.xadd(stream_key(shard_of(ev.room_id, self.shards)), {"t": tenant, "e": _encode(ev)})
        pipe.execute()

    def waiting_for(self) -> list[str]:
        return []  # Redis itself failing shows in submit() and lag(); workers report in their logs

    def lag(self) -> int:
        pipe = self.redis.pipeline(transaction=False)
        for s in range(self.shards):
            pipe.xlen(stream_key(s))
        return int(sum(pipe.execute()))


class ShardWorker:
    """Owns some shards: reads, detects, stores, checkpoints, acknowledges."""

    def __init__(
        self,
        redis_url: str,
        store: ServiceStore,
        shards: list[int],
        checkpoint_every_s: float = 1.0,
        checkpoint_every_n: int = 5000,
        stranded_after_s: float = 30.0,
    ) -> None:
        self.redis = redis.Redis.from_url(redis_url)
        self.store = store
        self.shards = shards
        self.every_s = checkpoint_every_s
        self.every_n = checkpoint_every_n
        self.stranded_after_s = stranded_after_s
        self.states: dict[int, TenantScanners] = {}
        self.unacked: dict[int, list[bytes]] = {s: [] for s in shards}
        self.stopping = False
        self._ensure_groups()
        for s in shards:
            self.states[s] = self._load(s)

    def _ensure_groups(self) -> None:
        for s in self.shards:
            try:
                self.redis.xgroup_create(stream_key(s), GROUP, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def _load(self, shard: int) -> TenantScanners:
        scanners = TenantScanners()
        blob = self.redis.get(checkpoint_key(shard))
        if blob:
            scanners.restore(pickle.loads(blob))  # our own checkpoint, in our own Redis
        return scanners

    def consumer(self, shard: int) -> str:
        return f"shard-{shard}"

    def recover(self) -> int:
        """Take over every entry still pending in my shards (a predecessor died before acknowledging
        them) and process them again, oldest first, on top of the last checkpoint."""
        n = 0
        for s in self.shards:
            start = "0-0"
            while True:
                start, _, _ = self.redis.xautoclaim(stream_key(s), GROUP, self.consumer(s), 0, start, count=BATCH)[:3]
                if start in (b"0-0", "0-0"):
                    break
            after = "0"
            while True:  # my pending entries, oldest first, a page at a time
                resp = self.redis.xreadgroup(GROUP, self.consumer(s), {stream_key(s): after}, count=BATCH)
                entries = resp[0][1] if resp else []
                if not entries:
                    break
                n += self._process(s, entries)
                after = entries[-1][0]
        return n

    def _process(self, shard: int, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> int:
        by_tenant: dict[str, list[EventBase]] = {}
        for _, fields in entries:
            by_tenant.setdefault(fields[b"t"].decode(), []).append(_decode_event(fields[b"e"]))
        state = self.states[shard]
        for tenant, events in by_tenant.items():
            found = state.process(tenant, events)
            self.store.add_events(tenant, events)  # after the scanner filled in session and host
            self.store.add_findings(tenant, found)
        self.unacked[shard].extend(e[0] for e in entries)
        return len(entries)

    def checkpoint(self) -> None:
        for s in self.shards:
            ids = self.unacked[s]
            if not ids:
                continue
            self.redis.set(checkpoint_key(s), pickle.dumps(self.states[s].state(), protocol=pickle.HIGHEST_PROTOCOL))
            pipe = self.redis.pipeline(transaction=False)
            pipe.xack(stream_key(s), GROUP, *ids)
            pipe.xdel(stream_key(s), *ids)
            pipe.execute()
            self.unacked[s] = []

    def reset(self) -> None:
        """Back to the last checkpoint, as if the process had restarted: after a failure half-way
        through a batch, the in-memory state may be ahead of what was stored."""
        for s in self.shards:
            self.states[s] = self._load(s)
            self.unacked[s] = []

    def stranded(self) -> bool:
        """Whether a pending entry of my shards has waited longer than any checkpoint would take: it
        was delivered and then lost (a second worker on the shard took it and died, say). Then the
        worker goes back to its checkpoint and processes every pending entry again, in order."""
        idle_ms = int(self.stranded_after_s * 1000)
        for s in self.shards:
            if self.redis.xpending_range(stream_key(s), GROUP, min="-", max="+", count=1, idle=idle_ms):
                return True
        return False

    def _lost_groups(self, exc: BaseException) -> bool:
        """Redis came back without our consumer groups: it was restarted without persistence (or
        flushed). What it held is gone; say so loudly and carry on with the events that come now."""
        if not (isinstance(exc, redis.ResponseError) and "NOGROUP" in str(exc)):
            return False
        log.error(
            "Redis lost the event streams (restarted without persistence, or flushed): events accepted "
            "and not yet processed before that are lost. Run Redis with appendonly yes (docs/reliability.md)."
        )
        self._ensure_groups()
        return True

    def run(self, idle_exit_s: float | None = None) -> None:
        """Work until stopped (SIGTERM, SIGINT) or, with `idle_exit_s`, until idle that long. When
        Redis or the database fails, wait (backing off up to 5 s), go back to the last checkpoint
        and carry on: nothing acknowledged was lost, and what was pending is processed again."""
        for state in self.states.values():
            if not state.scanners:
                state.warm()
        backoff = 0.2
        need_recovery = True
        last_cp, since_cp, idle_since = time.monotonic(), 0, time.monotonic()
        last_sweep = time.monotonic()
        while not self.stopping:
            try:
                if time.monotonic() - last_sweep >= self.stranded_after_s / 2:
                    last_sweep = time.monotonic()
                    if self.stranded():
                        log.warning("entries pending for over %g s: back to the last checkpoint", self.stranded_after_s)
                        self.reset()
                        need_recovery, since_cp = True, 0
                if need_recovery:
                    self.recover()
                    need_recovery = False
                got = 0
                for s in self.shards:
                    resp = self.redis.xreadgroup(GROUP, self.consumer(s), {stream_key(s): ">"}, count=BATCH, block=50)
                    if resp:
                        got += self._process(s, resp[0][1])
                since_cp += got
                now = time.monotonic()
                if since_cp >= self.every_n or (since_cp and now - last_cp >= self.every_s):
                    self.checkpoint()
                    last_cp, since_cp = now, 0
                backoff = 0.2
            except TRANSIENT as exc:
                log.warning("waiting for %s (%s); back to the last checkpoint", type(exc).__module__, exc)
                try:
                    self._lost_groups(exc)
                except TRANSIENT:
                    pass  # Redis still down: the next round tries again
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                try:
                    self.reset()
                except TRANSIENT:
                    continue
                need_recovery, since_cp = True, 0
                continue
            if got:
                idle_since = now
            elif idle_exit_s is not None and now - idle_since >= idle_exit_s:
                break
        self.checkpoint()


def worker_main(redis_url: str, db_url: str | None, shards: list[int], idle_exit_s: float | None = None) -> None:
    """A worker process's entry point (clearlive worker, or spawned by clearlive serve --redis)."""
    store = open_store(db_url)
    worker = ShardWorker(redis_url, store, shards)

    def stop(*_: Any) -> None:
        worker.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        worker.run(idle_exit_s)
    finally:
        store.db.close()


def supervise(procs: list[Any], start: Any, stop: Any, every_s: float = 2.0) -> None:
    """Keep worker processes running: a worker that died (killed, out of memory) is started again
    with the same shards, and resumes from its checkpoint. `start(k)` starts worker k; `stop` is a
    threading.Event. Runs until `stop` is set (in a thread of `clearlive serve --redis`)."""
    while not stop.wait(every_s):
        for k, proc in enumerate(procs):
            if not proc.is_alive():
                log.warning("worker %s stopped (exit code %s); starting it again", proc.name, proc.exitcode)
                procs[k] = start(k)
