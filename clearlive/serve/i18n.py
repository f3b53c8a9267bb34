"""The dashboard in Chinese and English: Babel catalogues (clearlive/serve/locale/), the language
from a switch (a cookie) or else the browser's Accept-Language, and dates with their zone.

The catalogue is the .po file itself, compiled in memory when first used, so the repository holds
no compiled .mo to fall out of step with it; tests/test_service_i18n.py checks that every message
the templates and this module mark has a Chinese translation.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, cast

from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from markupsafe import Markup

LOCALE_DIR = Path(__file__).with_name("locale")
LANGS = {"en": "en", "zh": "zh-CN"}  # interface language -> the value of <html lang>
BABEL_LOCALE = {"en": "en_GB", "zh": "zh_Hans_CN"}
LANG_COOKIE = "clearlive_lang"


def N_(message: str) -> str:
    """Marks a message for the catalogue; it is translated where it is shown."""
    return message


CATEGORY_NAMES = {
    "absolute_terms": N_("Absolute terms"),
    "efficacy_claim": N_("Efficacy claim"),
    "price_deception": N_("Price deception"),
    "false_scarcity": N_("False scarcity"),
    "origin_brand_claim": N_("Origin or brand claim"),
    "fabricated_persona": N_("Fabricated persona"),
    "impersonation": N_("Impersonation"),
    "pseudo_science": N_("Pseudo-science"),
    "soft_porn": N_("Sexual content"),
    "diversion": N_("Diversion off-platform"),
    "abuse": N_("Abuse"),
    "provocation": N_("Provocation"),
    "induced_tipping": N_("Induced tipping"),
    "fake_data": N_("Fake data"),
    "disclosure": N_("Missing disclosure"),
    "fake_reviews": N_("Fake reviews"),
}
SEVERITY_NAMES = {
    "info": N_("info"),
    "low": N_("low"),
    "medium": N_("medium"),
    "high": N_("high"),
    "critical": N_("critical"),
}
DIMENSION_NAMES = {  # the service score's dimensions (clearlive/measure/score.yaml)
    "product": N_("product"),
    "logistics": N_("logistics"),
    "service": N_("service"),
    "content": N_("content"),
    "retention": N_("retention"),
    "live_service": N_("service in the live room"),
}
METRIC_NAMES = {  # the service score's metrics (clearlive/measure/score.yaml)
    "negative_review_rate": N_("negative reviews per order"),
    "quality_refund_rate": N_("refunds for quality per order"),
    "on_time_delivery_rate": N_("deliveries on time"),
    "non_delivery_rate": N_("orders never delivered"),
    "seller_cancel_rate": N_("orders cancelled by the seller"),
    "complaint_rate": N_("complaints per order"),
    "dispute_rate": N_("disputes per order"),
    "listed_shop_bad_rate": N_("bad orders of the shops the host listed"),
    "misleading_rate": N_("orders refunded or panned for what the stream said"),
    "flagged_session_rate": N_("sessions with a finding at medium or above"),
    "host_complaint_rate": N_("complaints about the host"),
    "question_answer_rate": N_("viewers' questions answered"),
    "evasive_answer_rate": N_("evasive answers"),
    "pickup_24h_rate": N_("orders picked up by the carrier within 24 hours"),
    "reply_3min_rate": N_("service chats answered within 3 minutes"),
    "repeat_30d_rate": N_("first-time buyers back within 30 days"),
    "repeat_90d_rate": N_("first-time buyers back within 90 days"),
    "returning_viewer_rate": N_("viewers who come back"),
}
STATUS_NAMES = {
    "open": N_("open"),
    "confirmed": N_("confirmed"),
    "dismissed": N_("dismissed"),
    "escalated": N_("escalated"),
}


@cache
def translations(lang: str) -> NullTranslations:
    if lang == "en":
        return NullTranslations()
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=BABEL_LOCALE[lang])
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def chart_titles(lang: str) -> dict[str, str]:
    """What the charts (clearlive/report/charts.py) say, in `lang`: axis titles, layer names, and
    category and severity names."""
    _ = translations(lang).gettext
    return {
        "lang": lang,  # the findings' titles on the chart are in it too
        "minute": _("minutes into the stream"),
        "online": _("viewers online"),
        "layer": _("findings"),
        "here": _("this finding"),
        "speech": _("speech"),
        "chat": _("chat"),
        "listing": _("listing"),
        "behaviour": _("behaviour"),
        "severity": _("severity"),
        **{f"category:{k}": _(v) for k, v in CATEGORY_NAMES.items()},
        **{f"severity:{k}": _(v) for k, v in SEVERITY_NAMES.items()},
    }


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The switch's choice if there is one, else the first language of the browser's list (by
    q-value) that the interface speaks, else English."""
    if cookie in LANGS:
        return cookie
    ranked = []
    for n, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if q > 0:
            ranked.append((-q, n, tag.strip().lower().split("-")[0]))
    return next((primary for _, _, primary in sorted(ranked) if primary in LANGS), "en")


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def text_lang(text: str | None) -> str:
    """The language of a quote or a line, for its `lang` attribute: Chinese if it has Han characters."""
    return "zh" if text and _CJK.search(text) else "en"


def when(ms: int | None, lang: str) -> str:
    """A finding's time with its date and zone (UTC: the service's clock), in the reader's language."""
    if ms is None:
        return ""
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return format_datetime(dt, "yyyy-MM-dd HH:mm:ss 'UTC'", locale=BABEL_LOCALE[lang])


@cache
def environment(lang: str) -> Environment:
    """The service's templates and the static report's (`clearlive report --lang`) in `lang`."""
    env = Environment(
        loader=ChoiceLoader(
            [PackageLoader("clearlive.serve", "templates"), PackageLoader("clearlive.report", "templates")]
        ),
        autoescape=select_autoescape(),
        extensions=["jinja2.ext.i18n"],
    )
    cast(Any, env).install_gettext_translations(translations(lang), newstyle=True)  # added by jinja2.ext.i18n
    env.globals.update(
        lang=lang,
        html_lang=LANGS[lang],
        category_names=CATEGORY_NAMES,
        severity_names=SEVERITY_NAMES,
        status_names=STATUS_NAMES,
        dimension_names=DIMENSION_NAMES,
        metric_names=METRIC_NAMES,
    )
    env.globals["rule_title"] = lambda rule_id, title: _rule_title(rule_id, title, lang)
    env.filters["when"] = lambda ms: when(ms, lang)
    env.filters["textlang"] = text_lang
    return env


def _rule_title(rule_id: str, title: str | None, lang: str) -> Markup:
    from clearlive.serve.titles import title_in

    shown, in_lang = title_in(rule_id, title or "", lang)
    return Markup('<span lang="{}">{}</span>').format(LANGS[in_lang], shown)


def render(lang: str, template: str, **context: Any) -> str:
    return environment(lang).get_template(template).render(**context)
