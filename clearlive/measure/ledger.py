"""The credit ledger: points per confirmed violation, restored after clean periods (issue #5 item 6).

Kept apart from the performance scores on purpose: a score says how well a host serves buyers, the
ledger says how often they broke the rules, and platforms act on each differently (Douyin's 12-point
creator credit system, TikTok Shop's violation points). Every deduction names its finding ids, so a
host disputing a point can be shown the evidence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from clearlive.model.events import format_ts
from clearlive.model.findings import SEVERITY_RANK

DAY = 86_400_000


@dataclass(frozen=True)
class CreditRules:
    start: int
    cap: int
    high_mark: int
    recover_days_high: int
    recover_days_low: int
    auto_confirm: frozenset[str]
    points: dict[str, int]

    @classmethod
    def from_config(cls, raw: dict[str, Any]) -> CreditRules:
        return cls(
            int(raw["start"]),
            int(raw["cap"]),
            int(raw["high_mark"]),
            int(raw["recover_days_high"]),
            int(raw["recover_days_low"]),
            frozenset(raw["auto_confirm"]),
            {k: int(v) for k, v in raw["points"].items()},
        )


@dataclass(frozen=True)
class FindingRow:
    id: str
    anchor_id: str
    session_id: str
    rule_id: str
    severity: str
    ts: int


def ledgers(
    findings: Iterable[FindingRow], decisions: dict[str, str], rules: CreditRules, as_of_ms: int
) -> dict[str, dict[str, Any]]:
    """Per host, the ledger up to `as_of_ms`. `decisions`: finding id -> 'confirmed' | 'dismissed'."""
    violations: dict[tuple[str, str, str], list[FindingRow]] = defaultdict(list)
    for f in findings:
        if f.ts >= as_of_ms or not f.anchor_id:
            continue
        decision = decisions.get(f.id)
        if decision == "confirmed" or (decision is None and f.severity in rules.auto_confirm):
            violations[(f.anchor_id, f.session_id or "", f.rule_id)].append(f)
    by_host: dict[str, list[tuple[int, int, str, str, list[str]]]] = defaultdict(list)
    for (host, session, rule), rows in violations.items():
        worst = max(rows, key=lambda r: (SEVERITY_RANK[r.severity], -r.ts))
        points = rules.points.get(worst.severity, 0)
        if points:
            first = min(r.ts for r in rows)
            by_host[host].append((first, points, rule, session, sorted(r.id for r in rows)))
    return {host: _walk(sorted(items), rules, as_of_ms) for host, items in sorted(by_host.items())}


def _walk(items: list[tuple[int, int, str, str, list[str]]], rules: CreditRules, as_of_ms: int) -> dict[str, Any]:
    balance, lowest = rules.start, rules.start
    clean_since: int | None = None
    entries: list[dict[str, Any]] = []

    def recover_until(t: int) -> None:
        nonlocal balance, clean_since
        while clean_since is not None and balance < rules.cap:
            days = rules.recover_days_high if balance >= rules.high_mark else rules.recover_days_low
            due = clean_since + days * DAY
            if due > t:
                return
            balance += 1
            clean_since = due
            entries.append({"ts": format_ts(due), "points": 1, "balance": balance, "reason": f"{days} clean days"})

    for ts, points, rule, session, ids in items:
        recover_until(ts)
        balance = max(0, balance - points)  # at 0 the permission is gone; the ledger does not go below
        lowest = min(lowest, balance)
        clean_since = ts
        entries.append(
            {
                "ts": format_ts(ts),
                "points": -points,
                "balance": balance,
                "rule_id": rule,
                "session_id": session,
                "finding_ids": ids,
            }
        )
    recover_until(as_of_ms)
    withdrawn = lowest <= 0  # Douyin: points earned back do not lift a penalty already triggered
    return {"balance": balance, "start": rules.start, "lowest": lowest, "withdrawn": withdrawn, "entries": entries}
