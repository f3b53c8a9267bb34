"""Redis Streams between the HTTP front and the detector workers (service mode).

- **Sharding.** An event goes to two streams: its room's, `clearlive:events:<shard>` with shard =
  CRC32(room_id) mod shards, where the per-room detectors run (a room's events stay in order and in
  one worker's hands), and its tenant's, `clearlive:events:t<shard>` with shard = CRC32(tenant) mod
  shards, where the cross-room detectors (fan raids, lockstep accounts, FRAUDAR, silent audiences)
  see every room of the tenant in the order the front accepted them. A worker given shard s works
  both lanes s and t<s>; the two scanners' parts ("rooms", "cross") together report what one
  scanner over everything would.
- **One clock per tenant.** A room shard carries only its own rooms' events, so after each batch the
  front also writes a tick (the tenant and the batch's latest event time, no event) to every room
  shard: a shard's scanner moves the tenant's clock on it (`Scanner.advance`), and a room whose feed
  just stops ends an hour of the tenant's time later, as in `clearlive scan`, though the tenant's
  other rooms are all on other shards. (Before, a shard's clock was its own rooms' latest event,
  and such a room never ended: its pending claims were never judged, its state never dropped.)
- **At least once, exactly once in effect.** A worker reads its shards through a consumer group,
  runs the detectors, stores events and findings (both keyed by deterministic ids, inserted with
  ON CONFLICT DO NOTHING), and acknowledges entries only when it checkpoints: the detector state
  (pickled `TenantScanners`) is saved to Redis first, then the entries it covers are acknowledged and
  deleted. A worker killed at any point restarts from its last checkpoint, claims the entries still
  pending (XAUTOCLAIM) and processes them again in order: the state comes out as if nothing had
  happened, and findings already stored are not stored twice.
- **One worker per shard at a time.** A worker works a shard only while it holds the shard's lease
  (a Redis key with a 10 s time to live that the holder extends); a second worker given the same
  shard waits, and the checkpoint itself refuses to write for a worker that lost its lease. So
  recovery may take over every pending entry (XAUTOCLAIM, minimum idle 0): no live worker has them.
- **One error policy** (`clearlive.watch.scan.worker_core`, shared with the embedded worker and
  Spark): a dependency down is waited for; a detector that raises on an event sends the worker back
  to its checkpoint, a bounded number of times, and then the event goes to the dead letters and the
  shard goes on without it. A worker never dies on an event.
- **Back-pressure.** The front refuses new events (HTTP 503, Retry-After) while the unprocessed
  backlog over all shards is above `max_backlog`.

Checkpoints are pickles in the operator's own Redis: trusted state, never user input.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import redis

from clearlive.model.events import Event, EventBase
from clearlive.serve.embedded import QueueFull, TenantScanners
from clearlive.serve.store import ServiceStore, open_store
from clearlive.watch.scan.heap import for_long_runs
from clearlive.watch.scan.worker_core import TRANSIENT, Retry, Tick, WorkerCore, checkpoint_gap

log = logging.getLogger("clearlive.worker")
GROUP = "clearlive"
BATCH = 500
_encode = msgspec.json.Encoder().encode
_decode_event = msgspec.json.Decoder(Event).decode


FINDINGS_CHANNEL = "clearlive:findings"  # pub/sub: a worker stored findings of the tenant named


def stream_key(lane: int | str) -> str:
    return f"clearlive:events:{lane}"


def checkpoint_key(lane: int | str) -> str:
    return f"clearlive:checkpoint:{lane}"


def lease_key(lane: int | str) -> str:
    return f"clearlive:lease:{lane}"


def shard_of(room_id: str, shards: int) -> int:
    return zlib.crc32(room_id.encode()) % shards


def tenant_lane(tenant: str, shards: int) -> str:
    """The lane of a tenant's cross-room detectors: `t<shard>`, worked by the worker of that shard."""
    return f"t{zlib.crc32(tenant.encode()) % shards}"


def lanes_of(shards: list[int]) -> list[str]:
    """A worker's lanes: its room shards, then the tenant lanes of the same numbers."""
    return [str(s) for s in shards] + [f"t{s}" for s in shards]


def part_of(lane: str) -> str:
    return "cross" if lane.startswith("t") else "rooms"


class RedisSubmitter:
    """The HTTP front's side: XADD accepted events to their room's shard."""

    def __init__(self, url: str, shards: int, max_backlog: int = 200_000) -> None:
        self.redis: Any = redis.Redis.from_url(url)  # redis-py's stream replies are untyped unions
        self.shards = shards
        self.max_backlog = max_backlog

    def submit(self, tenant: str, events: list[EventBase]) -> None:
        if self.lag() > self.max_backlog:
            raise QueueFull(f"{self.max_backlog} events waiting for the workers")
        if not events:
            return
        pipe = self.redis.pipeline(transaction=False)
        cross = stream_key(tenant_lane(tenant, self.shards))
        for ev in events:
            entry = {"t": tenant, "e": _encode(ev)}
            pipe.xadd(stream_key(shard_of(ev.room_id, self.shards)), entry)
            pipe.xadd(cross, entry)
        # The tenant's clock for every room shard, after the batch's events (one entry per shard and
        # batch, not per event: a room ends at the batch's end instead of at the event that passed
        # its hour, with the same state and so the same findings).
        tick = {"t": tenant, "k": str(max(ev.ts for ev in events))}
        for shard in range(self.shards):
            pipe.xadd(stream_key(shard), tick)
        pipe.execute()

    def waiting_for(self) -> list[str]:
        return []  # Redis itself failing shows in submit() and lag(); workers report in their logs

    def listen_findings(self, callback: Callable[[str], None]) -> threading.Thread:
        """Call `callback(tenant)` whenever a worker says it stored findings of `tenant` (Redis
        pub/sub), from a daemon thread that reconnects when Redis comes back: the alert streams'
        notifiers look at once instead of at their next poll."""

        def listen() -> None:
            while True:
                try:
                    pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                    pubsub.subscribe(FINDINGS_CHANNEL)
                    for message in pubsub.listen():
                        if message.get("type") == "message":
                            callback(message["data"].decode())
                except redis.RedisError:
                    time.sleep(1.0)

        thread = threading.Thread(target=listen, name="clearlive-findings-listener", daemon=True)
        thread.start()
        return thread

    def lag(self) -> int:
        pipe = self.redis.pipeline(transaction=False)
        for lane in lanes_of(list(range(self.shards))):
            pipe.xlen(stream_key(lane))
        return int(sum(pipe.execute()))


# A shard is leased to one worker at a time, so that two workers given the same shards (overlapping
# `clearlive worker --shards`, a worker outliving its service) take turns instead of each judging
# half of a room. The lease is a Redis key with a time to live that its holder extends; a worker
# killed outright holds it until it runs out, unless its successor is on the same machine and sees
# that the holder's process is gone.
LEASE_S = 10.0
# 2: the lease was free (or held by ARGV[3], a holder known dead) and is now mine; 1: it was mine
# and is extended; otherwise the holder's token (another worker's).
_TAKE_LEASE = """
local holder = redis.call('GET', KEYS[1])
if not holder or holder == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return holder
"""
# Save the state and acknowledge the entries it covers in one step, and only while the lease is mine:
# a worker that stalled past its lease must not overwrite its successor's checkpoint.
_CHECKPOINT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
for i = 4, #ARGV, 1000 do
  local j = math.min(i + 999, #ARGV)
  redis.call('XACK', KEYS[3], ARGV[3], unpack(ARGV, i, j))
  redis.call('XDEL', KEYS[3], unpack(ARGV, i, j))
end
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _host() -> str:
    """This machine since its last boot, and this PID namespace: where a process id means one process."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        return f"{boot}/{os.readlink('/proc/self/ns/pid')}"
    except OSError:  # not Linux: process ids cannot be checked, a dead holder's lease runs out instead
        return f"{socket.gethostname()}/{uuid.uuid4().hex}"


HOST = _host()


def holder_alive(token: str) -> bool:
    """Whether the worker holding a lease may still be running. A worker of this machine whose
    process is gone (killed, crashed) is not: its successor (restarted by `serve`'s supervisor) takes
    the shard at once instead of waiting for the lease to run out."""
    host, _, rest = token.partition("|")
    if host != HOST:
        return True  # another machine's, or another PID namespace's: only its expiry tells
    try:
        os.kill(int(rest.partition("|")[0]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


class ShardWorker:
    """Owns some shards: leases, reads, detects, stores, checkpoints, acknowledges."""

    def __init__(
        self,
        redis_url: str,
        store: ServiceStore,
        shards: list[int],
        checkpoint_every_s: float = 1.0,
        checkpoint_every_n: int = 5000,
        stranded_after_s: float = 30.0,
        lease_s: float = LEASE_S,
    ) -> None:
        self.redis: Any = redis.Redis.from_url(redis_url)  # redis-py's stream replies are untyped unions
        self.store = store
        self.shards = lanes_of(shards)  # the lanes this worker works (see the module docstring)
        self.every_s = checkpoint_every_s
        self.every_n = checkpoint_every_n
        self.stranded_after_s = stranded_after_s
        self.lease_s = lease_s
        self.token = f"{HOST}|{os.getpid()}|{uuid.uuid4().hex[:8]}"
        self.held: set[str] = set()  # lanes whose lease I hold
        self.waiting: set[str] = set()  # lanes another worker holds (said once in the log)
        self.to_recover: set[str] = set()  # lanes back at their checkpoint, pending entries to redo
        self.leases_checked = float("-inf")
        self.checkpoint_took = 0.0  # seconds the last checkpoint took
        self.states: dict[str, TenantScanners] = {}
        self.core = WorkerCore(store)  # store, detect, the error policy (see worker_core)
        self.unacked: dict[str, list[bytes]] = {s: [] for s in self.shards}
        self.stopping = False
        self._take_lease = self.redis.register_script(_TAKE_LEASE)
        self._checkpoint = self.redis.register_script(_CHECKPOINT)
        self._release = self.redis.register_script(_RELEASE)
        self._ensure_groups()

    def _ensure_groups(self) -> None:
        for s in self.shards:
            try:
                self.redis.xgroup_create(stream_key(s), GROUP, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def _load(self, shard: str) -> TenantScanners:
        scanners = TenantScanners(part=part_of(shard))
        blob = self.redis.get(checkpoint_key(shard))
        if blob:
            scanners.restore_from(blob)  # our own checkpoint, in our own Redis
        if not scanners.scanners:
            scanners.warm()
        return scanners

    def consumer(self, shard: int | str) -> str:
        return f"shard-{shard}"

    def keep_leases(self) -> None:
        """Take the lease of each free shard of mine and extend those I hold. A shard just taken
        (or taken again after its lease ran out) starts from its checkpoint, with its pending entries
        to redo; a shard lost to another worker is left to it, with what I had not checkpointed."""
        self.leases_checked = time.monotonic()
        for s in self.shards:
            ttl_ms = int(self.lease_s * 1000)
            got = self._take_lease(keys=[lease_key(s)], args=[self.token, ttl_ms, ""])
            if isinstance(got, bytes) and not holder_alive(got.decode()):
                log.warning("shard %s: its lease holder (%s) is gone; taking the shard over", s, got.decode())
                got = self._take_lease(keys=[lease_key(s)], args=[self.token, ttl_ms, got])
            if got == 1 and s in self.held:
                continue
            if isinstance(got, bytes):
                if s in self.held:
                    log.error("shard %s: lease lost to another worker (this one stalled over %g s)", s, self.lease_s)
                    self._leave(s)
                elif s not in self.waiting:
                    log.warning("shard %s is leased to another worker; waiting for it to stop", s)
                    self.waiting.add(s)
                continue
            if s in self.held:
                log.warning("shard %s: lease ran out (a stall, or Redis restarted); back to the checkpoint", s)
            self.held.add(s)
            self.waiting.discard(s)
            self.states[s] = self._load(s)
            self.unacked[s] = []
            self.to_recover.add(s)

    def _keep_leases_if_due(self) -> None:
        if time.monotonic() - self.leases_checked >= self.lease_s / 5:
            self.keep_leases()

    def _leave(self, shard: str) -> None:
        self.held.discard(shard)
        self.to_recover.discard(shard)
        self.states.pop(shard, None)
        self.unacked[shard] = []

    def release_leases(self) -> None:
        """On a clean stop, after the last checkpoint: a successor need not wait for them to run out."""
        for s in sorted(self.held):
            self._release(keys=[lease_key(s)], args=[self.token])
        self.held.clear()

    def recover(self) -> int:
        """Take over every entry still pending in the shards back at their checkpoint (a
        predecessor died before acknowledging them, or this worker failed half-way) and process
        them again, oldest first, on top of the checkpoint. Only the lease holder gets here, so
        taking entries from other consumers (XAUTOCLAIM) takes them from no live worker."""
        n = 0
        for s in sorted(self.to_recover):
            start = "0-0"
            while True:
                start, _, _ = self.redis.xautoclaim(stream_key(s), GROUP, self.consumer(s), 0, start, count=BATCH)[:3]
                if start in (b"0-0", "0-0"):
                    break
            after = "0"
            while s in self.held:  # my pending entries, oldest first, a page at a time
                resp = self.redis.xreadgroup(GROUP, self.consumer(s), {stream_key(s): after}, count=BATCH)
                entries = resp[0][1] if resp else []
                if not entries:
                    break
                n += self._process(s, entries)
                after = entries[-1][0]
                self._keep_leases_if_due()  # a long backlog must not outlast the lease
            self.to_recover.discard(s)
        return n

    def _process(self, shard: str, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> int:
        """A page of entries through the worker core, each tenant's in order. A detector that
        raises makes the core raise `Retry`: `run` goes back to the checkpoint (see `reset`)."""
        by_tenant: dict[str, list[EventBase]] = {}
        for entry, fields in entries:
            tenant = fields.get(b"t", b"").decode("utf-8", "replace")
            if b"k" in fields and b"e" not in fields:  # the tenant's clock (see RedisSubmitter.submit)
                try:
                    by_tenant.setdefault(tenant, []).append(Tick(int(fields[b"k"])))  # type: ignore[arg-type]
                except ValueError as exc:
                    self.core.undecodable(tenant, shard, f"entry:{entry.decode()}", fields[b"k"], exc)
                continue
            try:
                ev = _decode_event(fields[b"e"])
            except (KeyError, msgspec.DecodeError, msgspec.ValidationError) as exc:  # not the front's
                self.core.undecodable(tenant, shard, f"entry:{entry.decode()}", fields.get(b"e", b""), exc)
                continue
            by_tenant.setdefault(tenant, []).append(ev)
        state = self.states[shard]
        for tenant, events in by_tenant.items():
            # events stored as received, once (a tenant lane carries the same events again)
            found = self.core.process(state, tenant, events, lane=shard, store_events=state.part == "rooms")
            if found:  # wake the tenant's alert streams (a lost message only delays them to the next poll)
                self.redis.publish(FINDINGS_CHANNEL, tenant)
        self.unacked[shard].extend(e[0] for e in entries)
        return len(entries)

    def checkpoint(self) -> None:
        """Save each held shard's state and acknowledge what it covers, and time it (see run)."""
        began = time.monotonic()
        for s in sorted(self.held):
            ids = self.unacked[s]
            if not ids:
                continue
            blob = self.states[s].checkpoint()
            if not self._checkpoint(
                keys=[lease_key(s), checkpoint_key(s), stream_key(s)], args=[self.token, blob, GROUP, *ids]
            ):
                log.error("shard %s: lease lost before the checkpoint; its holder redoes the pending entries", s)
                self._leave(s)
                continue
            self.unacked[s] = []
        self.checkpoint_took = time.monotonic() - began

    def reset(self) -> None:
        """Back to the last checkpoint, as if the process had restarted: after a failure half-way
        through a batch, the in-memory state may be ahead of what was stored."""
        for s in self.held:
            self.states[s] = self._load(s)
            self.unacked[s] = []
        self.to_recover = set(self.held)

    def stranded(self) -> bool:
        """Whether a pending entry of my shards has waited longer than any checkpoint would take: it
        was delivered and then lost (a failure between reading and recording it, say). Then the
        worker goes back to its checkpoint and processes every pending entry again, in order."""
        idle_ms = int(self.stranded_after_s * 1000)
        for s in sorted(self.held):
            if self.redis.xpending_range(stream_key(s), GROUP, min="-", max="+", count=1, idle=idle_ms):
                return True
        return False

    def _all_done(self) -> bool:
        """Every entry of my shards processed and acknowledged, by me or by another worker."""
        pipe = self.redis.pipeline(transaction=False)
        for s in self.shards:
            pipe.xlen(stream_key(s))
        return not any(pipe.execute()) and not any(self.unacked.values())

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
        """Work until stopped (SIGTERM, SIGINT) or, with `idle_exit_s`, until idle that long with
        nothing left in any of my shards (another worker may hold one of them). When Redis or the
        database fails, wait (backing off up to 5 s), go back to the last checkpoint and carry on:
        nothing acknowledged was lost, and what was pending is processed again."""
        backoff = 0.2
        last_cp, since_cp, idle_since = time.monotonic(), 0, time.monotonic()
        last_sweep = time.monotonic()
        while not self.stopping:
            try:
                self._keep_leases_if_due()
                if time.monotonic() - last_sweep >= self.stranded_after_s / 2:
                    last_sweep = time.monotonic()
                    if self.stranded():
                        log.warning("entries pending for over %g s: back to the last checkpoint", self.stranded_after_s)
                        self.reset()
                        since_cp = 0
                if self.to_recover:
                    self.recover()
                got = 0
                for s in sorted(self.held):
                    resp = self.redis.xreadgroup(GROUP, self.consumer(s), {stream_key(s): ">"}, count=BATCH, block=50)
                    if resp:
                        got += self._process(s, resp[0][1])
                if not self.held:
                    time.sleep(0.1)
                since_cp += got
                now = time.monotonic()
                # every `every_s` (at once when `every_n` events wait), paced by the checkpoint's
                # own time: the state grows with the rooms (4 MB a shard after 150,000 events), and
                # checkpointing once a second the ten-minute soak's workers spent 84% of their time
                # pickling and fell behind
                every_s = 0.0 if since_cp >= self.every_n else self.every_s
                if since_cp and now - last_cp >= checkpoint_gap(every_s, self.checkpoint_took):
                    self.checkpoint()
                    last_cp, since_cp = time.monotonic(), 0
                backoff = 0.2
            except Retry:
                # a detector raised on an event: back to the checkpoint and on again from there; the
                # core counts the event's failures and, at the last, leaves it to the dead letters
                try:
                    self.reset()
                except TRANSIENT:
                    continue
                since_cp = 0
                continue
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
                since_cp = 0
                continue
            if idle_exit_s is None:
                continue
            if got or not self._all_done():
                idle_since = now
            elif now - idle_since >= idle_exit_s:
                break
        try:
            self.checkpoint()
        finally:
            self.release_leases()


def worker_main(redis_url: str, db_url: str | None, shards: list[int], idle_exit_s: float | None = None) -> None:
    """A worker process's entry point (clearlive worker, or spawned by clearlive serve --redis)."""
    for_long_runs()  # a worker allocates as a scan does (clearlive.watch.scan.heap)
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


def stop_workers(procs: list[Any], grace_s: float = 15.0) -> None:
    """Ask every worker process to stop (SIGTERM: it finishes its batch and checkpoints), wait up to
    `grace_s` for them all, then kill what is left. Killing is safe, as killing at any point is (see
    above), and a worker must not outlive its service: a second service started on the same Redis
    would find two workers per shard."""
    for proc in procs:
        proc.terminate()
    deadline = time.monotonic() + grace_s
    for proc in procs:
        proc.join(timeout=max(0.0, deadline - time.monotonic()))
    for proc in procs:
        if proc.is_alive():
            log.warning("worker %s did not stop within %g s; killing it", proc.name, grace_s)
            proc.kill()
            proc.join()


def supervise(procs: list[Any], start: Any, stop: Any, every_s: float = 2.0) -> None:
    """Keep worker processes running: a worker that died (killed, out of memory) is started again
    with the same shards, and resumes from its checkpoint. `start(k)` starts worker k; `stop` is a
    threading.Event. Runs until `stop` is set (in a thread of `clearlive serve --redis`)."""
    while not stop.wait(every_s):
        for k, proc in enumerate(procs):
            if not proc.is_alive() and not stop.is_set():
                log.warning("worker %s stopped (exit code %s); starting it again", proc.name, proc.exitcode)
                procs[k] = start(k)
