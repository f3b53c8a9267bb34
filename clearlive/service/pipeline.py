"""From accepted events to stored findings: the detectors behind the live service.

`TenantScanners` runs the same `Scanner` the CLI uses, one per tenant, so that cross-room detectors
(fan raids, lockstep accounts) only ever link rooms of one tenant. The embedded pipeline is a
bounded in-process queue and one worker thread; `clearlive.service.redis_transport` runs the same
`TenantScanners` in worker processes fed by Redis Streams.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from clearlive.model.events import EventBase
from clearlive.model.findings import Finding
from clearlive.pipeline.scan import ScanConfig, Scanner
from clearlive.service.store import ServiceStore

log = logging.getLogger("clearlive.service")


class TenantScanners:
    """A scanner per tenant, and the ids of the events each has seen: an event delivered twice (a
    client's retry, a transport's redelivery) is processed once, so detector state never counts it
    twice. The seen ids are bounded (the most recent SEEN_IDS per tenant) and part of the state."""

    SEEN_IDS = 200_000

    def __init__(self, config: ScanConfig | None = None) -> None:
        self.config = config or ScanConfig()
        self.scanners: dict[str, Scanner] = {}
        self.seen: dict[str, OrderedDict[str, None]] = {}
        self._spare: Scanner | None = None

    def warm(self) -> None:
        """Build a scanner ahead of the first tenant (rules, models: most of a second the first
        time), so that the first events a worker sees are not late."""
        if self._spare is None:
            self._spare = Scanner.from_config(self.config)

    def _scanner(self, tenant: str) -> Scanner:
        scanner = self.scanners.get(tenant)
        if scanner is None:
            scanner, self._spare = self._spare or Scanner.from_config(self.config), None
            self.scanners[tenant] = scanner
            self.seen[tenant] = OrderedDict()
        return scanner

    def process(self, tenant: str, events: Iterable[EventBase]) -> list[Finding]:
        scanner = self._scanner(tenant)
        seen = self.seen[tenant]
        out: list[Finding] = []
        for ev in events:
            if ev.id in seen:
                continue
            seen[ev.id or ""] = None
            if len(seen) > self.SEEN_IDS:
                seen.popitem(last=False)
            out.extend(scanner.process(ev))
        return out

    def state(self) -> dict[str, Any]:
        return {"scanners": {t: s.state() for t, s in self.scanners.items()}, "seen": self.seen}

    def restore(self, state: dict[str, Any]) -> None:
        for tenant, scanner_state in state["scanners"].items():
            self._scanner(tenant).restore(scanner_state)
        self.seen = state["seen"]


@dataclass
class Batch:
    tenant: str
    events: list[EventBase]


class QueueFull(Exception):
    """The workers are behind: the client should retry later (HTTP 503 with Retry-After)."""


class EmbeddedPipeline:
    """A bounded queue and a worker thread: events in, findings in the store."""

    def __init__(self, store: ServiceStore, config: ScanConfig | None = None, max_batches: int = 1000) -> None:
        self.store = store
        self.scanners = TenantScanners(config)
        self.queue: queue.Queue[Batch | None] = queue.Queue(maxsize=max_batches)
        self.processed = 0
        self.thread = threading.Thread(target=self._work, name="clearlive-worker", daemon=True)
        self.thread.start()

    def submit(self, tenant: str, events: list[EventBase]) -> None:
        try:
            self.queue.put_nowait(Batch(tenant, events))
        except queue.Full as exc:
            raise QueueFull(f"{self.queue.maxsize} batches waiting") from exc

    def _work(self) -> None:
        self.scanners.warm()
        while True:
            batch = self.queue.get()
            if batch is None:
                return
            try:
                found = self.scanners.process(batch.tenant, batch.events)
                self.store.add_events(batch.tenant, batch.events)  # now with their room's session and host
                self.store.add_findings(batch.tenant, found)
                self.processed += len(batch.events)
            except Exception:  # a bad batch must not stop the worker; it is logged with its size
                log.exception("batch of %d events for tenant %s failed", len(batch.events), batch.tenant)
            finally:
                self.queue.task_done()

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every submitted batch is processed (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def lag(self) -> int:
        """Batches waiting or being processed."""
        return self.queue.unfinished_tasks

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join(timeout=10)
