"""Speech to timed segments made for scanning.

A recording is transcribed whole (Whisper's own 30-second seeking, the most accurate) or in
overlapping windows (bounded latency for live rooms). Windows overlap by `overlap_s`; each window
owns the middle of its overlaps, and each word (Whisper's word timestamps) is kept from the window
that owns its midpoint, so words cut at a window's edge come from the neighbour that heard them
whole, and nothing is kept twice. Text still repeated across a seam is trimmed, and the pieces of
a sentence on both sides of a seam are joined again.

Every segment is then made comparable with written rules: traditional characters to simplified
(unless the room speaks zh-Hant), spoken quantities to digits (九十九元 -> 99元, only three left ->
only 3 left), and a language tag per segment from its script, so mixed Chinese-English rooms get
the right rule packs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import opencc

from clearlive.errors import InputError
from clearlive.watch.audio.decode import SAMPLE_RATE
from clearlive.watch.audio.model import AsrModel
from clearlive.watch.audio.timing import WordTime, word_times
from clearlive.watch.normalize.numbers import english_numbers_to_digits, numbers_to_digits

_CJK_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN_RE = re.compile("[A-Za-z]")
_t2s = opencc.OpenCC("t2s")


@dataclass(frozen=True, slots=True)
class AsrOptions:
    lang: str | None = None  # the room's language: zh, zh-Hant, en; None or "mixed": detect per window
    window_s: float = 0.0  # 0: the whole recording at once
    overlap_s: float = 4.0
    beam_size: int = 5
    vad: bool = False  # Silero VAD (bundled with faster-whisper) to skip music and silence


@dataclass(slots=True)
class AsrSegment:
    start: float  # seconds into the recording
    end: float
    text: str  # as scanned: simplified, numbers as digits
    heard: str  # as the model wrote it
    lang: str | None
    avg_logprob: float
    no_speech_prob: float = 0.0
    words: list[tuple[float, float, str, float]] = field(default_factory=list)


def whisper_language(room_lang: str | None) -> str | None:
    """The decoding language Whisper is given: fixed for a one-language room, None to detect."""
    if not room_lang or room_lang == "mixed":
        return None
    return room_lang.split("-")[0].lower()


def check_language(room_lang: str | None) -> None:
    """An InputError for a language Whisper does not know (before any audio is decoded)."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES  # the list WhisperModel.supported_languages reads

    code = whisper_language(room_lang)
    if code is not None and code not in _LANGUAGE_CODES:
        raise InputError(f"--lang {room_lang}: not a language the speech model knows (use zh, zh-Hant, en or mixed)")


def segment_language(text: str, room_lang: str | None) -> str | None:
    """The segment's language from its script; a one-language room keeps its tag (zh-Hant stays)."""
    has_cjk = _CJK_RE.search(text) is not None
    has_latin = _LATIN_RE.search(text) is not None
    if room_lang and room_lang != "mixed":
        primary = room_lang.split("-")[0].lower()
        if primary == "zh" and (has_cjk or not has_latin):
            return room_lang
        if primary == "en" and not has_cjk:
            return room_lang
    if has_cjk:
        return "zh"
    return "en" if has_latin else None


def text_word_times(seg: AsrSegment, room_lang: str | None) -> list[WordTime]:
    """The segment's word timestamps carried over to its scanned text (timing.word_times)."""
    fold = None if room_lang == "zh-Hant" else _t2s.convert
    return word_times(seg.text, [(a, b, w) for a, b, w, _ in seg.words], fold)


def for_scanning(heard: str, lang: str | None, room_lang: str | None) -> str:
    text = heard.strip()
    if lang and lang.startswith("zh"):
        if room_lang != "zh-Hant":
            text = _t2s.convert(text)
        text = numbers_to_digits(text)
    elif lang and lang.startswith("en"):
        text = english_numbers_to_digits(text)  # only three left -> only 3 left
    return text


MIXED_LANGUAGES = ("zh", "en")  # what a mixed room speaks: Chinese first, English second
LANGUAGE_PAUSE_MS = 500  # a pause this long may change the language (a new sentence)


def language_runs(model: AsrModel, samples: np.ndarray) -> list[tuple[int, int, str]]:
    """A mixed room's speech as runs of one language: (first sample, end sample, language).

    Whisper detects the language once per 30 seconds and then writes everything in it: an English
    sentence after Chinese ones is dropped or translated. So each stretch of speech between pauses
    (Silero VAD, bundled with faster-whisper) gets its own detection, the likelier of Chinese and
    English, and neighbouring stretches of one language are joined so Whisper still reads whole
    sentences in context."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    spans = get_speech_timestamps(samples, VadOptions(min_silence_duration_ms=LANGUAGE_PAUSE_MS, speech_pad_ms=200))
    runs: list[tuple[int, int, str]] = []
    for span in spans:
        a, b = int(span["start"]), int(span["end"])
        _, _, probs = model.whisper.detect_language(audio=samples[a:b])
        scores = dict(probs)
        lang = max(MIXED_LANGUAGES, key=lambda code: scores.get(code, 0.0))
        if runs and runs[-1][2] == lang:
            runs[-1] = (runs[-1][0], b, lang)
        else:
            runs.append((a, b, lang))
    return runs


def _decode_window(model: AsrModel, samples: np.ndarray, offset: float, opts: AsrOptions) -> list[AsrSegment]:
    language = whisper_language(opts.lang)
    if language is None and model.is_multilingual:
        # A mixed room: each run of one language decoded in it (language_runs), in order.
        out: list[AsrSegment] = []
        for a, b, run_lang in language_runs(model, samples):
            run_opts = AsrOptions(lang=run_lang, beam_size=opts.beam_size, vad=opts.vad)
            for seg in _decode_window(model, samples[a:b], offset + a / SAMPLE_RATE, run_opts):
                seg.lang = segment_language(seg.heard, None)  # by script, as before: zh-Hant stays a room's choice
                out.append(seg)
        return out
    segments, _ = model.whisper.transcribe(
        samples,
        language=language,
        beam_size=opts.beam_size,
        word_timestamps=True,
        vad_filter=opts.vad,
        condition_on_previous_text=False,  # a misheard sentence must not steer the next one
    )
    out = []
    for s in segments:
        heard = s.text.strip()
        if not heard:
            continue
        lang = segment_language(heard, opts.lang)
        words = [
            (float(w.start) + offset, float(w.end) + offset, w.word, float(w.probability)) for w in (s.words or ())
        ]
        out.append(
            AsrSegment(
                start=round(float(s.start) + offset, 3),
                end=round(float(s.end) + offset, 3),
                text=for_scanning(heard, lang, opts.lang),
                heard=heard,
                lang=lang,
                avg_logprob=round(float(s.avg_logprob), 4),
                no_speech_prob=round(float(s.no_speech_prob), 4),
                words=words,
            )
        )
    return out


def _owned_part(seg: AsrSegment, owned_from: float, owned_to: float, room_lang: str | None) -> AsrSegment | None:
    """The words of `seg` whose middle lies in the window's owned span (None if none do).

    Whisper's segments can run across a seam, so ownership is decided word by word; the part of
    a sentence on each side of a seam is joined again by join_sentences."""
    if not seg.words:
        middle = (seg.start + seg.end) / 2
        return seg if owned_from <= middle < owned_to else None
    words = [w for w in seg.words if owned_from <= (w[0] + w[1]) / 2 < owned_to]
    if len(words) == len(seg.words):
        return seg
    if not words:
        return None
    heard = "".join(w[2] for w in words).strip()
    return AsrSegment(
        start=round(words[0][0], 3),
        end=round(words[-1][1], 3),
        text=for_scanning(heard, seg.lang, room_lang),
        heard=heard,
        lang=seg.lang,
        avg_logprob=seg.avg_logprob,
        no_speech_prob=seg.no_speech_prob,
        words=words,
    )


def _trim_seam(previous: AsrSegment, current: AsrSegment) -> None:
    """Drop from `current` a beginning that repeats the end of `previous` (heard in both windows)."""
    if current.start >= previous.end:
        return
    a, b = previous.text, current.text
    for k in range(min(len(a), len(b)), 1, -1):
        if a.endswith(b[:k]):
            current.text = b[k:].lstrip(" ,，。")
            return


_SENTENCE_END = tuple(".!?。！？…")
MAX_JOIN_GAP_S = 1.0  # a longer pause ends the sentence whatever the punctuation says
MAX_SENTENCE_CHARS = 300


def join_sentences(segments: list[AsrSegment]) -> list[AsrSegment]:
    """Whisper cuts segments by time, not by sentence ('... used to treat conditions including' |
    'nausea, heartburn ...'); rules read a sentence at a time, so a segment that does not end a
    sentence is joined to the next one when it follows within a second in the same language."""
    out: list[AsrSegment] = []
    for seg in segments:
        prev = out[-1] if out else None
        if (
            prev is not None
            and not prev.heard.rstrip().endswith(_SENTENCE_END)
            and seg.start - prev.end <= MAX_JOIN_GAP_S
            and seg.lang == prev.lang
            and len(prev.text) + len(seg.text) <= MAX_SENTENCE_CHARS
        ):
            sep = "" if (prev.lang or "").startswith("zh") else " "
            n_prev, n_seg = max(1, len(prev.heard)), max(1, len(seg.heard))
            prev.avg_logprob = round((prev.avg_logprob * n_prev + seg.avg_logprob * n_seg) / (n_prev + n_seg), 4)
            prev.no_speech_prob = max(prev.no_speech_prob, seg.no_speech_prob)
            prev.text = prev.text + sep + seg.text
            prev.heard = prev.heard + sep + seg.heard
            prev.end = seg.end
            prev.words.extend(seg.words)
        else:
            out.append(seg)
    return out


def transcribe(model: AsrModel, samples: np.ndarray, opts: AsrOptions = AsrOptions()) -> list[AsrSegment]:
    """Timed, scan-ready segments of a whole recording (16 kHz mono float32)."""
    if opts.window_s <= 0 or len(samples) / SAMPLE_RATE <= opts.window_s:
        kept = [seg for seg in _decode_window(model, samples, 0.0, opts) if seg.text]
        return join_sentences(kept)
    stream = StreamTranscriber(model, opts)
    return stream.feed(samples, final=True)


class StreamTranscriber:
    """Overlapping windows over audio that arrives in pieces (a live room), or all at once (a file).

    `feed` returns the sentences that are complete: a sentence still open at the end of the last
    window waits for the next one, so a live room gets the same utterances as its recording."""

    def __init__(self, model: AsrModel, opts: AsrOptions) -> None:
        if opts.window_s <= 0 or not 0 <= opts.overlap_s < opts.window_s:
            raise ValueError("windows need window_s > 0 and 0 <= overlap_s < window_s")
        self.model = model
        self.opts = opts
        self.buffer = np.zeros(0, dtype=np.float32)
        self.buffer_start = 0.0  # recording time of buffer[0], seconds
        self.next_start = 0.0  # recording time where the next window starts
        self.open: list[AsrSegment] = []  # the sentence not yet ended

    @property
    def heard_until(self) -> float:
        return self.buffer_start + len(self.buffer) / SAMPLE_RATE

    def feed(self, samples: np.ndarray, final: bool = False) -> list[AsrSegment]:
        self.buffer = np.concatenate([self.buffer, samples.astype(np.float32, copy=False)])
        window, overlap = self.opts.window_s, self.opts.overlap_s
        done: list[AsrSegment] = []
        while self.heard_until >= self.next_start + window or (final and self.heard_until > self.next_start):
            start = self.next_start
            end = min(start + window, self.heard_until)
            last = final and end >= self.heard_until
            owned_from = 0.0 if start == 0 else start + overlap / 2
            owned_to = math.inf if last else start + window - overlap / 2
            a = round((start - self.buffer_start) * SAMPLE_RATE)
            b = round((end - self.buffer_start) * SAMPLE_RATE)
            for seg in _decode_window(self.model, self.buffer[a:b], start, self.opts):
                owned = _owned_part(seg, owned_from, owned_to, self.opts.lang)
                if owned is None:
                    continue  # the neighbouring window owns it
                if self.open and self.open[-1].lang == owned.lang:
                    _trim_seam(self.open[-1], owned)
                if owned.text:
                    self.open.append(owned)
            sentences = join_sentences(self.open)
            if last:
                done.extend(sentences)
                self.open = []
            else:
                # Keep back a sentence that has not ended: the next window may continue it.
                tail = sentences[-1] if sentences and not sentences[-1].heard.rstrip().endswith(_SENTENCE_END) else None
                done.extend(sentences[:-1] if tail is not None else sentences)
                self.open = [tail] if tail is not None else []
            self.next_start = start + window - overlap
            drop = int((self.next_start - self.buffer_start) * SAMPLE_RATE)
            if drop > 0:
                self.buffer = self.buffer[drop:]
                self.buffer_start += drop / SAMPLE_RATE
            if last:
                break
        return done


def transcribe_stream(model: AsrModel, blocks: Iterator[np.ndarray], opts: AsrOptions) -> Iterator[AsrSegment]:
    """Sentences of a stream as soon as they are complete (a live room followed from its URL):
    the same windows and seams as the recording of it transcribed with the same options."""
    stream = StreamTranscriber(model, opts)
    for block in blocks:
        yield from stream.feed(block)
    yield from stream.feed(np.zeros(0, dtype=np.float32), final=True)
