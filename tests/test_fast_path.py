"""The fast path for text (issue #21 item 1): `Scanner.run` pre-filters the texts of many events with
one automaton pass and sends only those with a candidate through the matcher. It must change
nothing: the same views as one event at a time on property-drawn texts (rule terms and pattern
literals cut into pieces, evasions, separators, chat, any Unicode), and the same findings, in the
same order, as the plain path on the demo's rooms and on a drawn corpus."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearlive.demo import scripts
from clearlive.model.events import Event, EventBase
from clearlive.watch.detectors.textview import TextAnalyzer
from clearlive.watch.rules.gates import required_literals
from clearlive.watch.scan.scanner import TEXT_BATCH, ScanConfig, Scanner, build_ruleset
from tests.test_lifecycle import copies, realistic_stream

CONFIG = ScanConfig()  # every default detector, the claims classifier included
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@cache
def analyzer() -> TextAnalyzer:
    return TextAnalyzer(build_ruleset(CONFIG))


@cache
def vocabulary() -> list[str]:
    """Every rule term, allow-list and context phrase, and the patterns' required literals."""
    rules = analyzer().ruleset.rules  # type: ignore[union-attr]
    words = {t for r in rules for t in (*r.spec.terms, *r.spec.allow)}
    for r in rules:
        for p in r.patterns:
            words.update(required_literals(p) or ())
    return sorted(w for w in words if w)


CHAT = [*scripts.HONEST_ZH_CHAT, *scripts.BAD_ZH_CHAT, *scripts.HONEST_EN_CHAT, *scripts.SPAM_ZH_CHAT]
HOST = [*scripts.HONEST_ZH_HOST, *scripts.BAD_ZH_HOST]


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = draw(
        st.lists(
            st.one_of(
                st.sampled_from(vocabulary()),
                st.sampled_from(vocabulary()).map(lambda w: w[: max(1, len(w) - 1)]),  # almost a term
                st.sampled_from(CHAT + HOST),
                st.sampled_from([" ", "🌹", "·", "-", "！", "\u200b", "Ｖ", "⑧", "8", "vx", "加", "🈲"]),
                st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8),
            ),
            max_size=6,
        )
    )
    return "".join(parts)


@st.composite
def events(draw: st.DrawFn, n: int) -> list[EventBase]:
    out = []
    for i in range(n):
        kind = draw(st.sampled_from(["comment", "comment", "utterance", "product", "room_stats"]))
        fields: dict[str, object] = {"type": kind, "room_id": f"r{draw(st.integers(0, 3))}", "id": f"e{i}"}
        fields["ts"] = 1_793_534_400_000 + i * 700
        if kind == "comment":
            fields |= {"text": draw(texts()), "user_id": f"u{draw(st.integers(0, 30))}"}
        elif kind == "utterance":
            fields |= {"text": draw(texts()), "speaker": draw(st.sampled_from(["host", "guest", "platform"]))}
            fields["source"] = draw(st.sampled_from([None, "asr"]))
            fields["lang"] = draw(st.sampled_from([None, "zh", "en"]))
        elif kind == "product":
            fields |= {"sku": "s1", "title": draw(texts()), "price": 99.0}
        else:
            fields |= {"online": draw(st.integers(0, 5000))}
        out.append(msgspec.convert({k: v for k, v in fields.items() if v is not None}, Event))
    return out


def _encoded(findings: list) -> list[bytes]:
    return [msgspec.json.encode(f) for f in findings]


@SETTINGS
@given(st.data())
def test_batched_views_are_the_views_of_each_event(data: st.DataObject) -> None:
    evs = data.draw(events(data.draw(st.integers(1, 40))))
    a = analyzer()
    batched = a.views(evs)
    one_by_one = [a.view(ev) for ev in evs]
    assert [(v.text, v.normalised, v.matches, v.cues) for v in batched] == [
        (v.text, v.normalised, v.matches, v.cues) for v in one_by_one
    ]


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_fast_path_finds_what_the_plain_path_finds_on_a_drawn_corpus(data: st.DataObject) -> None:
    evs = data.draw(events(400))  # two scanners per example (each loads the packs and the classifier)
    fast = list(Scanner.from_config(CONFIG).run(copies(evs), batch=64))
    plain = list(Scanner.from_config(CONFIG).run(copies(evs), batch=1))
    assert _encoded(fast) == _encoded(plain)


def test_fast_path_finds_what_the_plain_path_finds_on_the_demo(tmp_path: Path) -> None:
    stream = realistic_stream(tmp_path)
    fast = list(Scanner.from_config(CONFIG).run(copies(stream), batch=TEXT_BATCH))
    plain = list(Scanner.from_config(CONFIG).run(copies(stream), batch=1))
    assert len(plain) > 200
    assert _encoded(fast) == _encoded(plain)
    # the pre-filter does skip: most of the demo's texts reach no matcher
    a = analyzer()
    texts_ = [e for e in stream if e.__struct_config__.tag in ("comment", "utterance")]
    flags = a.ruleset.matcher.may_match([a.view(e).normalised for e in texts_])  # type: ignore[union-attr]
    assert 0 < sum(flags) < 0.5 * len(flags)
