"""Templated chat from many accounts at once (taxonomy C5.1 and IN2: 水军, scripted 弹幕).

A comment's template is its normalised text with digits, punctuation, symbols, emoji and spaces
removed ('效果绝了！！3' and '效果绝了~' share '效果绝了'). A burst is at least 8 distinct accounts
posting the same template of at least 4 characters within 10 seconds, making up at least 60% of
all comments from the first of them to the last, and at least six times as many as the room's own
history of that line predicts: bots fire together, while viewers who ask the same thing ('多少钱',
'how much') spread out, mix with other chat, and ask it all stream long. Short cheers and cue
answers ('1', '666', '想要', '已拍') are below the length floor, so an organic '扣1' wave does not
count. One finding per template per room every 10 minutes. Without account ages a host-cued wave of
one longer slogan can still look like a burst, hence low severity.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from clearlive.detectors.base import Detector, RoomState
from clearlive.detectors.metric import metric_finding
from clearlive.detectors.text_rules import TextRuleDetector
from clearlive.model.events import EventBase, format_ts
from clearlive.model.findings import Finding
from clearlive.normalize import normalize

WINDOW_MS = 10_000
MIN_ACCOUNTS = 8
MIN_SHARE = 0.6  # honest repeats of a popular question reach half of a few seconds' chat by chance
MIN_TEMPLATE_CHARS = 4
REPORT_GAP_MS = 600_000
MAX_WINDOW = 5000
HISTORY_FACTOR = 6.0  # the burst must be this many times the line's usual count in a window
MAX_TEMPLATES = 20_000  # per room; the rarest are forgotten beyond this
_NOISE = re.compile(r"[\W\d_]+", re.UNICODE)  # everything but letters and CJK characters


def template(normalised: str) -> str:
    return _NOISE.sub("", normalised)


@dataclass
class _ChatWindow:
    times: deque[int] = field(default_factory=deque)  # every comment of the window, for the share
    by_template: dict[str, deque[tuple[int, str, str]]] = field(default_factory=dict)  # ts, user, event id
    reported: dict[str, int] = field(default_factory=dict)  # template -> ts of its last finding
    seen: int = 0
    first_ts: int | None = None
    history: dict[str, int] = field(default_factory=dict)  # template -> comments so far in the room


class TemplatedChatDetector(Detector):
    id = "fraud.templated_chat"
    event_types = frozenset({"comment"})

    def __init__(self, rules: TextRuleDetector | None = None) -> None:
        self.rules = rules  # to reuse the normalised text the rule detector just made

    def observe(self, event: EventBase, room: RoomState) -> Iterable[Finding]:
        text: str = event.text  # type: ignore[attr-defined]
        if len(text) < MIN_TEMPLATE_CHARS or event.anonymous:  # type: ignore[attr-defined]
            # too short to carry a template worth counting (cheers like 666), or a masked viewer
            # whose account cannot be told from any other's: counted in the chat, not as an account
            key = ""
        elif self.rules is not None and self.rules.last_event is event:
            key = template(self.rules.last_normalised)
        else:
            key = template(normalize(text).text)
        w: _ChatWindow = room.slots.setdefault(self.id, _ChatWindow())
        ts: int = event.ts  # type: ignore[assignment]
        w.times.append(ts)  # every comment counts for the share
        while w.times and (ts - w.times[0] > WINDOW_MS or len(w.times) > MAX_WINDOW):
            w.times.popleft()
        w.seen += 1
        if w.seen % 1000 == 0:  # forget templates nobody used in the window
            w.by_template = {k: q for k, q in w.by_template.items() if q and ts - q[-1][0] <= WINDOW_MS}
        if w.first_ts is None:
            w.first_ts = ts
        if len(key) < MIN_TEMPLATE_CHARS:
            return ()
        before = w.history.get(key, 0)
        w.history[key] = before + 1
        if len(w.history) > MAX_TEMPLATES:  # keep the most frequent half: the lines the room keeps repeating
            kept = sorted(w.history.items(), key=lambda kv: kv[1], reverse=True)[: MAX_TEMPLATES // 2]
            w.history = dict(kept)
        same = w.by_template.setdefault(key, deque())
        same.append((ts, event.user_id, event.id or ""))  # type: ignore[attr-defined]
        while same and ts - same[0][0] > WINDOW_MS:
            same.popleft()
        if len(same) < MIN_ACCOUNTS or ts - w.reported.get(key, -REPORT_GAP_MS - 1) <= REPORT_GAP_MS:
            return ()
        accounts = sorted({u for _, u, _ in same})
        if len(accounts) < MIN_ACCOUNTS:
            return ()
        start = same[0][0]
        in_span = 0
        for t in reversed(w.times):  # every comment from the burst's first to now
            if t < start:
                break
            in_span += 1
        # Events out of time order (a replay, a disordered feed) can leave the burst's own lines
        # outside that count; they are comments of the span all the same (and never divide by 0).
        in_span = max(in_span, len(same))
        if len(same) < MIN_SHARE * in_span:
            return ()
        elapsed = max(WINDOW_MS, start - w.first_ts)  # the room's history before this burst
        usual = (before - (len(same) - 1)) * WINDOW_MS / elapsed
        if len(same) < HISTORY_FACTOR * usual:
            return ()  # a line this room's viewers keep asking, not a burst
        w.reported[key] = ts
        seconds = (ts - start) / 1000
        summary = f"{len(same)} comments '{key}' from {len(accounts)} accounts in {seconds:g} s"
        return [
            metric_finding(
                rule_id=self.id,
                title="模板化刷屏（水军） / templated chat from many accounts",
                severity="low",
                confidence=0.7,
                ev=event,
                room=room,
                ts_ms=ts,
                fingerprint=f"{key}@{start}:{same[0][2]}",  # the burst's first comment
                summary=summary,
                field="text",
                event_ids=[eid for _, _, eid in same][:50],
                basis_ids=["CN-LSM-18", "CN-ANC-14-25", "CN-AUCL-9", "US-465"],
                message=(
                    f"{len(accounts)} 个账号在 {seconds:g} 秒内发送同一模板的评论“{key}”，疑似职业水军刷屏营造热度。"
                    f" / {len(accounts)} accounts posted the same template within {seconds:g} s."
                ),
                suggestion="核查这些账号的注册时间和行为；删除刷屏评论，不以水军营造抢购氛围。 / Check those accounts.",
                facts={
                    "template": key,
                    "accounts": accounts[:50],
                    "n_accounts": len(accounts),
                    "comments": len(same),
                    "share_of_chat": round(len(same) / in_span, 2),
                    "usual_in_window": round(usual, 2),
                    "window_start": format_ts(start),
                    "window_end": format_ts(ts),
                },
            )
        ]
