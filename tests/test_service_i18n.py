"""The desk's Chinese catalogue is complete, and the language is chosen as docs/service.md says."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from clearlive.serve.i18n import LOCALE_DIR, negotiate, render, translations

ROOT = Path(__file__).parents[1]


def _marked() -> set[str | tuple[str, str]]:
    """Every message the templates and the service's Python code mark for translation."""
    method_map = [
        ("clearlive/serve/templates/**.html", "jinja2.ext:babel_extract"),
        ("clearlive/report/templates/**.html", "jinja2.ext:babel_extract"),
        ("clearlive/serve/*.py", "python"),
        ("clearlive/report/*.py", "python"),
    ]
    jinja = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}
    options = {"clearlive/serve/templates/**.html": jinja, "clearlive/report/templates/**.html": jinja}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    return {msg for _, _, msg, _, _ in extract_from_dir(str(ROOT), method_map, options, keywords=keywords)}


def test_every_marked_message_has_a_chinese_translation() -> None:
    with (LOCALE_DIR / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    translated = {}
    for m in catalog:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        translated[m.id if isinstance(m.id, str) else tuple(m.id)] = all(strings) and not m.fuzzy
    marked = _marked()
    assert len(marked) > 150
    missing = [m for m in marked if not translated.get(m)]
    assert not missing, f"not in the zh catalogue (pybabel update, then translate): {missing[:10]}"


def test_language_from_the_switch_then_the_browser() -> None:
    assert negotiate(None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert negotiate(None, "en-GB,en;q=0.9,zh;q=0.8") == "en"
    assert negotiate(None, "fr-FR, zh-TW;q=0.5") == "zh"
    assert negotiate(None, "zh;q=0, en;q=0.1") == "en"  # q=0 means "not this"
    assert negotiate("en", "zh-CN") == "en"  # the switch wins
    assert negotiate(None, None) == "en"


def test_pages_say_their_language() -> None:
    page = render("zh", "login.html", info=None, error=None, here="/login", messages="{}")
    assert '<html lang="zh-CN">' in page and "登录" in page
    page = render("en", "login.html", info=None, error=None, here="/login", messages="{}")
    assert '<html lang="en">' in page and "Log in" in page
    assert translations("zh").ngettext("%(num)s finding", "%(num)s findings", 25) % {"num": 25} == "25 条发现"


def test_every_rule_has_a_title_in_both_interface_languages() -> None:
    """Pack rules: a title in the pack's language plus `titles` for the other one; code detectors'
    rules and their cases are declared "中文 / English". The desk shows the reader's half."""
    from clearlive.serve.titles import pack_titles, split_bilingual, title_in
    from clearlive.watch.detectors.registry import listed_rules
    from clearlive.watch.rules.loader import load_rules

    _, rules = load_rules()
    titles = pack_titles()
    assert len(titles) == len(rules) > 80
    lacking = [(r.id, lang) for r in rules for lang in ("zh", "en") if lang not in titles[r.id]]
    assert not lacking, f"pack rules with no title in an interface language (add `titles: {{zh: ...}}`): {lacking}"
    declared = listed_rules(rules)
    assert len(declared) > 40
    one_language = [
        (d.rule.id, t)
        for d in declared
        for t in [d.rule.title, *(c.title for c in d.rule.cases.values() if c.title)]
        if split_bilingual(t) is None
    ]
    assert not one_language, f"detector rule titles not in the form '中文 / English': {one_language}"
    assert title_in("en.price.at_a_loss", "Selling-at-a-loss, below-cost and lowest-price language", "zh") == (
        "亏本、低于成本、最低价用语",
        "zh",
    )
    assert title_in("fraud.templated_chat", "模板化刷屏（水军） / templated chat from many accounts", "en") == (
        "templated chat from many accounts",
        "en",
    )
    assert title_in("fraud.templated_chat", "模板化刷屏（水军） / templated chat from many accounts", "zh")[0] == (
        "模板化刷屏（水军）"
    )
    assert title_in("zh.absolute.grade", "国家级、顶级、极品等等级性绝对化用语", "en") == (
        "Grade terms: national-level, top-grade, finest",
        "en",
    )
    # a title in one language stays as written (a user's own pack), tagged with its language
    assert title_in("user.rule.x", "Hidden fees", "zh") == ("Hidden fees", "en")
    assert split_bilingual("Price / value") is None and split_bilingual("买一送一 / 第二件半价") is None


def test_every_score_metric_has_a_name_in_both_interface_languages() -> None:
    """The host page and the report's host pages name each metric, not its column id."""
    import re

    from clearlive.measure.config import DEFAULT_CONFIG
    from clearlive.serve.i18n import METRIC_NAMES

    metrics = set(re.findall(r"^\s+([a-z0-9_]+_rate):", DEFAULT_CONFIG.read_text(encoding="utf-8"), re.M))
    assert len(metrics) >= 15 and metrics <= set(METRIC_NAMES), sorted(metrics - set(METRIC_NAMES))
    zh = translations("zh").gettext
    assert all(zh(name) != name for name in METRIC_NAMES.values())
