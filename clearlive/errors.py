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


class MissingExtraError(ClearLiveError):
    """A command needs an optional part of the install (an extra) that is not there (exit status 2).
    The message names the extra and the pip command that adds it."""

    def __init__(self, extra: str, what: str, module: str | None) -> None:
        missing = f" ({module} is missing)" if module else ""
        super().__init__(f"{what} needs the {extra} extra: pip install 'clearlive[{extra}]'{missing}")
        self.extra = extra
        self.module = module
