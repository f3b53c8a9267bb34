"""Adapters from real live clients' messages to ClearLive events (CONTRACT section 2).

The client libraries that read TikTok LIVE (TikTokLive) and Douyin webcasts (DouyinLiveWebFetcher
and similar) are AGPL, so ClearLive does not import them: it reads their messages as the plain
dicts they turn into (`betterproto` `to_dict()`, protobuf JSON, or what a recorder wrote), with
snake_case or camelCase keys. A recording is JSON Lines of `{"type": "CommentEvent", "data": {...}}`
(TikTokLive's event class names) or `{"method": "WebcastChatMessage", "payload": {...}}` (Douyin's
method names). Messages that carry nothing ClearLive uses (ranks, banners, emotes) are skipped and
counted; a message it cannot read is an error naming the line and the field.

| TikTokLive | Douyin | ClearLive |
|---|---|---|
| CommentEvent | WebcastChatMessage | `comment` (user, text) |
| JoinEvent | WebcastMemberMessage | `enter` |
| LikeEvent | WebcastLikeMessage | `like` (count) |
| GiftEvent (at the end of a streak) | WebcastGiftMessage (at repeat end) | `gift` (name, count, value) |
| FollowEvent, ShareEvent, SocialEvent | WebcastSocialMessage | `follow` / `share` |
| RoomUserSeqEvent | WebcastRoomUserSeqMessage | `room_stats` (online = current viewers) |
| CaptionEvent | (none) | `utterance` (speaker host): the platform's captions of the host's speech |
| ControlEvent / LiveEndEvent | WebcastControlMessage (status 3) | `session_end` |
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

TIKTOK = "tiktok"
DOUYIN = "douyin"
SOURCES = (TIKTOK, DOUYIN)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


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


def _get(d: dict[str, Any], *path: str, default: Any = None) -> Any:
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return default
        d = d[key]
    return d


def _user_id(msg: dict[str, Any], field: str = "user") -> str:
    user = msg.get(field) or {}
    for key in ("unique_id", "display_id", "id", "sec_uid", "short_id", "user_id"):
        value = user.get(key) if isinstance(user, dict) else None
        if value not in (None, "", 0):
            return str(value)
    raise AdapterError(field, "no user id (unique_id, display_id, id or sec_uid)")


def _ts(msg: dict[str, Any], fallback: int | None) -> int:
    for path in (("common", "create_time"), ("create_time",), ("event_time",), ("timestamp_ms",), ("send_time",)):
        value = _get(msg, *path)
        if value not in (None, "", 0):
            t = int(value)
            return t * 1000 if t < 10**11 else t  # seconds or milliseconds
    if fallback is None:
        raise AdapterError("common.create_time", "no time on the message and none given")
    return fallback


def _int(msg: dict[str, Any], *keys: str, default: int | None = None) -> int | None:
    for key in keys:
        value = msg.get(key)
        if value not in (None, ""):
            try:
                return int(value)
            except (TypeError, ValueError) as exc:
                raise AdapterError(key, f"not a number: {value!r}") from exc
    return default


# message kind (TikTokLive event name or Douyin method) -> ClearLive kind
KINDS = {
    "CommentEvent": "comment", "WebcastChatMessage": "comment",
    "JoinEvent": "enter", "WebcastMemberMessage": "enter",
    "LikeEvent": "like", "WebcastLikeMessage": "like",
    "GiftEvent": "gift", "WebcastGiftMessage": "gift",
    "FollowEvent": "follow", "ShareEvent": "share", "SocialEvent": "social", "WebcastSocialMessage": "social",
    "RoomUserSeqEvent": "viewers", "WebcastRoomUserSeqMessage": "viewers",
    "CaptionEvent": "caption",
    "ControlEvent": "control", "LiveEndEvent": "end", "WebcastControlMessage": "control",
}  # fmt: skip


def adapt(record: dict[str, Any], room_id: str, ts_fallback: int | None = None) -> list[dict[str, Any]]:
    """One recorded message to zero or more ClearLive events (as dicts, validated by the caller)."""
    kind_name = record.get("type") or record.get("method") or ""
    raw = record.get("data", record.get("payload", {}))
    if not isinstance(raw, dict):
        raise AdapterError("data", "the message body must be an object")
    msg = _snake(raw)
    kind = KINDS.get(kind_name)
    if kind is None:
        return []  # ranks, banners, emotes...: nothing ClearLive reads
    ts = _ts(msg, ts_fallback)
    base = {"room_id": room_id, "ts": ts}
    msg_id = _get(msg, "common", "msg_id") or msg.get("msg_id")
    if msg_id:
        base["id"] = f"{kind_name}:{msg_id}"
    if kind == "comment":
        text = msg.get("content", msg.get("comment"))
        if not isinstance(text, str):
            raise AdapterError("content", "a comment needs its text")
        return [{**base, "type": "comment", "user_id": _user_id(msg), "text": text}]
    if kind == "enter":
        return [{**base, "type": "enter", "user_id": _user_id(msg)}]
    if kind == "like":
        return [{**base, "type": "like", "user_id": _user_id(msg), "count": _int(msg, "count", default=1)}]
    if kind == "gift":
        if msg.get("repeat_end") in (0, False) and _int(_get(msg, "gift") or {}, "type", default=0) == 1:
            return []  # mid-streak: the streak's end carries the total (TikTokLive's `streaking`)
        gift = msg.get("gift") or {}
        count = _int(msg, "repeat_count", "combo_count", "group_count", default=1) or 1
        diamonds = _int(gift, "diamond_count", default=0) or 0
        name = gift.get("name") or gift.get("describe") or str(msg.get("gift_id", "gift"))
        return [{**base, "type": "gift", "user_id": _user_id(msg), "gift": str(name), "count": count,
                 "value": round(count * diamonds * 0.005, 4)}]  # fmt: skip
    if kind in ("follow", "share", "social"):
        if kind == "social":  # Douyin: action 1 = follow; a share has a share_type
            kind = "share" if msg.get("share_type") or msg.get("share_target") else "follow"
        return [{**base, "type": kind, "user_id": _user_id(msg)}]
    if kind == "viewers":
        online = _int(msg, "total", "m_total", "online_user_for_anchor", "viewer_count")
        if online is None:
            raise AdapterError("total", "no current viewer count")
        out = {**base, "type": "room_stats", "online": online}
        cumulative = _int(msg, "total_pv_for_anchor", "total_user")
        if cumulative is not None:
            out["total_viewers"] = cumulative
        return [out]
    if kind == "caption":
        text = msg.get("content") or " ".join(
            c.get("text", "") for c in msg.get("content_list", []) if isinstance(c, dict)
        )
        return [{**base, "type": "utterance", "speaker": "host", "text": str(text)}] if text else []
    if kind in ("control", "end"):
        status = _int(msg, "status", "action", default=3)
        return [{**base, "type": "session_end"}] if kind == "end" or status == 3 else []
    return []


def adapt_lines(
    lines: Iterator[bytes], room_id: str, source: str
) -> Iterator[tuple[int, list[dict[str, Any]] | None, str | None, str | None]]:
    """(line, events or None, field, error) for each recorded message of a JSON Lines recording."""
    import msgspec

    last_ts: int | None = None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = msgspec.json.decode(line)
            if not isinstance(record, dict):
                raise AdapterError("type", "each line must be an object")
            events = adapt(record, room_id, last_ts)
        except msgspec.DecodeError as exc:
            yield n, None, None, f"JSON is malformed: {exc}"
            continue
        except AdapterError as exc:
            yield n, None, exc.field, str(exc)
            continue
        if events:
            last_ts = events[-1]["ts"]
        yield n, events, None, None
