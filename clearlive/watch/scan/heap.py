"""The garbage collector's settings for a long scan.

A scan allocates container objects by the million (tuples, deques, groups of templated chat) and
frees almost all of them by reference counting; with the default young-generation threshold (700
allocations) the cyclic collector ran tens of thousands of times over 100,000 chat lines, and each
older-generation pass walked every detector's state again. About a fifth of a scan's CPU time on
real chat went there (docs/performance.md). Nothing a scan keeps relies on prompt cycle collection,
so the collector is run less often; what it would find is found later, never lost.
"""

from __future__ import annotations

import gc

YOUNG = 50_000  # allocations between young-generation collections (the default is 700)


def for_long_runs() -> None:
    """Collect the young generation every YOUNG allocations (older ones as before).

    Only in processes that do nothing else (a scan, its shards, a Redis worker): the threshold is
    process-wide, and the embedded worker thread shares its process with the API and whatever else
    the user runs there, so the embedded service keeps the default."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, old)


def freeze_built() -> None:
    """After the scanner is built, for a process that builds one and scans once (`clearlive scan`):
    the rules, automata and models live until the process ends, so the collector stops walking
    them (`gc.freeze`). Not for a service, which may discard a scanner and build another."""
    gc.freeze()
    for_long_runs()
