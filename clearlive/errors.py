"""Typed errors raised by the library; the CLI translates them at the edge."""

from __future__ import annotations


class ClearLiveError(Exception):
    """Base class for every error ClearLive raises on purpose."""


class InputError(ClearLiveError):
    """An input file cannot be opened or is not in a known format (exit status 2)."""


class RuleLoadError(ClearLiveError):
    """A rule pack is invalid. The message names the file and the rule id."""

    def __init__(self, path: str, rule_id: str | None, message: str) -> None:
        where = f"{path}" + (f" [{rule_id}]" if rule_id else "")
        super().__init__(f"{where}: {message}")
        self.path = path
        self.rule_id = rule_id
