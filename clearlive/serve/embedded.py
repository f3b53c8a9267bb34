"""From accepted events to stored findings: the detectors behind the live service.

`TenantScanners` runs the same `Scanner` the CLI uses, one per tenant, so that cross-room detectors
(fan raids, lockstep accounts, FRAUDAR) only ever link rooms of one tenant, and finding ids name the
tenant. The embedded pipeline is a
bounded in-process queue and one worker thread; `clearlive.serve.redis_transport` runs the same
`TenantScanners` in worker processes fed by Redis Streams. Both are transports around one
`clearlive.watch.scan.worker_core.WorkerCore` (store, detect, the error policy and the dead letters).
"""

from __future__ import annotations

import logging
import os
import pickle
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearlive.checkpointing import RollingIds, RoomPickles, loads_state
from clearlive.model.events import EventBase
from clearlive.model.findings import Finding
from clearlive.serve.store import ServiceStore
from clearlive.watch.detectors.base import RoomState
from clearlive.watch.scan.scanner import ScanConfig, Scanner
from clearlive.watch.scan.worker_core import TRANSIENT, DeadLetter, EventFailed, Retry, Tick, WorkerCore, checkpoint_gap

log = logging.getLogger("clearlive.serve")


class TenantScanners:
    """A scanner per tenant, and the ids of the events each has seen: an event delivered twice (a
    client's retry, a transport's redelivery) is processed once, so detector state never counts it
    twice. The seen ids are a rolling window (`RollingIds`: at least the SEEN_IDS most recent per
    tenant, exact, no false positives) and part of the state; a checkpoint pickles only their
    newest generation and copies the older ones' bytes.

    Each scanner owns its tenant's lifecycle (rooms ended, cross-room windows judged: see
    `clearlive.watch.scan.lifecycle`); `part` is the scanners' share of the work ("all", or "rooms"
    and "cross" where a runtime splits a tenant over workers, as the Redis workers do)."""

    SEEN_IDS = 200_000
    APART_SHARE = 0.5  # rooms are pickled apart when at most this share changed since the last checkpoint

    def __init__(self, config: ScanConfig | None = None, part: str = "all") -> None:
        self.config = config or ScanConfig()
        self.part = part
        self.scanners: dict[str, Scanner] = {}
        self.seen: dict[str, RollingIds] = {}
        self._spare: Scanner | None = None
        self._pickles: RoomPickles | None = None

    def warm(self) -> None:
        """Build a scanner ahead of the first tenant (rules, models: most of a second the first
        time), so that the first events a worker sees are not late."""
        if self._spare is None:
            self._spare = Scanner.from_config(self.config, part=self.part)

    def _scanner(self, tenant: str) -> Scanner:
        scanner = self.scanners.get(tenant)
        if scanner is None:
            scanner, self._spare = self._spare or Scanner.from_config(self.config, part=self.part), None
            scanner.tenant = tenant  # named in every finding id
            self.scanners[tenant] = scanner
            self.seen[tenant] = RollingIds(self.SEEN_IDS)
        return scanner

    def process(self, tenant: str, events: Iterable[EventBase]) -> list[Finding]:
        events = list(events)
        if tenant not in self.scanners and all(isinstance(e, Tick) for e in events):
            return []  # the clock of a tenant with no room here: nothing to end
        scanner = self._scanner(tenant)
        seen = self.seen[tenant]
        out: list[Finding] = []
        for ev in events:
            if isinstance(ev, Tick):  # another shard's event: the tenant's clock only
                try:
                    out.extend(scanner.advance(ev.ts))
                except TRANSIENT:
                    raise
                except Exception as exc:
                    raise EventFailed(ev, exc) from exc  # a tick is named by its id
                continue
            if ev.id in seen:
                continue
            seen.add(ev.id or "")
            try:
                out.extend(scanner.process(ev))
            except TRANSIENT:
                raise
            except Exception as exc:  # named, for the worker core's error policy
                raise EventFailed(ev, exc) from exc
        return out

    def state(self) -> dict[str, Any]:
        return {"scanners": {t: s.state() for t, s in self.scanners.items()}, "seen": self.seen}

    def checkpoint(self) -> bytes:
        """The state as bytes, the rooms that did not change since the last checkpoint copied from it
        (`RoomPickles`); `restore_from` reads it, and checkpoints made before as well."""
        if self._pickles is None:
            self._pickles = RoomPickles()
        changed: dict[int, Any] = {}
        rooms = 0
        for scanner in self.scanners.values():
            changed.update(scanner.track_changes())
            rooms += len(scanner.rooms) + len(scanner.clock.ended)
        if self.part == "cross" or len(changed) > self.APART_SHARE * rooms:
            # Pickling rooms apart costs more than it saves when most of them changed, and in the
            # cross lane, whose rooms every event of the tenant touches (docs/performance.md).
            self._pickles = RoomPickles()
            return pickle.dumps(self.state(), protocol=pickle.HIGHEST_PROTOCOL)
        return self._pickles.dumps(self.state(), changed, RoomState)

    def restore_from(self, blob: bytes) -> None:
        self.restore(loads_state(blob))

    def restore(self, state: dict[str, Any]) -> None:
        for tenant, scanner_state in state["scanners"].items():
            self._scanner(tenant).restore(scanner_state)
        # a checkpoint from before the rolling window holds an OrderedDict of ids, oldest first
        seen = state["seen"]
        self.seen = {t: s if isinstance(s, RollingIds) else RollingIds(self.SEEN_IDS, s) for t, s in seen.items()}


class _Patient:
    """The store as the embedded worker writes to it: a write the disk refuses is waited for and
    tried again (`EmbeddedPipeline._until_written`), never given up on."""

    def __init__(self, store: ServiceStore, until_written: Callable[[Callable[[], object]], None]) -> None:
        self.store = store
        self.until_written = until_written

    def add_events(self, tenant: str, events: Iterable[EventBase]) -> None:
        self.until_written(lambda: self.store.add_events(tenant, events))

    def add_findings(self, tenant: str, findings: Iterable[Finding]) -> None:
        self.until_written(lambda: self.store.add_findings(tenant, findings))

    def add_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        self.until_written(lambda: self.store.add_dead_letters(letters))


@dataclass
class Batch:
    tenant: str
    events: list[EventBase]


class QueueFull(Exception):
    """The workers are behind: the client should retry later (HTTP 503 with Retry-After)."""


class EmbeddedPipeline:
    """A bounded queue and a worker thread: events in, findings in the store.

    Accepted events are stored (not done) before the 202 answer, and the worker marks them done only
    after saving the detector state to `state_path` (every second): a process that dies loses
    nothing accepted; the next start restores the state and replays what was not done, in the order
    it was accepted. Without `state_path` (an in-memory store) events are marked done at once."""

    def __init__(
        self,
        store: ServiceStore,
        config: ScanConfig | None = None,
        max_batches: int = 1000,
        state_path: Path | None = None,
        start: bool = True,
        checkpoint_every_s: float = 1.0,
    ) -> None:
        self.store = store
        self.config = config
        self.scanners = TenantScanners(config)
        # events are stored when accepted (before the 202), so the core does not store them again
        self.core = WorkerCore(_Patient(store, self._until_written), store_events=False)
        self.snapshot: bytes | None = None  # the last checkpoint's state: where a retry starts from
        self.queue: queue.Queue[Batch | None] = queue.Queue(maxsize=max_batches)
        self.processed = 0
        self.state_path = state_path
        self.every_s = checkpoint_every_s
        self.unchecked = 0  # events processed since the last checkpoint
        self.last_id: tuple[str, str] | None = None  # (tenant, id) of the last event processed: all before it is done
        self.accepting = threading.Lock()  # store-then-queue in one step: queue order = acceptance order
        self.last_checkpoint = time.monotonic()
        self.checkpoint_took = 0.0  # seconds the last checkpoint took (pickling the detector state)
        self.waiting: str | None = None  # what the worker waits for (the disk), for /health
        self.on_findings: Callable[[str], None] | None = None  # told the tenant when findings are stored
        if state_path is not None and state_path.exists():
            self.snapshot = state_path.read_bytes()
            self.scanners.restore_from(self.snapshot)  # our own file
        self.replay = self._pending()
        self.thread = threading.Thread(target=self._work, name="clearlive-worker", daemon=True)
        if start:
            self.thread.start()

    def _pending(self) -> list[Batch]:
        batches: list[Batch] = []
        for tenant, ev in self.store.pending_events():
            if not batches or batches[-1].tenant != tenant or len(batches[-1].events) >= 1000:
                batches.append(Batch(tenant, []))
            batches[-1].events.append(ev)
        return batches

    def submit(self, tenant: str, events: list[EventBase]) -> None:
        if self.queue.full():
            raise QueueFull(f"{self.queue.maxsize} batches waiting")
        with self.accepting:
            new = self.store.add_events(tenant, events, done=False)  # durable before the client hears 202
            if new:
                self.queue.put(Batch(tenant, new), timeout=30)

    def _work(self) -> None:
        self.scanners.warm()
        for batch in self.replay:
            self._process(batch)
        self.replay = []
        self._checkpoint()
        while True:
            try:
                queued = self.queue.get(timeout=self.every_s)
            except queue.Empty:
                self._checkpoint()
                continue
            if queued is None:
                self._checkpoint()
                return
            try:
                self._process(queued)
                # (checkpointing whenever the queue ran empty pickled the state after every
                # request: at 5,000 events/s the service could take only 1,700)
                if time.monotonic() - self.last_checkpoint >= checkpoint_gap(self.every_s, self.checkpoint_took):
                    self._checkpoint()
            finally:
                self.queue.task_done()

    def _process(self, batch: Batch) -> None:
        try:
            found = self.core.process(self.scanners, batch.tenant, batch.events)
        except (Retry, *TRANSIENT) as exc:  # type: ignore[misc]  # mypy cannot unpack a typed tuple here
            self._rewind(exc)  # the batch's events are among those replayed
            return
        if found and self.on_findings is not None:
            self.on_findings(batch.tenant)  # wake the tenant's alert streams
        self._done(batch.tenant, batch.events)

    def _done(self, tenant: str, events: list[EventBase]) -> None:
        self.processed += len(events)
        if events:
            self.unchecked += len(events)
            self.last_id = (tenant, events[-1].id or "")

    def _rewind(self, why: BaseException) -> None:
        """A detector raised (see worker_core), or something it needs failed: back to the last
        checkpoint's state, and every event accepted since it processed again in order, without
        those moved to the dead letters. Events still in the queue are among them; when their batch
        comes, the scanners have seen them. (Writes to a full disk do not come here: the store
        waits for the disk, see `_until_written`.)"""
        delay = 0.05
        while True:
            if not isinstance(why, Retry):
                log.warning("worker: %s; back to the last checkpoint", why)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
            try:
                self.scanners = TenantScanners(self.config)
                if self.snapshot is not None:
                    self.scanners.restore_from(self.snapshot)
                self.scanners.warm()
                for batch in self._pending():
                    if self.core.process(self.scanners, batch.tenant, batch.events) and self.on_findings is not None:
                        self.on_findings(batch.tenant)
                    self._done(batch.tenant, batch.events)
                return
            except (Retry, *TRANSIENT) as exc:  # type: ignore[misc]  # mypy cannot unpack a typed tuple here
                why = exc

    def _until_written(self, write: Callable[[], object]) -> None:
        """Findings already made must reach the store: when it cannot write (the disk is full) the
        worker waits, says so in `waiting_for`, and tries again; events keep queueing meanwhile."""
        delay = 0.05
        while True:
            try:
                write()
            except OSError as exc:  # StoreUnwritable included
                if self.waiting is None:
                    log.warning("store cannot write, waiting: %s", exc)
                self.waiting = f"the disk (the embedded store cannot write: {exc.strerror or exc})"
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            self.waiting = None
            return

    def waiting_for(self) -> list[str]:
        return [self.waiting] if self.waiting else []

    def _checkpoint(self) -> None:
        """Save the detector state, then mark the events it covers done (in that order). When the
        disk is full the checkpoint is skipped: the events stay pending, a restart replays them."""
        if not self.unchecked:
            return
        began = time.monotonic()
        try:
            blob = self.scanners.checkpoint()
            if self.state_path is not None:
                tmp = self.state_path.with_suffix(".tmp")
                try:
                    tmp.write_bytes(blob)
                except OSError:
                    tmp.unlink(missing_ok=True)  # give back what the half-written file took
                    raise
                os.replace(tmp, self.state_path)  # atomic: a crash leaves the old state or the new one
            if self.last_id is not None:
                self.store.mark_done_through(*self.last_id)
            self.snapshot = blob
        except OSError as exc:
            self.waiting = f"the disk (checkpoint not written: {exc.strerror or exc})"
            log.warning("checkpoint skipped: %s", exc)
            return
        self.waiting = None
        self.unchecked = 0
        self.last_checkpoint = time.monotonic()
        self.checkpoint_took = self.last_checkpoint - began

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every submitted batch is processed (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks or self.replay:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def lag(self) -> int:
        """Batches waiting or being processed."""
        return self.queue.unfinished_tasks + len(self.replay)

    def close(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join(timeout=10)
