"""State whose checkpoint costs what changed, not what it holds.

A service worker pickles its scanners' state before it acknowledges events (every second under
load). Two structures made most of that state and were pickled whole every time, though most of
their contents had not changed since the previous checkpoint: the ids of the events each tenant's
scanner has seen (200,000 per tenant, for dedupe) and the fan-raid detector's map of where each
viewer was last (a hundred thousand viewers). Both are kept here in layers: an older part that no
longer changes, pickled once and its bytes kept (a later checkpoint copies the bytes), and a young
part, pickled each time. Lookups give exactly what one dict or one set would.
"""

from __future__ import annotations

import pickle
import threading
from collections import deque
from collections.abc import Hashable, Iterable, Iterator
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_MISSING: Any = object()


class _Frozen:
    """A layer that no longer changes, and its pickle once made (made at the first checkpoint)."""

    __slots__ = ("_blob", "value")

    def __init__(self, value: Any, blob: bytes | None = None) -> None:
        self.value = value
        self._blob = blob

    def blob(self) -> bytes:
        if self._blob is None:
            self._blob = pickle.dumps(self.value, protocol=pickle.HIGHEST_PROTOCOL)
        return self._blob

    @classmethod
    def of(cls, blob: bytes) -> _Frozen:
        return cls(pickle.loads(blob), blob)  # our own checkpoint (see the service's trust note)


class RollingIds:
    """The ids of the most recent events: a rolling window for dedupe, with no false positives.

    Ids are kept in GENERATIONS sets of `window // (GENERATIONS - 1)`: the current one takes new ids;
    when it is full it is frozen and the oldest frozen one is dropped. So every id among the last
    `window` added is remembered (a duplicate arriving within `window` events of its first is always
    caught), none older than about `window * GENERATIONS / (GENERATIONS - 1)` is, and an id never seen is
    never taken for a duplicate ("added" counts distinct ids: adding one already remembered changes
    nothing). A checkpoint pickles the current set and copies the frozen ones' bytes; a lookup is
    one set lookup (`every`, the union, is rebuilt on restore)."""

    GENERATIONS = 8

    def __init__(self, window: int, ids: Iterable[str] = ()) -> None:
        self.window = window
        self.per_generation = max(1, -(-window // (self.GENERATIONS - 1)))
        self.current: set[str] = set()
        self.frozen: deque[_Frozen] = deque()
        self.every: set[str] = set()  # the union of all generations: one lookup per event
        for i in ids:
            self.add(i)

    def __contains__(self, key: object) -> bool:
        return key in self.every

    def __len__(self) -> int:
        return len(self.every)

    def add(self, key: str) -> None:
        """Remember `key`, once: an id already remembered stays in its generation (a dedupe asks
        before it adds), so each id is in one generation only."""
        if key in self.every:
            return
        self.current.add(key)
        self.every.add(key)
        if len(self.current) >= self.per_generation:
            self.frozen.append(_Frozen(frozenset(self.current)))
            self.current = set()
            if len(self.frozen) >= self.GENERATIONS:
                self.every -= self.frozen.popleft().value  # its ids are in no other generation

    def __getstate__(self) -> dict[str, Any]:
        return {"window": self.window, "current": self.current, "frozen": [f.blob() for f in self.frozen]}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.window = state["window"]
        self.per_generation = max(1, -(-self.window // (self.GENERATIONS - 1)))
        self.current = state["current"]
        self.frozen = deque(_Frozen.of(b) for b in state["frozen"])
        self.every = self.current.union(*(f.value for f in self.frozen))


class LayeredMap(Generic[K, V]):
    """A dict (get, set, len, items) in two layers: `base`, pickled once after each merge, and `top`,
    the keys set since. A checkpoint pickles `top` and copies `base`'s bytes; `top` is merged into
    `base` when it holds MERGE_SHARE of `base`'s keys, so a checkpoint pickles what changed since the
    last merge, and `base` is pickled again once per merge (once per MERGE_SHARE * len(base) keys
    set)."""

    MERGE_SHARE = 0.25  # top is merged into base when it holds this share of base's keys
    MIN_TOP = 4096  # ... and at least this many keys (small maps are pickled whole anyway)

    def __init__(self, items: dict[K, V] | None = None) -> None:
        self.base: _Frozen = _Frozen(dict(items or {}))
        self.top: dict[K, V] = {}
        self._len = len(self.base.value)

    def get(self, key: K, default: V | None = None) -> V | None:
        value = self.top.get(key, _MISSING)
        if value is _MISSING:
            return self.base.value.get(key, default)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        top = self.top
        if key not in top:
            if key not in self.base.value:
                self._len += 1
            if len(top) >= self.MIN_TOP and len(top) >= self.MERGE_SHARE * len(self.base.value):
                self.base = _Frozen(self.base.value)  # the old bytes no longer describe it
                self.base.value.update(top)
                top = self.top = {}
        top[key] = value

    def __len__(self) -> int:
        return self._len

    def __contains__(self, key: object) -> bool:
        return key in self.top or key in self.base.value

    def items(self) -> Iterator[tuple[K, V]]:
        top = self.top
        for k, v in self.base.value.items():
            yield k, top.get(k, v)
        for k, v in top.items():
            if k not in self.base.value:
                yield k, v

    def __getstate__(self) -> dict[str, Any]:
        return {"base": self.base.blob(), "top": self.top, "len": self._len}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.base = _Frozen.of(state["base"])
        self.top = state["top"]
        self._len = state["len"]


class RoomPickles:
    """Checkpoints that pickle again only the rooms that changed (issue 21 item 4).

    A scanner's state refers to its rooms (`RoomState`) from several places: the rooms themselves,
    the lifecycle's ended rooms, the fan-raid calls. `dumps` pickles the state with each room named
    by a reference, and each room apart; a room's bytes are kept and copied into the next
    checkpoint unless the room is among `changed` (the rooms the scanner touched since: their events,
    their end, the cross-room windows that judged them). `loads` puts the same objects back in every
    place that referred to them, as one pickle of the whole state would. A room whose own state
    refers to another room cannot be pickled apart: then the state is pickled whole (format 1)."""

    FORMAT = 2

    def __init__(self) -> None:
        self.blobs: dict[int, tuple[Any, bytes]] = {}  # id(room) -> (the room, its pickle)
        self.reused = 0  # rooms copied unchanged into the last checkpoint (for tests and figures)

    def dumps(self, state: Any, changed: dict[int, Any], room_type: type) -> bytes:
        import io

        rooms: dict[int, bytes] = {}
        blobs = self.blobs
        reused = 0

        # reducer_override, not persistent_id: the pickler asks it only for objects other than
        # str, int, dict, list, tuple, set... (persistent_id is a Python call for every object of a
        # state of millions, which cost more than the rooms saved)
        def reducer_override(obj: Any) -> Any:
            nonlocal reused
            if type(obj) is not room_type:
                return NotImplemented
            key = id(obj)
            if key not in rooms:
                kept = blobs.get(key)
                if kept is not None and kept[0] is obj and key not in changed:
                    reused += 1
                    rooms[key] = kept[1]
                else:
                    blob = _room_alone(obj, room_type)
                    blobs[key] = (obj, blob)
                    rooms[key] = blob
            return _room_ref, (key,)

        buf = io.BytesIO()
        pickler = _Pickler(buf, reducer_override)
        try:
            pickler.dump(state)
        except _NotAlone:
            self.blobs = {}
            return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        self.blobs = {k: blobs[k] for k in rooms}  # rooms no longer referred to are let go
        self.reused = reused
        whole = {"format": self.FORMAT, "rooms": rooms, "state": buf.getvalue()}
        return pickle.dumps(whole, protocol=pickle.HIGHEST_PROTOCOL)


class _Pickler(pickle.Pickler):
    def __init__(self, file: Any, override: Any) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.override = override

    def reducer_override(self, obj: Any) -> Any:
        return self.override(obj)


class _NotAlone(Exception):
    """A room's state refers to another room."""


def _room_alone(room: Any, room_type: type) -> bytes:
    def reducer_override(obj: Any) -> Any:
        if type(obj) is room_type and obj is not room:
            raise _NotAlone
        return NotImplemented

    import io

    buf = io.BytesIO()
    _Pickler(buf, reducer_override).dump(room)
    return buf.getvalue()


# The rooms of the checkpoint being read, for `_room_ref` (per thread: workers read in their own).
_reading = threading.local()


def _room_ref(key: int) -> Any:
    return _reading.rooms[key]


def loads_state(blob: bytes) -> Any:
    """The state `RoomPickles.dumps` (or one plain pickle, as checkpoints from before) wrote."""

    outer = pickle.loads(blob)  # our own checkpoint (see the service's trust note)
    if not (isinstance(outer, dict) and outer.get("format") == RoomPickles.FORMAT and "rooms" in outer):
        return outer
    _reading.rooms = {key: pickle.loads(b) for key, b in outer["rooms"].items()}
    try:
        return pickle.loads(outer["state"])
    finally:
        _reading.rooms = {}
