"""The layered structures of incremental checkpoints answer exactly what a dict or a window would,
before and after a checkpoint (pickle) and a restore."""

from __future__ import annotations

import pickle
from collections import OrderedDict
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from clearlive.checkpointing import LayeredMap, RollingIds

IDS = st.lists(st.sampled_from([f"e{i}" for i in range(60)]), max_size=300)


@settings(max_examples=200, deadline=None)
@given(IDS, st.integers(min_value=1, max_value=40), st.sets(st.integers(min_value=0, max_value=299)))
def test_rolling_ids_remember_the_window_and_invent_nothing(ids: list[str], window: int, checkpoints: set[int]) -> None:
    seen = RollingIds(window)
    added: list[str] = []
    for k, i in enumerate(ids):
        if k in checkpoints:  # a checkpoint and a restore in the middle of the stream change nothing
            seen = pickle.loads(pickle.dumps(seen))
        if i not in seen:  # as the dedupe does: ask, then add
            added.append(i)
        seen.add(i)  # adding an id remembered already changes nothing
        recent = set(added[-window:])
        ever = set(added)
        assert all(x in seen for x in recent)  # within the window: always caught
        assert all(x not in seen for x in {f"e{n}" for n in range(60)} - ever)  # never seen: never a duplicate
        # nothing older than the window's bound is kept (the generations are bounded)
        assert len(seen) <= window * RollingIds.GENERATIONS // (RollingIds.GENERATIONS - 1) + RollingIds.GENERATIONS


def test_rolling_ids_forget_what_left_the_window() -> None:
    seen = RollingIds(700)
    for n in range(10_000):
        seen.add(f"id{n}")
    assert "id9999" in seen and "id9300" in seen  # the last 700
    assert "id0" not in seen and "id8000" not in seen  # long gone: an id that old is processed again


def test_a_checkpoint_copies_the_frozen_generations_instead_of_pickling_them_again() -> None:
    seen = RollingIds(70)
    for n in range(100):
        seen.add(f"id{n}")
    pickle.dumps(seen)
    with patch("clearlive.checkpointing.pickle.dumps", side_effect=AssertionError("pickled again")):
        state = seen.__getstate__()  # the frozen generations' bytes are kept from the first time
    assert len(state["frozen"]) == len(seen.frozen) and state["current"] == seen.current


KEYS = st.sampled_from([f"u{i}" for i in range(30)])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(KEYS, st.integers()), max_size=200), st.sets(st.integers(min_value=0, max_value=199)))
def test_layered_map_answers_what_a_dict_answers(sets: list[tuple[str, int]], checkpoints: set[int]) -> None:
    with patch.object(LayeredMap, "MIN_TOP", 3):  # merge often
        layered: LayeredMap[str, int] = LayeredMap({"u0": -1})
        plain = {"u0": -1}
        for k, (key, value) in enumerate(sets):
            if k in checkpoints:
                layered = pickle.loads(pickle.dumps(layered))
            assert layered.get(key) == plain.get(key)
            assert (key in layered) == (key in plain)
            layered[key] = value
            plain[key] = value
            assert len(layered) == len(plain)
        assert dict(layered.items()) == plain
        assert layered.get("absent", None) is None


def test_tenant_scanners_restore_an_old_checkpoint_of_seen_ids() -> None:
    from clearlive.serve.embedded import TenantScanners

    scanners = TenantScanners()
    scanners.restore({"scanners": {}, "seen": {"acme": OrderedDict((f"e{n}", None) for n in range(10))}})
    assert isinstance(scanners.seen["acme"], RollingIds)
    assert "e0" in scanners.seen["acme"] and "e9" in scanners.seen["acme"] and "e10" not in scanners.seen["acme"]
