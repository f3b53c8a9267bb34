"""Rule titles in the reviewer's language.

A pack rule has its title in the pack's language and, in `titles`, in the interface's other
language (checked for every built-in rule by tests/test_service_i18n.py). A code detector declares
one title in both, "中文 / English" (clearlive/watch/detectors/declared.py), which a finding carries; the
desk shows the half in the reader's language.
"""

from __future__ import annotations

import re
from functools import cache

_CJK = re.compile(r"[\u3400-\u9fff]")


def split_bilingual(title: str) -> dict[str, str] | None:
    """'虚假限量 / false scarcity' as {zh, en}; None for a title in one language."""
    zh, sep, en = title.partition(" / ")
    if not sep or not _CJK.search(zh) or _CJK.search(en):
        return None
    return {"zh": zh.strip(), "en": en.strip()}


@cache
def pack_titles() -> dict[str, dict[str, str]]:
    """Every built-in pack rule's title by interface language."""
    from clearlive.watch.rules.loader import load_rules

    _, rules = load_rules()
    out: dict[str, dict[str, str]] = {}
    for r in rules:
        own = "zh" if r.language == "zh" else "en"  # the common pack (`any`) is written in English
        out[r.id] = {own: r.spec.title, **r.spec.titles}
    return out


def title_in(rule_id: str, title: str, lang: str) -> tuple[str, str]:
    """A finding's title for a reader of `lang` ('zh' or 'en'), and the language it is in (for its
    `lang` attribute): the rule's own translation where one exists, else the title as written."""
    known = pack_titles().get(rule_id, {})
    if lang in known:
        return known[lang], lang
    halves = split_bilingual(title)
    if halves is not None:
        return halves[lang], lang
    shown = title or rule_id
    return shown, "zh" if _CJK.search(shown) else "en"
