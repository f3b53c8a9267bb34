"""Incidents: the review queue's unit. A host repeats a scripted line many times, and each time
every rule it breaks gives a finding; a reviewer decides once on the line, not on each repeat.

- Speech, listings and titles: one incident per room, rule and quoted line (the sentence around the
  quote, `evidence.context`), however often it was said.
- Chat and behaviour (many viewers, each with their own words; numbers rather than a line): one
  incident per room and rule while findings keep coming less than WINDOW_MS apart.

An incident's id is stable: a hash of its room, rule and line, or of its first finding's id.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from clearlive.model.findings import SEVERITY_RANK

WINDOW_MS = 10 * 60_000
BY_LINE = ("utterance", "product", "session_start", "session_end")


@dataclass(slots=True)
class Incident:
    id: str
    room_id: str
    rule_id: str
    line: str | None  # the quoted line, or None for a run of chat or behavioural findings
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def first(self) -> dict[str, Any]:
        return self.findings[0]

    @property
    def severity(self) -> str:
        return max((f["severity"] for f in self.findings), key=SEVERITY_RANK.__getitem__)

    @property
    def statuses(self) -> Counter[str]:
        return Counter(f["status"] for f in self.findings)

    @property
    def status(self) -> str:
        """open while any finding is; else the status most of its findings have."""
        counts = self.statuses
        return "open" if counts["open"] else counts.most_common(1)[0][0]

    @property
    def quotes(self) -> list[str]:
        return list(dict.fromkeys(f["evidence"]["text"] for f in self.findings))

    @property
    def ids(self) -> list[str]:
        return [f["id"] for f in self.findings]

    @property
    def assignees(self) -> list[str]:
        return sorted({f["assignee"] for f in self.findings if f.get("assignee")})

    @property
    def last_ms(self) -> int:
        return self.findings[-1]["ts_ms"]


def _hash(*parts: str) -> str:
    return "inc-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def group(findings: list[dict[str, Any]]) -> list[Incident]:
    """Findings (in time order) as incidents, in the order of their first finding."""
    by_line: dict[tuple[str, str, str], Incident] = {}
    running: dict[tuple[str, str], Incident] = {}
    out: list[Incident] = []
    for f in findings:
        room, rule = f["room_id"], f["rule_id"]
        if f.get("event_type") in BY_LINE:
            line = f["evidence"]["context"]
            inc = by_line.get((room, rule, line))
            if inc is None:
                inc = by_line[(room, rule, line)] = Incident(_hash(room, rule, line), room, rule, line)
                out.append(inc)
        else:
            inc = running.get((room, rule))
            if inc is None or f["ts_ms"] - inc.last_ms >= WINDOW_MS:
                inc = running[(room, rule)] = Incident(_hash(room, rule, f["id"]), room, rule, None)
                out.append(inc)
        inc.findings.append(f)
    return out


def by_priority(incidents: list[Incident]) -> list[Incident]:
    """Most severe first, then the most findings, then the earliest."""
    return sorted(incidents, key=lambda i: (-SEVERITY_RANK[i.severity], -len(i.findings), i.first["ts_ms"]))
