"""Speech transcripts made for scanning, without a speech model: numbers, windows, seams, sound matching."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from clearlive.model.events import Utterance
from clearlive.watch.normalize.numbers import numbers_to_digits
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
