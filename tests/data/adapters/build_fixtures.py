"""Rebuild the adapter fixtures in this folder with the real client libraries (dev only).

The fixtures are what a recorder writes when it dumps the messages of TikTokLive and of
DouyinLiveWebFetcher's protobuf classes. Nothing here is typed as JSON: each message is built as
a protobuf object of the client's own schema, serialised to wire bytes, parsed back the way the
client parses a websocket frame, and dumped with `to_dict()` in each style a recorder uses.

    pip install 'tiktoklive==7.0.1' 'betterproto==2.0.0b6'      # the `fixtures` extra
    python tests/data/adapters/build_fixtures.py --douyin-classes DouyinLiveWebFetcher/protobuf/douyin.py

`--douyin-classes` is the betterproto module DouyinLiveWebFetcher ships (generated from its
douyin.proto); it is loaded from where you keep that checkout and never copied here. Neither
library is imported by the `clearlive` package. Versions and licences: README.md beside this file.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import importlib.util
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).parent
T0_MS = 1_793_534_400_000  # 2026-11-02T14:00:00Z: the recordings' first message
TIKTOK_ROOM = 7_431_000_000_000_000_001
DOUYIN_ROOM = 7_311_000_000_000_000_001
MASKED_DOUYIN_ID = 111111  # the id Douyin gives every viewer of a room with viewer privacy on


def _write(name: str, lines: Iterable[dict[str, Any]]) -> None:
    with (HERE / name).open("w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"wrote {name}")


# ---------------------------------------------------------------------------------------- TikTok


def tiktok_wire() -> bytes:
    """One websocket fetch result holding a short TikTok LIVE room, as the server sends it."""
    from TikTokLive.proto import (
        CaptionContent,
        CommonMessageData,
        ControlAction,
        FollowInfo,
        Gift,
        ProtoMessageFetchResult,
        ProtoMessageFetchResultBaseProtoMessage,
        Question,
        User,
        WebcastCaptionMessage,
        WebcastChatMessage,
        WebcastControlMessage,
        WebcastGiftMessage,
        WebcastLikeMessage,
        WebcastMemberMessage,
        WebcastQuestionNewMessage,
        WebcastRankUpdateMessage,
        WebcastRoomUserSeqMessage,
        WebcastSocialMessage,
    )
    from TikTokLiveProto.v3.webcast.model.message.common import Text

    lily = User(id=7_102_938_475_610_293_847, display_id="lily_88", nickname="Lily",
                follow_info=FollowInfo(follower_count=120))  # fmt: skip
    lily_renamed = User(id=lily.id, display_id="lily.rose", nickname="Lily Rose")  # displayId is editable
    sam = User(id=7_102_938_475_610_200_001, display_id="sam.k", nickname="Sam")
    fan = User(id=7_102_938_475_610_200_002, display_id="bigfan", nickname="Big Fan")
    spam = User(id=7_102_938_475_610_200_003, display_id="cheapdeals01", nickname="Deals")
    new = User(id=7_102_938_475_610_200_004, display_id="new_viewer", nickname="New")
    rose = Gift(id=5655, name="Rose", diamond_count=1, type=1)  # type 1: sent in streaks
    galaxy = Gift(id=11046, name="Galaxy", diamond_count=1000, type=2)  # cannot streak

    messages: list[tuple[str, Any]] = []
    seq = iter(range(1, 1000))

    def add(method: str, msg: Any, at_s: float, display_key: str = "") -> None:
        n = next(seq)
        msg.common = CommonMessageData(
            method=method, msg_id=7_432_000_000_000_000_000 + n, room_id=TIKTOK_ROOM,
            create_time=T0_MS + int(at_s * 1000), display_text=Text(key=display_key) if display_key else None,
        )  # fmt: skip
        messages.append((method, msg))

    add("WebcastRoomUserSeqMessage", WebcastRoomUserSeqMessage(total=1520, total_user=20311, pop_str="1.5K"), 0)
    add("WebcastMemberMessage", WebcastMemberMessage(user=lily, member_count=1521), 1)
    add("WebcastChatMessage", WebcastChatMessage(user=lily, content="does it run small?", content_language="en"), 2)
    caption = "this serum cures eczema in one week, guaranteed"
    add("WebcastCaptionMessage", WebcastCaptionMessage(
        timestamp_ms=T0_MS + 4000, duration_ms=1200, sentence_id=41, sequence_id=1, definite=False,
        content=[CaptionContent(lang="en", content="this serum cures eczema")]), 4)  # fmt: skip
    add("WebcastCaptionMessage", WebcastCaptionMessage(
        timestamp_ms=T0_MS + 4000, duration_ms=3100, sentence_id=41, sequence_id=2, definite=True,
        content=[CaptionContent(lang="en", content=caption)]), 5)  # fmt: skip
    add("WebcastLikeMessage", WebcastLikeMessage(user=sam, count=15, total=30210), 6)
    for k in (1, 2, 3):  # a streak of 3 roses: repeat_end 0 (left out of the dump) until the last
        add("WebcastGiftMessage", WebcastGiftMessage(user=fan, gift=rose, gift_id=5655, repeat_count=k,
                                                     group_id=1_793_534_407), 7 + k / 10)  # fmt: skip
    add("WebcastGiftMessage", WebcastGiftMessage(user=fan, gift=rose, gift_id=5655, repeat_count=3, repeat_end=1,
                                                 group_id=1_793_534_407), 8)  # fmt: skip
    add("WebcastGiftMessage", WebcastGiftMessage(user=sam, gift=galaxy, gift_id=11046, repeat_count=1), 9)
    add("WebcastSocialMessage", WebcastSocialMessage(user=new, action=1, follow_count=48213),
        10, "pm_main_follow_message_viewer_2")  # fmt: skip
    add("WebcastSocialMessage", WebcastSocialMessage(user=sam, action=3, share_type=0, share_target="",
                                                     follow_count=48213), 11, "pm_mt_guidance_share")  # fmt: skip
    add(
        "WebcastQuestionNewMessage",
        WebcastQuestionNewMessage(
            data=Question(
                question_id=88, content="is it safe for kids?", user=lily_renamed, create_time=(T0_MS + 12000) // 1000
            )
        ),
        12,
    )
    add("WebcastChatMessage", WebcastChatMessage(user=spam, content="DM me on telegram @cheapdeals for 50% off"), 13)
    add("WebcastChatMessage", WebcastChatMessage(user=lily_renamed, content="ok ordering now"), 14)
    add("WebcastRankUpdateMessage", WebcastRankUpdateMessage(), 15)
    add("WebcastRoomUserSeqMessage", WebcastRoomUserSeqMessage(total=1611, total_user=20490, pop_str="1.6K"), 16)
    add("WebcastControlMessage", WebcastControlMessage(action=ControlAction.STREAM_PAUSED), 17)
    add("WebcastControlMessage", WebcastControlMessage(action=ControlAction.STREAM_UNPAUSED), 18)
    add("WebcastControlMessage", WebcastControlMessage(action=ControlAction.STREAM_ENDED), 3600)

    result = ProtoMessageFetchResult(
        messages=[
            ProtoMessageFetchResultBaseProtoMessage(method=method, payload=bytes(msg), msg_id=msg.common.msg_id)
            for method, msg in messages
        ],
        cursor="1793538000000_1",
        is_first=False,
    )
    return bytes(result)


def tiktok_events(wire: bytes) -> list[Any]:
    """The events TikTokLiveClient emits for the fetch result, parsed by the client's own code."""
    from TikTokLive import TikTokLiveClient
    from TikTokLive.events import WebsocketResponseEvent
    from TikTokLive.proto import ProtoMessageFetchResult

    async def parse() -> list[Any]:
        client = TikTokLiveClient(unique_id="@clearlive_fixture")  # never connected
        response = ProtoMessageFetchResult().parse(wire)
        events = [e async for e in client._parse_webcast_response(response)]
        await asyncio.sleep(0)  # the client schedules disconnect() on a stream end: let it run
        return [e for e in events if not isinstance(e, WebsocketResponseEvent)]

    return asyncio.run(parse())


def build_tiktok() -> None:
    from TikTokLive.events.custom_events import CustomEvent

    events = tiktok_events(tiktok_wire())
    proto_events = [e for e in events if not isinstance(e, CustomEvent)]  # one per wire message
    # A recorder with a listener per event class (the TikTokLive README's way): {type, data}.
    _write("tiktok_wrapped.jsonl", ({"type": e.get_type(), "data": e.to_dict()} for e in events))
    # The same, dumped with every default value (int64 zeros as "0", empty strings, nulls).
    _write("tiktok_defaults.jsonl",
           ({"type": e.get_type(), "data": e.to_dict(include_default_values=True)} for e in events))  # fmt: skip
    # A recorder of raw webcast messages: {method, payload}, the method from the message.
    _write("tiktok_method.jsonl", ({"method": e.common.method, "payload": e.to_dict()} for e in proto_events))
    # to_dict() alone: the method is only in common.method.
    _write("tiktok_bare.jsonl", (e.to_dict() for e in proto_events))


# ---------------------------------------------------------------------------------------- Douyin


def load_douyin(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("douyin_fixture_classes", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def douyin_wire(pb: ModuleType) -> bytes:
    """One gzip'd push frame of a Douyin webcast, as the server sends it."""
    xiaomei = pb.User(id=70_012_345_678, short_id=55_123, nick_name="小美", sec_uid="MS4wLjABAAAAx1", display_id="xm55")
    passer = pb.User(id=70_012_345_679, nick_name="路人甲", sec_uid="MS4wLjABAAAAx2")
    rich = pb.User(id=70_012_345_680, nick_name="土豪", sec_uid="MS4wLjABAAAAx3")
    # Viewer privacy on: every viewer is id 111111 with a masked nickname, and no sec_uid.
    masked_a = pb.User(id=MASKED_DOUYIN_ID, nick_name="用户***1")
    masked_b = pb.User(id=MASKED_DOUYIN_ID, nick_name="用户***7")
    heart = pb.GiftStruct(id=463, name="小心心", diamond_count=1, combo=True, type=1)
    carnival = pb.GiftStruct(id=3552, name="嘉年华", diamond_count=3000, combo=False, type=2)

    messages: list[tuple[str, Any]] = []
    seq = iter(range(1, 1000))

    def add(method: str, msg: Any, at_s: float) -> None:
        n = next(seq)
        common = pb.Common(method=method, msg_id=7_312_000_000_000_000_000 + n, room_id=DOUYIN_ROOM,
                           create_time=T0_MS + int(at_s * 1000))  # fmt: skip
        if hasattr(msg, "common"):
            msg.common = common
        else:
            msg.common_info = common  # FansclubMessage names it commonInfo
        messages.append((method, msg))

    add("WebcastRoomUserSeqMessage", pb.RoomUserSeqMessage(
        total=23012, total_user=412_000, total_pv_for_anchor="42.3万", online_user_for_anchor="2.3万",
        pop_str="2.3万", total_str="2.3万", total_user_str="41.2万"), 0)  # fmt: skip
    add("WebcastMemberMessage", pb.MemberMessage(user=xiaomei, member_count=23013, action=1), 1)
    add("WebcastChatMessage", pb.ChatMessage(user=xiaomei, content="这个尺码偏大吗"), 2)
    add("WebcastChatMessage", pb.ChatMessage(user=passer, content="加V：abc12345 领优惠"), 3)
    add("WebcastChatMessage", pb.ChatMessage(user=masked_a, content="主播多高"), 4)
    add("WebcastChatMessage", pb.ChatMessage(user=masked_b, content="链接在哪"), 4.5)
    add("WebcastEmojiChatMessage", pb.EmojiChatMessage(user=passer, emoji_id=28, default_content="[比心]"), 5)
    add("WebcastLikeMessage", pb.LikeMessage(user=masked_a, count=20, total=88_000), 6)
    for k in (1, 2, 3):  # a 小心心 combo: repeatEnd 0 (left out of the dump) until the last
        add("WebcastGiftMessage", pb.GiftMessage(gift_id=463, user=rich, gift=heart, repeat_count=k, combo_count=k,
                                                 group_id=1_793_534_407), 7 + k / 10)  # fmt: skip
    add("WebcastGiftMessage", pb.GiftMessage(gift_id=463, user=rich, gift=heart, repeat_count=3, combo_count=3,
                                             repeat_end=1, group_id=1_793_534_407), 8)  # fmt: skip
    add("WebcastGiftMessage", pb.GiftMessage(gift_id=3552, user=xiaomei, gift=carnival, repeat_count=1,
                                             combo_count=1, group_count=1), 9)  # fmt: skip
    add("WebcastSocialMessage", pb.SocialMessage(user=passer, action=1, follow_count=120_345), 10)
    add("WebcastSocialMessage", pb.SocialMessage(user=xiaomei, action=3, share_type=1, share_target="3"), 11)
    add("WebcastFansclubMessage", pb.FansclubMessage(type=2, content="小美 加入了粉丝团", user=xiaomei), 12)
    add("WebcastRoomRankMessage", pb.RoomRankMessage(), 13)
    add("WebcastProductChangeMessage", pb.ProductChangeMessage(
        update_timestamp=(T0_MS + 14_000) // 1000, update_toast="3号链接 玻尿酸精华 已上架",
        update_product_info_list=[pb.ProductInfo(promotion_id=3_601_234_567_890, index=3)], total=12), 14)  # fmt: skip
    add("WebcastLiveShoppingMessage", pb.LiveShoppingMessage(msg_type=3, promotion_id=3_601_234_567_890), 15)
    add("WebcastRoomStatsMessage", pb.RoomStatsMessage(display_short="41万", display_long="41.2万人看过",
                                                       display_value=412_000, total=412_000), 16)  # fmt: skip
    add("WebcastRoomUserSeqMessage", pb.RoomUserSeqMessage(
        total=1_250_000, total_pv_for_anchor="1.2亿", pop_str="125万", total_str="125万"), 17)  # fmt: skip
    add("WebcastControlMessage", pb.ControlMessage(status=3), 3600)

    response = pb.Response(
        messages_list=[pb.Message(method=method, payload=bytes(msg), msg_id=msg.common.msg_id if hasattr(
            msg, "common") else msg.common_info.msg_id) for method, msg in messages],
        cursor="t-1793538000000", now=T0_MS + 3_600_000, need_ack=True,
    )  # fmt: skip
    return bytes(pb.PushFrame(log_id=1, payload_type="msg", payload=gzip.compress(bytes(response))))


_DOUYIN_CLASSES = {  # method -> class name in douyin.py, as DouyinLiveWebFetcher's liveMan dispatches
    "WebcastChatMessage": "ChatMessage", "WebcastGiftMessage": "GiftMessage", "WebcastLikeMessage": "LikeMessage",
    "WebcastMemberMessage": "MemberMessage", "WebcastSocialMessage": "SocialMessage",
    "WebcastRoomUserSeqMessage": "RoomUserSeqMessage", "WebcastFansclubMessage": "FansclubMessage",
    "WebcastControlMessage": "ControlMessage", "WebcastEmojiChatMessage": "EmojiChatMessage",
    "WebcastRoomStatsMessage": "RoomStatsMessage", "WebcastRoomRankMessage": "RoomRankMessage",
    "WebcastProductChangeMessage": "ProductChangeMessage", "WebcastLiveShoppingMessage": "LiveShoppingMessage",
}  # fmt: skip


def douyin_messages(pb: ModuleType, frame: bytes) -> list[tuple[str, Any]]:
    """Parse a push frame the way DouyinLiveWebFetcher's liveMan does: frame, gunzip, response, payload."""
    package = pb.PushFrame().parse(frame)
    response = pb.Response().parse(gzip.decompress(package.payload))
    return [(m.method, getattr(pb, _DOUYIN_CLASSES[m.method])().parse(m.payload)) for m in response.messages_list]


def build_douyin(pb: ModuleType) -> None:
    messages = douyin_messages(pb, douyin_wire(pb))
    # DouyinLiveWebFetcher hands each parsed message to a callback; a recorder dumps it there.
    _write("douyin_method.jsonl", ({"method": method, "payload": m.to_dict()} for method, m in messages))
    _write(
        "douyin_defaults.jsonl",
        ({"method": method, "payload": m.to_dict(include_default_values=True)} for method, m in messages),
    )
    _write("douyin_bare.jsonl", (m.to_dict() for _, m in messages))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--douyin-classes", type=Path, required=True,
                        help="DouyinLiveWebFetcher's protobuf/douyin.py (betterproto classes)")  # fmt: skip
    args = parser.parse_args()
    build_tiktok()
    build_douyin(load_douyin(args.douyin_classes))


if __name__ == "__main__":
    main()
