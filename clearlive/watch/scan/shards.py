"""`clearlive scan --jobs N`: a tenant's rooms sharded over processes, the findings merged in the order
one scanner reports them.

Each of the N shard processes reads the whole input itself (the readers are deterministic: the same
files give the same events in the same order) and runs the per-room part of the scanner (`Scanner`
part "rooms") on the rooms it owns, CRC32 of the room id modulo N, as the Redis workers shard them.
For the other rooms' events it only moves its clock (`Scanner.advance`), so that its rooms end and
its sweeps run at the very events where one scanner's would. The parent process runs the
cross-room part ("cross": fan raids, FRAUDAR and lockstep windows, the population judgements) over
the merged stream of every event, as the single scanner does.

Every finding is tagged with the index of the event that gave it and the step of `Scanner.process`
that made it (the room's end before the event, the per-room detectors, the cross-room detectors,
the end at `session_end`, the sweep's ended rooms in room order, the sweep's closed windows); the
parts' findings sorted by that tag are one scanner's findings in one scanner's order.
"""

from __future__ import annotations

import multiprocessing
import sys
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from clearlive.model.events import EventBase
from clearlive.model.findings import Finding
from clearlive.watch.scan.heap import freeze_built
from clearlive.watch.scan.scanner import ScanConfig, Scanner
from clearlive.watch.scan.sessions import SessionSummary
from clearlive.watch.sources import ReadStats, Reject, read_inputs

# The steps of Scanner.process, in the order one scanner reports their findings.
PRE, ROOM_DETECTORS, CROSS_DETECTORS, AT_END, SWEEP_ROOMS, SWEEP_WINDOWS = range(6)
FINAL = sys.maxsize  # the "event index" of what Scanner.finish reports

Tag = tuple[int, int, str]  # (event index, step, room id for the sweep's ended rooms, else "")
Tagged = list[tuple[Tag, Finding]]


def shard_of(room_id: str, shards: int) -> int:
    """The shard owning a room: CRC32 of its id, as the live service shards rooms."""
    return zlib.crc32(room_id.encode()) % shards


def _tag(index: int, found: list[Finding], marks: list[int] | None, rooms: bool, out: Tagged) -> None:
    """Tag one `process` (with its `marks`) or one sweep or finish (`marks` None: all sweep)."""
    pre, observed, ended = marks if marks is not None else (0, 0, 0)
    for j, f in enumerate(found):
        if j < pre:
            out.append(((index, PRE, ""), f))
        elif j < observed:
            out.append(((index, ROOM_DETECTORS if rooms else CROSS_DETECTORS, ""), f))
        elif j < ended:
            out.append(((index, AT_END, ""), f))
        elif rooms:
            out.append(((index, SWEEP_ROOMS, f.room_id), f))  # one scanner ends idle rooms in id order
        else:
            out.append(((index, SWEEP_WINDOWS, ""), f))


def _ignore(_: Reject) -> None:
    return None  # the parent reports rejected records, once


def _shard(job: tuple[ScanConfig, list[str], int, int]) -> Tagged:
    """One shard process: the per-room detectors over the rooms it owns."""
    config, paths, shards, k = job
    scanner = Scanner.from_config(config, part="rooms")
    freeze_built()
    out: Tagged = []
    for i, ev in enumerate(read_inputs(paths, config.inputs, _ignore, ReadStats())):
        if shard_of(ev.room_id, shards) == k:
            marks: list[int] = []
            found = scanner.process(ev, marks)
            if found:
                _tag(i, found, marks, True, out)
        else:
            found = scanner.advance(ev.ts)
            if found:
                _tag(i, found, None, True, out)
    _tag(FINAL, scanner.finish(), None, True, out)
    return out


@dataclass
class ShardedResult:
    findings: list[Finding]
    sessions: list[SessionSummary]


def scan_sharded(
    config: ScanConfig,
    paths: list[str],
    events: Iterable[EventBase],
    jobs: int,
    on_event: Callable[[EventBase], None] | None = None,
) -> ShardedResult:
    """Scan `paths` with `jobs` shard processes beside this one; `events` is the parent's own reading of the same
    paths (with the caller's reject handling): it feeds the cross-room part and `on_event`.
    The findings are those of `Scanner.run` over `events`, in the same order."""
    if jobs < 1:
        raise ValueError("a sharded scan needs at least one shard process")
    if any(p == "-" for p in paths):
        raise ValueError("a sharded scan reads its inputs in every process: standard input cannot be shared")
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ctx.Pool(jobs) as pool:
        pending = pool.map_async(_shard, [(config, paths, jobs, k) for k in range(jobs)])
        cross = Scanner.from_config(config, part="cross")
        freeze_built()
        tagged: Tagged = []
        for i, ev in enumerate(events):
            marks: list[int] = []
            found = cross.process(ev, marks)
            if on_event is not None:
                on_event(ev)
            if found:
                _tag(i, found, marks, False, tagged)
        _tag(FINAL, cross.finish(), None, False, tagged)
        for part in pending.get():
            tagged.extend(part)
    tagged.sort(key=lambda t: t[0])  # stable: each part's findings of one tag keep their order
    for tag, f in tagged:
        if tag[1] not in (CROSS_DETECTORS, SWEEP_WINDOWS):
            cross.sessions.add_finding(f)  # the parent's summaries count the shards' findings too
    return ShardedResult([f for _, f in tagged], cross.sessions.summaries())
