"""Speech transcripts made for scanning, without a speech model: numbers, windows, seams, sound matching."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from clearlive.model.events import Utterance
from clearlive.watch.normalize.numbers import english_numbers_to_digits, numbers_to_digits
from clearlive.watch.rules.loader import load_rules
from clearlive.watch.rules.sounds import SoundMatcher, may_match_by_sound, syllables
from clearlive.watch.scan.scanner import ScanConfig, Scanner

pytest.importorskip("pypinyin")


@pytest.mark.parametrize(
    ("spoken", "scanned"),
    [
        ("只要九十九元，手慢无", "只要99元，手慢无"),
        ("原价一百九十九现价九十九", "原价199现价99"),
        ("百分之五十的人", "50%的人"),
        ("最后三单了", "最后3单了"),
        ("打五折", "打5折"),
        # words that merely contain a numeral keep it
        ("一定要买", "一定要买"),
        ("十分好用", "十分好用"),
        ("万一坏了", "万一坏了"),
        ("全网第一", "全网第一"),
        ("这是一个好东西", "这是一个好东西"),
        ("千万别错过", "千万别错过"),
    ],
)
def test_spoken_quantities_become_digits_and_words_stay(spoken: str, scanned: str) -> None:
    assert numbers_to_digits(spoken) == scanned


@pytest.mark.parametrize(
    ("spoken", "scanned"),
    [
        ("Only three left, grab it out.", "Only 3 left, grab it out."),  # Whisper on the demo's clip
        ("twenty-nine dollars tonight", "$29 tonight"),
        ("Save Pound 400 on the TV", "Save £400 on the TV"),  # a voice reading "£400"
        ("it costs 5 bucks, 15 euros there", "it costs $5, €15 there"),
        ("lose ten pounds", "lose 10 pounds"),  # a weight as often as a price: stays pounds
        ("one hundred and twenty bucks", "$120"),
        ("only one left", "only 1 left"),
        ("Two thousand and five", "2005"),
        # a lone "one" that counts nothing, and runs that are not one number, stay words
        ("the one I use every day", "the one I use every day"),
        ("one of a kind, no one else", "one of a kind, no one else"),
        ("two three four", "two three four"),
        ("Someone often hears a tone", "Someone often hears a tone"),
    ],
)
def test_english_spoken_numbers_become_digits(spoken: str, scanned: str) -> None:
    assert english_numbers_to_digits(spoken) == scanned


def test_spoken_english_counts_meet_rules_written_with_digits_or_words(scanner_rules: list) -> None:
    """'only [0-9]+ left' (a pattern) and 'ten times the price' (a term) match what Whisper writes
    once its number words are digits: the pattern on the transcript's side, the term on both."""
    pytest.importorskip("faster_whisper")
    from clearlive.watch.audio.asr import for_scanning

    heard = ["Only three left, grab it out.", "After tonight it will be ten times the price."]
    events = [_asr(for_scanning(h, "en", "en"), i, lang="en") for i, h in enumerate(heard)]
    assert events[0].text == "Only 3 left, grab it out." and "10 times the price" in events[1].text
    found = Scanner.from_config(ScanConfig(claims_model=None)).run(events)
    assert {f.event_ids[0] for f in found if f.category == "false_scarcity"} == {"seg0", "seg1"}
    # Typed with digits, the term written in words matches too.
    typed = Utterance(room_id="r", ts=0, id="typed", text="After tonight it is 10 times the price", lang="en")
    assert any(f.category == "false_scarcity" for f in Scanner.from_config(ScanConfig(claims_model=None)).run([typed]))


def test_syllables_read_digits_aloud_and_span_the_run() -> None:
    spoken = syllables("假1赔10")
    assert [s for s, _, _ in spoken] == ["jia", "yi", "pei", "shi"]
    assert spoken[-1][1:] == (3, 5)  # 十 is the whole run "10"


def test_homophone_limit_per_term() -> None:
    # 专治 sounds like 专制 and 专职, common words: it must not match by sound.
    assert not may_match_by_sound("专治", ("zhuan", "zhi"))
    assert may_match_by_sound("手慢无", ("shou", "man", "wu"))
    assert not may_match_by_sound("假", ("jia",))


@pytest.fixture(scope="module")
def scanner_rules() -> list:
    return load_rules()[1]


def _asr(text: str, i: int = 0, lang: str = "zh", logprob: float = -0.3) -> Utterance:
    return Utterance(
        room_id="r",
        ts=1_000 * i,
        id=f"seg{i}",
        text=text,
        lang=lang,
        start=float(i),
        end=i + 2.0,
        source="asr",
        asr_model="faster-whisper-base",
        avg_logprob=logprob,
    )


def test_misheard_terms_match_by_sound_only_in_speech(scanner_rules: list) -> None:
    """手慢无 heard as 手漫无 and 秘方 as 密方 (issue 23's failure modes) still match, by sound, with
    lower confidence; the same text typed in chat does not."""
    findings = list(
        Scanner.from_config(ScanConfig(claims_model=None)).run([_asr("手漫无啊家人们", 0), _asr("祖传密方", 5)])
    )
    by_rule = {f.rule_id: f for f in findings}
    scarcity = by_rule["zh.scarcity.claim"]
    assert scarcity.evidence.text == "手漫无" and scarcity.source == "asr"
    assert scarcity.speech is not None and scarcity.speech.matched_by == "sound"
    assert (scarcity.speech.start, scarcity.speech.end) == (0.0, 2.0)
    assert scarcity.confidence < 0.8 * math.exp(-0.3)  # below the rule's even after the model's certainty
    assert any(f.evidence.text == "祖传密方" and f.speech.matched_by == "sound" for f in findings)
    typed = Utterance(room_id="r", ts=0, id="typed", text="手漫无啊家人们", lang="zh")
    assert not [
        f for f in Scanner.from_config(ScanConfig(claims_model=None)).run([typed]) if f.category == "false_scarcity"
    ]


def test_sound_matching_keeps_allow_lists_and_homophones_of_common_words_quiet(scanner_rules: list) -> None:
    compliant = ["这个是专职客服为您服务", "今天天气不错", "最好冷藏保存", "本品不能替代药物"]
    findings = list(Scanner.from_config(ScanConfig(claims_model=None)).run(_asr(t, i) for i, t in enumerate(compliant)))
    assert findings == []


def test_confidence_follows_the_models_certainty(scanner_rules: list) -> None:
    rule = next(r for r in scanner_rules if r.id == "zh.absolute.superlative")

    def superlative(logprob: float):  # type: ignore[no-untyped-def]
        found = Scanner.from_config(ScanConfig(claims_model=None)).run([_asr("这是全网最低价", 3, logprob=logprob)])
        return next(f for f in found if f.rule_id == rule.id)

    sure, unsure = superlative(0.0), superlative(-1.0)
    assert sure.speech.matched_by == "text" and sure.stream_offset_s == 3.0
    assert sure.confidence == pytest.approx(rule.spec.confidence)
    assert unsure.confidence == pytest.approx(rule.spec.confidence * math.exp(-1.0), abs=1e-3)


def test_sound_index_holds_most_chinese_terms(scanner_rules: list) -> None:
    matcher = SoundMatcher(scanner_rules)
    zh_terms = sum(len(r.spec.terms) for r in scanner_rules if "zh" in r.languages)
    assert 0.5 * zh_terms < matcher.terms < zh_terms  # some terms are exact-only by the homophone limit


def test_sentences_join_across_time_cuts_and_seams() -> None:
    pytest.importorskip("faster_whisper")
    from clearlive.watch.audio.asr import AsrSegment, join_sentences

    cut = [
        AsrSegment(0.0, 6.7, "Ginger has been used to treat conditions including", "Ginger ... including", "en", -0.2),
        AsrSegment(6.8, 9.7, "nausea, heartburn and arthritic pain.", "nausea ... pain.", "en", -0.4),
        AsrSegment(12.0, 13.0, "Welcome.", "Welcome.", "en", -0.1),
    ]
    joined = join_sentences(cut)
    assert [s.text for s in joined] == [
        "Ginger has been used to treat conditions including nausea, heartburn and arthritic pain.",
        "Welcome.",
    ]
    assert (joined[0].start, joined[0].end) == (0.0, 9.7)
    assert -0.4 < joined[0].avg_logprob < -0.2


def test_traditional_output_is_simplified_unless_the_room_is_zh_hant() -> None:
    pytest.importorskip("faster_whisper")
    from clearlive.watch.audio.asr import for_scanning, segment_language

    assert for_scanning("手漫無，只要九十九元", "zh", "zh") == "手漫无，只要99元"
    assert for_scanning("手漫無", "zh-Hant", "zh-Hant") == "手漫無"
    assert segment_language("It cures cancer", "mixed") == "en"
    assert segment_language("全网最低价", None) == "zh"
    assert segment_language("全网最低价 OK", "zh-Hant") == "zh-Hant"


def test_whisper_json_segments_keep_their_language(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    """`clearlive transcribe` writes a language per segment; a corrected file scans with it."""
    doc = {
        "text": "",
        "language": None,
        "segments": [
            {"id": 0, "start": 0.0, "end": 2.0, "text": "这是全网最低价", "language": "zh"},
            {"id": 1, "start": 2.5, "end": 4.0, "text": "It cures cancer.", "language": "en"},
        ],
    }
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run_cli("scan", path, "--no-claims-model")
    assert code == 0
    cats = {json.loads(line)["category"] for line in out.splitlines()}
    assert {"absolute_terms", "efficacy_claim"} <= cats


# What the registry's Whisper base model wrote for tests/data/audio/zh-neural.mp3 with its pauses cut
# to 0.2 s (three sentences starting at 0, 2.68 and 5.20 s; `clearlive transcribe`, words as heard:
# traditional characters, one segment for all three sentences).
JOINED_TEXT = "首次南极科考的唯一营养补充器,今年有带红茶养品的茶浓芒,限量500分1分钱商品品手速的时候到了。"
JOINED_WORDS = [
    ("首", 0.0, 0.16), ("次", 0.16, 0.34), ("南", 0.34, 0.52), ("極", 0.52, 0.74), ("科", 0.74, 0.88),
    ("考", 0.88, 1.06), ("的", 1.06, 1.2), ("唯", 1.2, 1.36), ("一", 1.36, 1.54), ("營", 1.54, 1.68),
    ("養", 1.68, 1.84), ("補", 1.84, 2.02), ("充", 2.02, 2.2), ("器,", 2.2, 2.44), ("今年", 2.64, 2.88),
    ("有", 2.88, 3.12), ("帶", 3.12, 3.26), ("紅", 3.26, 3.5), ("茶", 3.5, 3.7), ("養", 3.7, 3.9),
    ("品", 3.9, 4.1), ("的", 4.1, 4.24), ("茶", 4.24, 4.46), ("濃", 4.46, 4.66), ("芒,", 4.66, 4.88),
    ("限", 5.18, 5.38), ("量", 5.38, 5.52), ("500", 5.52, 6.04), ("分", 6.04, 6.46), ("1", 6.46, 6.66),
    ("分", 6.66, 6.78), ("錢", 6.78, 6.94), ("商", 6.94, 7.14), ("品", 7.14, 7.34), ("品", 7.34, 7.52),
    ("手", 7.52, 7.74), ("速", 7.74, 7.94), ("的時候", 7.94, 8.28), ("到了。", 8.28, 8.56),
]  # fmt: skip
JOINED_STARTS = (0.0, 2.68, 5.2)


def test_word_times_follow_the_scanned_text() -> None:
    """Traditional heard, simplified scanned; spoken numbers scanned as digits; a seam's repeat
    trimmed from the text: each word keeps its time at the offset where it begins in the text."""
    from opencc import OpenCC

    from clearlive.watch.audio.timing import quote_time, word_times

    t2s = OpenCC("t2s").convert
    times = word_times(JOINED_TEXT, [(a, b, w) for w, a, b in JOINED_WORDS], t2s)
    assert len(times) == len(JOINED_WORDS)  # every word found its place in the simplified text
    assert [o for o, _, _ in times] == sorted({o for o, _, _ in times})
    i = JOINED_TEXT.index("限量")
    assert quote_time(times, i, i + 5) == (5.18, 6.04)  # 限量500: from 限 to the end of 500
    # 九十九 heard, 99 scanned: the price's words map onto the digits.
    heard = [(0.0, 0.4, "原價"), (0.4, 0.9, "九十"), (0.9, 1.1, "九"), (1.1, 1.3, "元"), (2.0, 2.6, "手漫無")]
    text = "原价99元，手漫无"
    times = word_times(text, heard, t2s)
    assert quote_time(times, text.index("99"), text.index("99") + 3) == (0.4, 1.3)
    assert quote_time(times, text.index("手"), len(text)) == (2.0, 2.6)
    # English words carry a leading space; a repeat trimmed at a window's seam has no place.
    heard = [(9.0, 9.3, " pain."), (10.0, 10.4, " Ginger"), (10.4, 10.9, " cures"), (10.9, 11.5, " cancer.")]
    text = "Ginger cures cancer."
    times = word_times(text, heard)
    assert times == [(0, 10.0, 10.4), (7, 10.4, 10.9), (13, 10.9, 11.5)]
    assert quote_time(times, 7, len(text)) == (10.4, 11.5)
    assert quote_time(None, 0, 3) is None and word_times("", heard) == []


def _joined_asr(text: str = JOINED_TEXT) -> Utterance:
    from opencc import OpenCC

    from clearlive.watch.audio.timing import word_times

    times = word_times(text, [(a, b, w) for w, a, b in JOINED_WORDS], OpenCC("t2s").convert)
    return Utterance(
        room_id="r",
        ts=1_000_000,
        id="clip#asr1",
        lang="zh",
        text=text,
        start=0.0,
        end=8.56,
        source="asr",
        asr_model="faster-whisper-base",
        avg_logprob=-0.33,
        word_times=times,
    )


def _sentence_of(seconds: float) -> int:
    return max(k for k, start in enumerate(JOINED_STARTS) if start <= seconds + 0.5)


def test_a_finding_is_placed_at_the_words_it_quotes() -> None:
    """Three sentences in one utterance: the absolute claim in the first and the scarcity claim in
    the third are each placed at their own words (ts, stream_offset_s and the recording span),
    within 1.5 s of their sentence, and nothing points at the compliant second sentence."""
    ev = _joined_asr()
    findings = [f for f in Scanner.from_config(ScanConfig()).run([ev]) if f.severity != "info"]
    found = {f.category: f for f in findings}
    assert {"absolute_terms", "false_scarcity"} <= set(found), findings
    for category, sentence in (("absolute_terms", 0), ("false_scarcity", 2)):
        f = found[category]
        assert f.speech is not None and f.speech.utterance_start == 0.0 and f.speech.utterance_end == 8.56
        assert f.stream_offset_s == f.speech.start and f.speech.start < f.speech.end
        assert f.ts_ms == ev.ts + round(f.speech.start * 1000)
        assert abs(f.speech.start - JOINED_STARTS[sentence]) <= 1.5, (category, f.speech)
    assert found["false_scarcity"].speech.start == 5.18  # 限: the quote's first word  # type: ignore[union-attr]
    assert not [f for f in findings if f.speech and _sentence_of(f.speech.start) == 1]


def test_whisper_json_words_place_findings_after_a_correction(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    """`clearlive transcribe` writes each segment's words; a reviewer corrects the text (茶浓芒 ->
    茶农吗, 500分 -> 5000份) and scans it again: findings still point at the words they quote."""
    corrected = JOINED_TEXT.replace("茶浓芒", "茶农吗").replace("500分", "5000份")
    words = [{"word": w, "start": a, "end": b, "probability": 0.9} for w, a, b in JOINED_WORDS]
    doc = {"language": "zh", "segments": [{"id": 0, "start": 0.0, "end": 8.56, "text": corrected, "words": words}]}
    path = tmp_path / "joined.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    code, out, err = run_cli("scan", path, "--no-claims-model")
    assert code == 0, err
    found = {f["category"]: f for f in map(json.loads, out.splitlines()) if f["severity"] != "info"}
    assert {"absolute_terms", "false_scarcity"} <= set(found), out
    assert 0 <= found["absolute_terms"]["stream_offset_s"] <= 1.5
    assert 5.2 - 0.1 <= found["false_scarcity"]["stream_offset_s"] <= 5.2 + 1.5
    # Malformed words lose only the placement: the segment still scans, at its start.
    doc["segments"][0]["words"] = [{"word": "限"}]
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    code, out, err = run_cli("scan", path, "--no-claims-model")
    assert code == 0, err
    offsets = {json.loads(line)["stream_offset_s"] for line in out.splitlines()}
    assert offsets == {0.0}
