"""Records that cross module boundaries: events in, findings out."""

from clearlive.model.events import EVENT_TYPES, Event, EventBase, event_type, format_ts, parse_ts
from clearlive.model.findings import CATEGORIES, SEVERITIES, SEVERITY_RANK, Evidence, Finding, LegalBasis

__all__ = [
    "CATEGORIES",
    "EVENT_TYPES",
    "SEVERITIES",
    "SEVERITY_RANK",
    "Event",
    "EventBase",
    "Evidence",
    "Finding",
    "LegalBasis",
    "event_type",
    "format_ts",
    "parse_ts",
]
