"""Adapters from real live clients' messages to ClearLive events (CONTRACT section 2).

The client libraries that read TikTok LIVE (TikTokLive, on TikTokLiveProto) and Douyin webcasts
(DouyinLiveWebFetcher's betterproto classes) are AGPL, so ClearLive does not import them: it reads
their messages as the JSON their `to_dict()` gives (camelCase keys, int64 as strings, enums as
names, zero values left out; or every default value with `include_default_values=True`). A
recording is JSON Lines in any of the styles recorders use:

- `{"type": "CommentEvent", "data": {...}}`: TikTokLive's event class names (`--from tiktok` only);
- `{"method": "WebcastChatMessage", "payload": {...}}`: the webcast method names (both platforms);
- the bare `to_dict()`: the method is read from `common.method`.

`--from` says which platform the messages are of: it decides the currency of gifts, how viewers
are keyed and which names are known. One message becomes at most a few events; the table, with
the details, is in docs/formats.md ("Live clients' messages"). Messages that carry nothing
ClearLive uses (ranks, banners, pauses) are skipped and counted; a message that lacks what its
event needs is an error naming the line and the field; an optional field that cannot be read is
left out and reported as a note, never a reason to reject the message.

The adapter is stateful over one recording (a file, or one request's body): it de-duplicates
messages by their id (TikTokLive emits FollowEvent and SocialEvent, LiveEndEvent and ControlEvent,
for one message), keeps one utterance per caption sentence, binds the recording to the platform
room it first sees, and carries the room's like and follower totals onto its `room_stats`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as default
from decimal import Decimal, InvalidOperation
from typing import Any

TIKTOK = "tiktok"
DOUYIN = "douyin"
SOURCES = (TIKTOK, DOUYIN)
# What a gift's diamonds are worth, in the platform's own currency: TikTok's coins buy diamonds at
# about USD 0.005 each (TikTokLive's GiftEvent.value uses the same rate); Douyin's 抖币 are sold at
# 10 to the yuan.
GIFT_RATE = {TIKTOK: (Decimal("0.005"), "USD"), DOUYIN: (Decimal("0.1"), "CNY")}
MASKED_DOUYIN_ID = "111111"  # every viewer's id in a Douyin room with viewer privacy on
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_COUNT = re.compile(r"([0-9][0-9,]*(?:\.[0-9]+)?)\s*(万|萬|亿|億|w|k|m|b)?\+?", re.IGNORECASE)
_UNITS = {"万": 10**4, "萬": 10**4, "w": 10**4, "亿": 10**8, "億": 10**8, "k": 10**3, "m": 10**6, "b": 10**9}
_ENDS = ("STREAM_ENDED", "STREAM_SUSPENDED")  # TikTok ControlAction names that end a stream (3, 4)


class AdapterError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _snake(d: Any) -> Any:
    """camelCase keys to snake_case, recursively (protobuf JSON uses camelCase, betterproto snake)."""
    if isinstance(d, dict):
        return {_CAMEL.sub("_", k).lower(): _snake(v) for k, v in d.items()}
    if isinstance(d, list):
        return [_snake(v) for v in d]
    return d


def _obj(value: Any) -> dict[str, Any]:
    """A sub-message, or an empty one: dumps with default values write absent ones as null."""
    return value if isinstance(value, dict) else {}


def parse_count(value: Any) -> int:
    """A count as platforms write it: 1520, "1520", "1,520", "42.3万", "1.2亿", "12.5K", "3M", "10w+"."""
    if isinstance(value, bool):
        raise ValueError(f"not a count: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    m = _COUNT.fullmatch(str(value).strip())
    if not m:
        raise ValueError(f"not a count: {value!r}")
    try:
        number = Decimal(m.group(1).replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"not a count: {value!r}") from None
    unit = m.group(2)
    return int(number * _UNITS[unit.lower() if unit.isascii() else unit]) if unit else int(number)


# message name (TikTokLive event class or webcast method) -> what it is
_WEBCAST = {
    "WebcastChatMessage": "comment", "WebcastEmojiChatMessage": "emoji", "WebcastQuestionNewMessage": "question",
    "WebcastMemberMessage": "enter", "WebcastLikeMessage": "like", "WebcastGiftMessage": "gift",
    "WebcastSocialMessage": "social", "WebcastRoomUserSeqMessage": "viewers", "WebcastCaptionMessage": "caption",
    "WebcastControlMessage": "control", "WebcastProductChangeMessage": "product",
}  # fmt: skip
_TIKTOK_EVENTS = {
    "CommentEvent": "comment", "QuestionNewEvent": "question", "JoinEvent": "enter", "LikeEvent": "like",
    "GiftEvent": "gift", "FollowEvent": "follow", "ShareEvent": "share", "SocialEvent": "social",
    "RoomUserSeqEvent": "viewers", "CaptionEvent": "caption", "ControlEvent": "control", "LiveEndEvent": "end",
    "LivePauseEvent": "control", "LiveUnpauseEvent": "control",
}  # fmt: skip
KINDS = {TIKTOK: {**_WEBCAST, **_TIKTOK_EVENTS}, DOUYIN: dict(_WEBCAST)}
_TIKTOK_EVENT_NAMES = frozenset(_TIKTOK_EVENTS) | {"EmoteChatEvent", "RankUpdateEvent", "RoomEvent", "UnknownEvent"}


def message_of(record: dict[str, Any]) -> tuple[str, Any]:
    """(message name, body) of one recorded line, whichever dump style wrote it."""
    if isinstance(record.get("type"), str) and "data" in record:
        return record["type"], record["data"]
    if isinstance(record.get("method"), str) and "payload" in record:
        return record["method"], record["payload"]
    for key in ("common", "commonInfo", "common_info"):  # a bare to_dict(): the method is in common
        method = _obj(record.get(key)).get("method")
        if isinstance(method, str) and method:
            return method, record
    return "", record


@dataclass
class Note:
    """An optional field that could not be read: left out of the event, reported, never fatal."""

    field: str
    message: str


@dataclass
class Adapter:
    """Reads one recording's messages in order (a file, or one request's body)."""

    source: str
    room_id: str
    last_ts: int | None = None
    platform_room: str | None = None  # the platform's roomId the recording is bound to
    seen: set[str] = default(default_factory=set)  # message ids already read
    sentences: set[str] = default(default_factory=set)  # caption sentences already read
    online: int | None = None
    likes_total: int | None = None
    followers: int | None = None
    last_msg_id: str | None = None
    masked: int = 0  # masked viewers read so far
    totals_pending: bool = False  # a like or follower total not yet carried onto a room_stats
    notes: list[Note] = default(default_factory=list)

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"unknown source {self.source!r}; use one of {', '.join(SOURCES)}")
        self.kinds = KINDS[self.source]

    def known(self, name: str) -> bool:
        """Whether a message name is one this source's clients send (read or knowingly skipped)."""
        return name.startswith("Webcast") or (self.source == TIKTOK and name in _TIKTOK_EVENT_NAMES)

    # -- one message -------------------------------------------------------------------------

    def adapt(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """One recorded message to zero or more ClearLive events (as dicts, validated by the caller)."""
        self.notes = []
        name, raw = message_of(record)
        if not isinstance(raw, dict):
            raise AdapterError("data", "the message body must be an object")
        kind = self.kinds.get(name)
        if kind is None:
            return []  # ranks, banners, emotes...: nothing ClearLive reads
        msg = _snake(raw)
        common = _obj(msg.get("common")) or _obj(msg.get("common_info"))
        msg_id = str(common.get("msg_id") or msg.get("msg_id") or "") or None
        if msg_id is not None and msg_id in self.seen:
            return []  # the same message under a second event class (FollowEvent + SocialEvent ...)
        self._bind_room(common)
        ts = self._ts(msg, common)
        base: dict[str, Any] = {"room_id": self.room_id, "ts": ts}
        if msg_id:
            base["id"] = f"{self.source}:{msg_id}"
        events = self._events(kind, msg, base, msg_id)
        if msg_id:
            self.seen.add(msg_id)
            self.last_msg_id = msg_id
        self.last_ts = ts
        return events

    def _events(self, kind: str, msg: dict[str, Any], base: dict[str, Any], msg_id: str | None) -> list[dict[str, Any]]:
        if kind in ("comment", "emoji", "question"):
            body = _obj(msg.get("data")) if kind == "question" else msg
            text = body.get("default_content") if kind == "emoji" else body.get("content")
            if not isinstance(text, str) or not text:
                raise AdapterError("content" if kind != "emoji" else "defaultContent", "a comment needs its text")
            return [{**base, "type": "comment", **self._user(body, msg_id), "text": text}]
        if kind == "enter":
            return [{**base, "type": "enter", **self._user(msg, msg_id)}]
        if kind == "like":
            self._total(msg, "total", "likes_total")
            like = {**base, "type": "like", **self._user(msg, msg_id)}
            count = self._optional_count(msg, "count")
            if count is not None:
                like["count"] = count
            return [like]
        if kind == "gift":
            return self._gift(msg, base, msg_id)
        if kind in ("follow", "share", "social"):
            self._total(msg, "follow_count", "followers")
            action = kind if kind != "social" else self._social_kind(msg)
            return [{**base, "type": action, **self._user(msg, msg_id)}] if action else []
        if kind == "viewers":
            return self._room_stats(msg, base)
        if kind == "caption":
            return self._caption(msg, base)
        if kind in ("control", "end"):
            return [{**base, "type": "session_end"}] if kind == "end" or self._ends_stream(msg) else []
        if kind == "product":
            toast = msg.get("update_toast") if isinstance(msg.get("update_toast"), str) else ""
            out = []
            for i, info in enumerate(msg.get("update_product_info_list") or []):
                sku = _obj(info).get("promotion_id")
                if sku not in (None, "", "0", 0):
                    ev = {**base, "type": "product", "sku": str(sku), "title": toast}
                    if i and "id" in ev:
                        ev["id"] = f"{ev['id']}#{i}"
                    out.append(ev)
            return out
        return []

    # -- the parts ---------------------------------------------------------------------------

    def _bind_room(self, common: dict[str, Any]) -> None:
        room = common.get("room_id")
        if room in (None, "", "0", 0):
            return
        room = str(room)
        if self.platform_room is None:
            self.platform_room = room
        elif room != self.platform_room:
            raise AdapterError(
                "common.roomId",
                f"a message of platform room {room} in a recording of platform room {self.platform_room} "
                f"(room {self.room_id}): record each room to its own file",
            )

    def _ts(self, msg: dict[str, Any], common: dict[str, Any]) -> int:
        for value in (common.get("create_time"), msg.get("create_time"), msg.get("timestamp_ms")):
            if value in (None, "", 0, "0"):
                continue
            try:
                t = int(value)
            except (TypeError, ValueError):
                raise AdapterError("common.createTime", f"not a time: {value!r}") from None
            return t * 1000 if t < 10**11 else t  # seconds or milliseconds
        if self.last_ts is None:
            raise AdapterError("common.createTime", "no time on the message and none before it")
        return self.last_ts

    def _user(self, msg: dict[str, Any], msg_id: str | None) -> dict[str, Any]:
        """user_id (the platform's stable numeric id), nickname, and the anonymous flag."""
        user = _obj(msg.get("user"))
        out: dict[str, Any] = {}
        nickname = user.get("nickname", user.get("nick_name"))
        if isinstance(nickname, str) and nickname:
            out["nickname"] = nickname
        uid = str(user.get("id") or user.get("id_str") or "")
        if self.source == DOUYIN and uid == MASKED_DOUYIN_ID:
            # Viewer privacy: the id names nobody. One id per message keeps masked viewers apart
            # (never merged into one heavy user); the flag makes per-user detectors skip them.
            self.masked += 1
            key = msg_id or f"n{self.masked}"
            return {**out, "user_id": f"{DOUYIN}-anonymous:{key}", "anonymous": True}
        if uid in ("", "0"):
            # displayId / uniqueId is the handle its owner can change; only without an id is it the key
            for key in ("sec_uid", "short_id", "display_id", "unique_id"):
                value = user.get(key)
                if value not in (None, "", "0", 0):
                    uid = str(value)
                    break
        if not uid:
            raise AdapterError("user", "no user id (user.id, secUid or displayId)")
        return {**out, "user_id": uid}

    def _optional_count(self, msg: dict[str, Any], key: str) -> int | None:
        value = msg.get(key)
        if value in (None, ""):
            return None
        try:
            return parse_count(value)
        except ValueError as exc:
            self.notes.append(Note(key, f"{exc}; left out"))
            return None

    def _total(self, msg: dict[str, Any], key: str, slot: str) -> None:
        value = self._optional_count(msg, key)
        if value:  # 0 is "not sent" in these dumps
            setattr(self, slot, value)
            self.totals_pending = True

    def _social_kind(self, msg: dict[str, Any]) -> str | None:
        """follow or share, the way TikTokLive tells them (the display-text key), else by the fields."""
        key = str(_obj(_obj(msg.get("common")).get("display_text")).get("key") or "")
        if "follow" in key:
            return "follow"
        if "share" in key:
            return "share"
        share_type = msg.get("share_type")
        if (share_type not in (None, "", "0", 0)) or msg.get("share_target"):
            return "share"  # with default values, shareType is "0" and shareTarget "": not a share
        action = str(msg.get("action") or "")
        return {"1": "follow", "3": "share"}.get(action)

    def _gift(self, msg: dict[str, Any], base: dict[str, Any], msg_id: str | None) -> list[dict[str, Any]]:
        gift = _obj(msg.get("gift"))
        gift_type = str(gift.get("type") or "0")
        streakable = gift_type == "1" or (self.source == DOUYIN and gift.get("combo") is True)
        if streakable and str(msg.get("repeat_end") or "0") in ("0", "false", "False"):
            return []  # mid-streak (repeatEnd left out means 0): the streak's end carries the total
        count = None
        for key in ("repeat_count", "combo_count"):
            count = self._optional_count(msg, key)
            if count:
                break
        count = count or 1
        name = gift.get("name") or gift.get("describe") or str(msg.get("gift_id") or gift.get("id") or "gift")
        out = {**base, "type": "gift", **self._user(msg, msg_id), "gift": str(name), "count": count}
        diamonds = self._optional_count(gift, "diamond_count")
        if diamonds is not None:
            rate, currency = GIFT_RATE[self.source]
            out["value"] = float(count * diamonds * rate)
            out["currency"] = currency
        return [out]

    def _room_stats(self, msg: dict[str, Any], base: dict[str, Any]) -> list[dict[str, Any]]:
        counts = [self._optional_count(msg, key) for key in ("total", "online_user_for_anchor", "total_str")]
        # zero is also what a dump with default values writes for a field never sent
        online = next((c for c in counts if c), 0 if 0 in counts else None)
        if online is None:
            raise AdapterError("total", "no current viewer count (total)")
        self.online = online
        out = {**base, "type": "room_stats", "online": online}
        for key in ("total_pv_for_anchor", "total_user", "total_user_str"):
            cumulative = self._optional_count(msg, key)
            if cumulative:
                out["total_viewers"] = cumulative
                break
        return [self._with_totals(out)]

    def _with_totals(self, stats: dict[str, Any]) -> dict[str, Any]:
        if self.likes_total is not None:
            stats["likes_total"] = self.likes_total
        if self.followers is not None:
            stats["followers"] = self.followers
        self.totals_pending = False
        return stats

    def _caption(self, msg: dict[str, Any], base: dict[str, Any]) -> list[dict[str, Any]]:
        if msg.get("definite") is not True:
            return []  # a partial caption: the final one of the sentence follows
        sentence = str(msg.get("sentence_id") or "")
        if sentence and sentence in self.sentences:
            return []
        parts = [_obj(c) for c in msg.get("content") or [] if isinstance(c, dict)]
        if isinstance(msg.get("content"), str):  # a recorder that flattened the caption itself
            parts = [{"content": msg["content"]}]
        first = next((p for p in parts if isinstance(p.get("content"), str) and p["content"].strip()), None)
        if first is None:
            return []
        if sentence:
            self.sentences.add(sentence)
        out = {**base, "type": "utterance", "speaker": "host", "text": first["content"]}
        start = self._optional_count(msg, "timestamp_ms")  # when the sentence began, not when it was final
        if start:
            out["ts"] = start
        lang = first.get("lang")
        if isinstance(lang, str) and lang:
            out["lang"] = lang
        return [out]

    def _ends_stream(self, msg: dict[str, Any]) -> bool:
        if self.source == DOUYIN:
            return str(msg.get("status") or "") == "3"
        action = str(msg.get("action") or "")
        return action in ("3", "4") or action.endswith(_ENDS)

    def flush(self) -> list[dict[str, Any]]:
        """At the end of a recording: like and follower totals no room_stats has carried yet (with
        the last known online count), under an id made from the last message, so a re-sent batch
        adds nothing."""
        if not self.totals_pending or self.online is None or self.last_ts is None:
            return []
        stats = {"type": "room_stats", "room_id": self.room_id, "ts": self.last_ts, "online": self.online}
        if self.last_msg_id:
            stats["id"] = f"{self.source}:{self.last_msg_id}#totals"
        return [self._with_totals(stats)]


@dataclass
class Line:
    """What one line of a recording gave: events, or an error naming the field; and notes."""

    n: int
    events: list[dict[str, Any]] | None
    field: str | None = None
    error: str | None = None
    notes: list[Note] = default(default_factory=list)
    known: bool = True  # a message of the source's clients (read, or knowingly skipped)
    closing: bool = False  # not a line: what the recording's end released (Adapter.flush)


def adapt_lines(lines: Iterable[bytes], room_id: str, source: str) -> Iterator[Line]:
    """Each line of a JSON Lines recording of `source`'s messages, adapted in order."""
    import msgspec

    adapter = Adapter(source, room_id)
    n = 0
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = msgspec.json.decode(line)
            if not isinstance(record, dict):
                raise AdapterError("type", "each line must be an object")
            known = adapter.known(message_of(record)[0])
            events = adapter.adapt(record)
        except msgspec.DecodeError as exc:
            yield Line(n, None, None, f"JSON is malformed: {exc}", known=False)
            continue
        except RecursionError:  # msgspec's own depth limit: a hostile line, never a server error
            yield Line(n, None, None, "JSON nested too deep", known=False)
            continue
        except AdapterError as exc:
            yield Line(n, None, exc.field, str(exc))
            continue
        yield Line(n, events, notes=adapter.notes, known=known)
    tail = adapter.flush()
    if tail:
        yield Line(n, tail, closing=True)


def adapt_recording(
    lines: Iterable[bytes], room: str, source: str, anchor: str | None = None
) -> Iterator[tuple[Line, list[dict[str, Any]] | None]]:
    """Each line of a recording and the valid ClearLive events it gave (None when it was rejected).

    The one path from client messages to events: `clearlive adapt` and the service's
    `POST /api/v1/events?source=` both read through it, so they give the same events.
    """
    import msgspec

    from clearlive.model.events import EventReader, TimeWindow
    from clearlive.watch.sources.rejects import field_of

    reader = EventReader(TimeWindow.for_files())  # the service checks its own window after
    for line in adapt_lines(lines, room, source):
        if line.events is None:
            yield line, None
            continue
        kept = []
        for ev in line.events:
            if anchor:
                ev["anchor_id"] = anchor
            try:
                reader.convert(ev)  # what scan will accept: the same checks, time window included
            except msgspec.ValidationError as exc:
                yield Line(line.n, None, field_of(str(exc)), str(exc)), None
                break
            kept.append(ev)
        else:
            yield line, kept
