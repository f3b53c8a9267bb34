"""The event model of CONTRACT section 2: one msgspec Struct per event type.

Events are a tagged union on ``type`` so one decoder validates every line in C, and an error
names the offending field (``at `$.text```). Unknown extra fields are kept out of the struct but
do not make a line invalid, so producers may add fields freely.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, cast

import msgspec

FORMAT_VERSION = 1
MAX_TEXT_CHARS = 20_000  # one event's free text; a longer one is rejected with its line, never cut silently
Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT_CHARS)]
# Integers are stored in BIGINT columns and formatted: outside int64 they are refused when read
# (msgspec checks Meta bounds when decoding or converting, not when code builds an event).
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
# A float time (epoch ms) beyond this is no time at all (1e18 ms is 31 million years).
_TsFloat = Annotated[float, msgspec.Meta(ge=-1e18, le=1e18)]
MAX_ID_CHARS = 1000  # an id, room, user, order or SKU longer than this is refused
# Fields that become ids, keys, HTTP headers (the evidence file name) and SSE fields: no control
# characters in them (a CR or LF would start a new header or SSE line), whatever the mode.
ID_FIELDS = frozenset(
    {"id", "room_id", "session_id", "anchor_id", "shop_id", "lang", "user_id", "order_id", "sku", "currency"}
)
CONTROL_CHARS = frozenset(chr(c) for c in (*range(0x20), 0x7F, 0x85, 0x2028, 0x2029))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def parse_ts(value: str | int | float) -> int:
    """Return epoch milliseconds for an RFC 3339 string or epoch-millisecond number."""
    if isinstance(value, bool):
        raise ValueError("ts must be an RFC 3339 string or epoch milliseconds")
    if isinstance(value, (int, float)):
        return int(value)
    try:
        dt = datetime.fromisoformat(value)  # Python 3.11+ reads RFC 3339, 'Z' included
    except ValueError:
        raise ValueError(f"invalid timestamp {value!r} - at `$.ts`") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - _EPOCH) // _MS  # integer arithmetic: no float rounding of milliseconds


TS_MIN_DEFAULT = "2000-01-01T00:00:00Z"  # the service: live events
# Files (`clearlive scan`, `clearlive adapt`, tables): recordings, synthetic and test data may
# count from the epoch; what cannot be a time (before 1970, past tomorrow) is refused all the same.
FILES_TS_MIN_DEFAULT = "1970-01-01T00:00:00Z"
TS_AHEAD_DEFAULT_S = 86_400  # a day ahead of the clock: clock skew, time zones written wrong


class TimeWindow(msgspec.Struct, frozen=True):
    """The times an event read from outside may carry: from `min_ms` to `ahead_ms` past the clock
    at the moment it is read. Anything else (year 1, year 9999, 10**15 ms, 1e300) is refused at
    the door with its line and field, in `clearlive scan` and the service alike: a worker formats
    and stores every time it is given.

    Configurable by environment (read by every process, service workers included):
    `CLEARLIVE_TS_MIN` (RFC 3339 or epoch ms; default 2000-01-01 for the service, 1970-01-01 for
    files) and `CLEARLIVE_TS_AHEAD_S` (seconds, default a day)."""

    min_ms: int
    ahead_ms: int

    @classmethod
    def for_files(cls) -> TimeWindow:
        return cls.from_env(FILES_TS_MIN_DEFAULT)

    @classmethod
    def from_env(cls, default_min: str = TS_MIN_DEFAULT) -> TimeWindow:
        low = os.environ.get("CLEARLIVE_TS_MIN", default_min)
        ahead = os.environ.get("CLEARLIVE_TS_AHEAD_S", str(TS_AHEAD_DEFAULT_S))
        low_ms = int(low) if low.lstrip("-").isdigit() else parse_ts(low)
        return cls(min_ms=low_ms, ahead_ms=int(float(ahead) * 1000))

    def problem(self, ms: int, field: str) -> str | None:
        """Why `ms` is refused, or None."""
        high = int(time.time() * 1000) + self.ahead_ms
        if self.min_ms <= ms <= high:
            return None
        try:
            shown = format_ts(ms)
        except (OverflowError, ValueError, OSError):
            shown = f"{ms} ms"
        return (
            f"time {shown} outside the accepted window {format_ts(self.min_ms)} .. {format_ts(high)} "
            f"(CLEARLIVE_TS_MIN, CLEARLIVE_TS_AHEAD_S) - at `$.{field}`"
        )


def check_event(ev: EventBase, window: TimeWindow | None = None) -> EventBase:
    """What decoding alone cannot say about an event read from outside: its times are in the
    window. Raises msgspec.ValidationError naming the field, as a decoding error does, so every
    reader reports it the same way (line and field). Every reader of outside input calls it:
    `decode_event`, `convert_event`."""
    window = window or TimeWindow.from_env()
    for name in ("ts", "promised_delivery"):
        value = getattr(ev, name, None)
        if value is not None:
            problem = window.problem(value, name)
            if problem:
                raise msgspec.ValidationError(problem)
    return ev


class EventReader:
    """Decodes events from JSON (`decode`) or converts them from objects (`convert`), checked
    against the time window: the one door every reader (scan's files, tables, client adapters,
    the service's ingest) goes through. JSON nested too deep is a ValidationError too."""

    def __init__(self, window: TimeWindow | None = None) -> None:
        self.window = window or TimeWindow.from_env()
        self._decoder = msgspec.json.Decoder(Event)

    def decode(self, raw: bytes) -> EventBase:
        try:
            ev = self._decoder.decode(raw)
        except RecursionError:
            raise msgspec.ValidationError("JSON nested too deep") from None
        return check_event(ev, self.window)

    def convert(self, obj: Any, strict: bool = True) -> EventBase:
        try:
            ev = msgspec.convert(obj, Event, strict=strict)
        except RecursionError:
            raise msgspec.ValidationError("value nested too deep") from None
        return check_event(ev, self.window)


def format_ts(ms: int) -> str:
    """RFC 3339 in UTC with milliseconds, the form findings carry."""
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class EventBase(msgspec.Struct, tag_field="type", kw_only=True, omit_defaults=True):
    TEXT_FIELD: ClassVar[str | None] = None  # the free-text field text rules read, if any
    room_id: str
    # On the wire `ts` is an RFC 3339 string or epoch milliseconds (msgspec parses RFC 3339 in C);
    # __post_init__ makes it epoch milliseconds, so after decoding it is one type, and that is the
    # type the rest of the code (and the type checker) sees.
    if TYPE_CHECKING:
        ts: int
    else:
        ts: Int64 | datetime | _TsFloat
    id: str | None = None
    session_id: str | None = None
    anchor_id: str | None = None
    shop_id: str | None = None
    lang: str | None = None

    def __post_init__(self) -> None:
        # Normalise the clock once at decode time; everything downstream sees epoch ms.
        ts: object = self.ts
        if type(ts) is not int:
            if isinstance(ts, datetime):
                if ts.tzinfo is None:
                    ts = ts.replace(tzinfo=UTC)
                self.ts = (ts - _EPOCH) // _MS
            elif isinstance(ts, (str, int, float)):
                self.ts = parse_ts(ts)
        if not self.room_id:
            raise ValueError("room_id must not be empty - at `$.room_id`")
        # JSON may carry U+0000 (as \u0000); PostgreSQL cannot store it, so an event holding one
        # would stop a service-mode worker on every retry. Rejected here, the same in every mode.
        for i, value in enumerate(msgspec.structs.astuple(self)):
            name = self.__struct_fields__[i]
            if (type(value) is str and "\x00" in value) or (
                type(value) is list and any("\x00" in str(v) for v in value)
            ):
                raise ValueError(f"NUL character (U+0000) not allowed - at `$.{name}`")
            if type(value) is str and name in ID_FIELDS:
                if len(value) > MAX_ID_CHARS:
                    raise ValueError(f"longer than {MAX_ID_CHARS} characters - at `$.{name}`")
                if not CONTROL_CHARS.isdisjoint(value):
                    bad = next(c for c in value if c in CONTROL_CHARS)
                    raise ValueError(f"control character U+{ord(bad):04X} not allowed in an id - at `$.{name}`")


class SessionStart(EventBase, tag="session_start"):
    TEXT_FIELD: ClassVar[str | None] = "title"
    title: Text | None = None
    # Extension: the host's verified professional qualifications (执业医师, 律师执业证, ...),
    # as the platform filed them; rules with exempt_if_qualified consult them.
    qualifications: list[str] | None = None


class SessionEnd(EventBase, tag="session_end"):
    TEXT_FIELD: ClassVar[str | None] = "title"
    title: Text | None = None


class Utterance(EventBase, tag="utterance"):
    TEXT_FIELD: ClassVar[str | None] = "text"
    text: Text
    speaker: str = "host"
    start: float | None = None
    end: float | None = None
    # Set when the text came from speech recognition (clearlive/watch/audio): findings then say so and
    # lower their confidence by how sure the model was.
    source: str | None = None  # "asr"
    asr_model: str | None = None
    avg_logprob: float | None = None
    recording: str | None = None  # the file or stream URL the speech was heard in (start/end point into it)
    # [offset into `text` where a recognised word begins, its start s, its end s], offsets increasing:
    # a finding is placed at the words it quotes, not at the utterance's start (clearlive/watch/audio/timing.py).
    word_times: list[tuple[int, float, float]] | None = None


class ViewerEvent(EventBase, kw_only=True):
    """An action of one viewer. Extensions: `nickname` (the name shown in the room, not a key) and
    `anonymous` (the platform masked the viewer, e.g. Douyin rooms with viewer privacy on: the
    `user_id` is then unique to the message, and per-user detectors and counts leave it out)."""

    user_id: str
    nickname: str | None = None
    anonymous: bool = False


class Comment(ViewerEvent, tag="comment", kw_only=True):
    TEXT_FIELD: ClassVar[str | None] = "text"
    text: Text


class RoomStats(EventBase, tag="room_stats"):
    online: Int64
    total_viewers: Int64 | None = None
    likes_total: Int64 | None = None
    followers: Int64 | None = None


class Enter(ViewerEvent, tag="enter"):
    pass


class Follow(ViewerEvent, tag="follow"):
    pass


class Share(ViewerEvent, tag="share"):
    pass


class Like(ViewerEvent, tag="like"):
    count: Int64 = 1


class Gift(ViewerEvent, tag="gift", kw_only=True):
    gift: str
    value: float = 0.0
    count: Int64 = 1
    currency: str | None = None  # extension: ISO 4217 code of `value` (USD for TikTok, CNY for Douyin)


class Product(EventBase, tag="product"):
    TEXT_FIELD: ClassVar[str | None] = "title"
    sku: str
    title: Text
    category: str | None = None
    price: float | None = None
    list_price: float | None = None
    lowest_price_7d: float | None = None
    lowest_price_30d: float | None = None
    stock: Int64 | None = None
    origin: str | None = None
    brand: str | None = None
    qualifications: list[str] | None = None
    ingredients: list[str] | None = None  # extension: the label's ingredient list, for ingredient claims


def _epoch_ms(value: object) -> int | None:
    """A decoded time (RFC 3339 parsed by msgspec, or a number) as epoch milliseconds."""
    if value is None or type(value) is int:
        return value
    if isinstance(value, datetime):
        return ((value if value.tzinfo else value.replace(tzinfo=UTC)) - _EPOCH) // _MS
    if isinstance(value, (str, int, float)):
        return parse_ts(value)
    raise ValueError(f"invalid time {value!r}")


class Order(EventBase, tag="order"):
    order_id: str
    user_id: str
    sku: str
    qty: Int64 = 1
    amount: float = 0.0
    # extension (issue #22): when delivery was promised to the buyer (RFC 3339 or epoch ms on the
    # wire, epoch ms after decoding, as `ts`)
    if TYPE_CHECKING:
        promised_delivery: int | None = None
    else:
        promised_delivery: Int64 | datetime | _TsFloat | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.promised_delivery = _epoch_ms(self.promised_delivery)


class Refund(EventBase, tag="refund"):
    order_id: str
    reason: str | None = None


class Review(EventBase, tag="review"):
    TEXT_FIELD: ClassVar[str | None] = "text"
    order_id: str
    rating: Int64
    text: Text | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 1 <= self.rating <= 5:
            raise ValueError("rating must be between 1 and 5 - at `$.rating`")


class Complaint(EventBase, tag="complaint"):
    TEXT_FIELD: ClassVar[str | None] = "text"
    order_id: str
    reason: str | None = None
    text: Text | None = None


class Shipment(EventBase, tag="shipment"):
    order_id: str
    status: str
    carrier: str | None = None
    # extension (issue #22): a promised delivery time given with the shipment (overrides the order's)
    if TYPE_CHECKING:
        promised_delivery: int | None = None
    else:
        promised_delivery: Int64 | datetime | _TsFloat | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.promised_delivery = _epoch_ms(self.promised_delivery)


class Cancellation(EventBase, tag="cancellation"):
    """Extension (issue #22): an order cancelled before delivery; `by` says who cancelled
    (`seller`, `buyer`, `platform`) where the data knows."""

    order_id: str
    reason: str | None = None
    by: str | None = None


class ServiceChat(EventBase, tag="service_chat"):
    user_id: str
    order_id: str | None = None
    first_response_s: float | None = None


EVENT_TYPES: tuple[type[EventBase], ...] = (
    SessionStart,
    SessionEnd,
    Utterance,
    Comment,
    RoomStats,
    Enter,
    Follow,
    Share,
    Like,
    Gift,
    Product,
    Order,
    Refund,
    Review,
    Complaint,
    Shipment,
    Cancellation,
    ServiceChat,
)
# The tagged union one decoder validates against (the `type` field picks the struct).
Event = (
    SessionStart
    | SessionEnd
    | Utterance
    | Comment
    | RoomStats
    | Enter
    | Follow
    | Share
    | Like
    | Gift
    | Product
    | Order
    | Refund
    | Review
    | Complaint
    | Shipment
    | Cancellation
    | ServiceChat
)
TYPE_BY_NAME: dict[str, type[EventBase]] = {str(t.__struct_config__.tag): t for t in EVENT_TYPES}


def event_type(ev: EventBase) -> str:
    return cast(str, ev.__struct_config__.tag)  # every event type has a string tag


def scannable_text(ev: EventBase) -> str | None:
    """The free text of an event that text rules read, or None."""
    name = ev.TEXT_FIELD
    return getattr(ev, name) if name is not None else None


def event_field_of_text(ev: EventBase) -> str:
    """Name of the field `scannable_text` returns, so evidence can say where the quote lives."""
    return ev.TEXT_FIELD or "text"
