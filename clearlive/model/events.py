"""The event model of CONTRACT section 2: one msgspec Struct per event type.

Events are a tagged union on ``type`` so one decoder validates every line in C, and an error
names the offending field (``at `$.text```). Unknown extra fields are kept out of the struct but
do not make a line invalid, so producers may add fields freely.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, ClassVar, cast

import msgspec

FORMAT_VERSION = 1
MAX_TEXT_CHARS = 20_000  # one event's free text; a longer one is rejected with its line, never cut silently
Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT_CHARS)]


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
        ts: int | datetime | float
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
            if (type(value) is str and "\x00" in value) or (
                type(value) is list and any("\x00" in str(v) for v in value)
            ):
                raise ValueError(f"NUL character (U+0000) not allowed - at `$.{self.__struct_fields__[i]}`")


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
    # Set when the text came from speech recognition (clearlive/audio): findings then say so and
    # lower their confidence by how sure the model was.
    source: str | None = None  # "asr"
    asr_model: str | None = None
    avg_logprob: float | None = None


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
    online: int
    total_viewers: int | None = None
    likes_total: int | None = None
    followers: int | None = None


class Enter(ViewerEvent, tag="enter"):
    pass


class Follow(ViewerEvent, tag="follow"):
    pass


class Share(ViewerEvent, tag="share"):
    pass


class Like(ViewerEvent, tag="like"):
    count: int = 1


class Gift(ViewerEvent, tag="gift", kw_only=True):
    gift: str
    value: float = 0.0
    count: int = 1
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
    stock: int | None = None
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
    qty: int = 1
    amount: float = 0.0
    # extension (issue #22): when delivery was promised to the buyer (RFC 3339 or epoch ms on the
    # wire, epoch ms after decoding, as `ts`)
    if TYPE_CHECKING:
        promised_delivery: int | None = None
    else:
        promised_delivery: int | datetime | float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.promised_delivery = _epoch_ms(self.promised_delivery)


class Refund(EventBase, tag="refund"):
    order_id: str
    reason: str | None = None


class Review(EventBase, tag="review"):
    TEXT_FIELD: ClassVar[str | None] = "text"
    order_id: str
    rating: int
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
        promised_delivery: int | datetime | float | None = None

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
