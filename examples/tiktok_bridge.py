"""Post a TikTok LIVE room's messages to a running ClearLive service as they arrive.

    pip install 'tiktoklive==7.0.1'
    clearlive serve &                                        # or your deployment
    clearlive keys create --role ingest --tenant acme         # prints KEY
    python examples/tiktok_bridge.py @creator --key KEY [--service http://127.0.0.1:8000] [--room ROOM]

TikTokLive's client calls back for each message; the bridge dumps the message as TikTokLive does
(`{"type": event.get_type(), "data": event.to_dict()}`) and posts batches to
`POST /api/v1/events?source=tiktok&room_id=ROOM`, where ClearLive adapts them exactly as
`clearlive adapt --from tiktok` does (docs/formats.md, "Live clients' messages"). Findings then
come from `GET /api/v1/alerts` or `/api/v1/findings`.

This is a separate program, not part of the `clearlive` package: TikTokLive is under a modified
AGPL-3.0 and ClearLive (Apache-2.0) does not import it. The bridge talks to ClearLive only over HTTP.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import httpx

# The proto events, one per webcast message: FollowEvent / ShareEvent / LiveEndEvent are the same
# messages again under a second class, so listening to them too would only send duplicates.
EVENT_NAMES = (
    "CommentEvent", "QuestionNewEvent", "JoinEvent", "LikeEvent", "GiftEvent", "SocialEvent",
    "RoomUserSeqEvent", "CaptionEvent", "ControlEvent",
)  # fmt: skip


MAX_BATCH = 1000  # a room that stops sending viewer counts is still posted


class Bridge:
    """Collects a client's events and posts them to the service in batches."""

    def __init__(
        self, http: httpx.Client, key: str, room_id: str, batch: int = 50, max_wait_s: float = 1.0
    ) -> None:
        self.http, self.key, self.room_id = http, key, room_id
        self.batch, self.max_wait_s = batch, max_wait_s
        self.pending: list[bytes] = []
        self.oldest: float | None = None
        self.answers: list[dict[str, Any]] = []  # the service's answer to each post

    def attach(self, client: Any) -> None:
        """Listen to the events ClearLive reads on a TikTokLiveClient."""
        from TikTokLive.events import proto_events

        for name in EVENT_NAMES:
            client.add_listener(getattr(proto_events, name), self.on_event)

    def on_event(self, event: Any) -> None:
        line = {"type": event.get_type(), "data": event.to_dict()}
        self.pending.append(json.dumps(line, ensure_ascii=False).encode())
        self.oldest = self.oldest or time.monotonic()
        # A batch ends just after a viewer-count update (every few seconds in a live room): the like
        # and follower totals read before it then ride on its room_stats, as they do in a recording.
        due = len(self.pending) >= self.batch or time.monotonic() - self.oldest >= self.max_wait_s
        if (due and line["type"] == "RoomUserSeqEvent") or len(self.pending) >= MAX_BATCH:
            self.flush()

    def flush(self) -> dict[str, Any] | None:
        if not self.pending:
            return None
        body, self.pending, self.oldest = b"\n".join(self.pending), [], None
        r = self.http.post(
            "/api/v1/events",
            params={"source": "tiktok", "room_id": self.room_id},
            content=body,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/x-ndjson"},
        )
        r.raise_for_status()
        answer: dict[str, Any] = r.json()
        self.answers.append(answer)
        for reject in answer.get("rejects", []):
            print(f"rejected: {reject}", file=sys.stderr)
        return answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Post a TikTok LIVE room's messages to a ClearLive service.")
    parser.add_argument("creator", help="the creator's @unique_id")
    parser.add_argument("--key", required=True, help="an ingest key (clearlive keys create --role ingest)")
    parser.add_argument("--service", default="http://127.0.0.1:8000")
    parser.add_argument("--room", help="the ClearLive room id (default: the creator's handle)")
    args = parser.parse_args(argv)
    try:
        from TikTokLive import TikTokLiveClient
        from TikTokLive.events import DisconnectEvent
    except ImportError:
        print("TikTokLive is not installed: pip install 'tiktoklive==7.0.1'", file=sys.stderr)
        return 2
    client = TikTokLiveClient(unique_id=args.creator)
    with httpx.Client(base_url=args.service, timeout=10) as http:
        bridge = Bridge(http, args.key, args.room or args.creator.lstrip("@"))
        bridge.attach(client)
        client.add_listener(DisconnectEvent, lambda _: bridge.flush())
        try:
            client.run()
        finally:
            bridge.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
