"""Recordings in: real speech (AISHELL-1, LibriSpeech) and dev-corpus statements spoken by espeak-ng,
decoded by PyAV and transcribed by the registry's Whisper base model, loaded once for the session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("faster_whisper", reason="the audio extra is not installed: pip install 'clearlive[audio]'")
pytest.importorskip("av", reason="the audio extra is not installed: pip install 'clearlive[audio]'")

from clearlive.watch.audio.asr import AsrOptions, transcribe
from clearlive.watch.audio.decode import decode
from clearlive.watch.audio.model import BASE_MODEL_SHA256, AsrModel, load_model

CLIPS = Path(__file__).parent / "data" / "audio"
AISHELL = CLIPS / "real" / "aishell-BAC009S0724W0121.wav"
AISHELL_TEXT = "广州市房地产中介协会分析"
LIBRI = CLIPS / "real" / "librispeech-1995-1837-0001.wav"
LIBRI_TEXT = (
    "IT WAS THE FIRST GREAT SORROW OF HIS LIFE IT WAS NOT SO MUCH THE LOSS OF THE COTTON ITSELF "
    "BUT THE FANTASY THE HOPES THE DREAMS BUILT AROUND IT"
)
SPOKEN = CLIPS / "en-efficacy.mp3"


@pytest.fixture(scope="session")
def model() -> AsrModel:
    return load_model()  # cached per process: the CLI runs below reuse it


def edit_distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def words(text: str) -> list[str]:
    return "".join(c if c.isalnum() or c.isspace() else " " for c in text.upper()).split()


def test_default_model_is_the_upstream_base_model(model: AsrModel) -> None:
    assert model.sha256 == BASE_MODEL_SHA256 and model.name == "faster-whisper-base"
    assert load_model() is model  # loaded once


def test_real_mandarin_speech(model: AsrModel) -> None:
    segments = transcribe(model, decode(AISHELL).samples, AsrOptions(lang="zh"))
    heard = "".join(s.text for s in segments)
    cer = edit_distance(list(heard.strip("。，")), list(AISHELL_TEXT)) / len(AISHELL_TEXT)
    assert cer <= 0.25, heard  # measured 0.17 (2 of 12 characters) with whisper-base int8
    assert all(s.lang == "zh" for s in segments)
    assert segments[0].start < 0.5 and 3.0 < segments[-1].end <= 4.4  # the clip is 4.3 s


def test_real_english_speech_whole_and_windowed(model: AsrModel) -> None:
    samples = decode(LIBRI).samples
    whole = transcribe(model, samples, AsrOptions(lang="en"))
    windowed = transcribe(model, samples, AsrOptions(lang="en", window_s=6.0, overlap_s=2.0))
    for segments in (whole, windowed):
        heard = words(" ".join(s.text for s in segments))
        wer = edit_distance(heard, LIBRI_TEXT.split()) / len(LIBRI_TEXT.split())
        assert wer <= 0.15, heard  # whole file: 0.0; the seam must not repeat or drop words
    assert [s.start for s in windowed] == sorted(s.start for s in windowed)


def test_live_chunks_give_the_same_utterances_as_the_recording(model: AsrModel) -> None:
    """A live room's audio arrives in pieces; the windows, and so the utterances, are the same."""
    from clearlive.watch.audio.asr import StreamTranscriber

    samples = decode(LIBRI).samples
    opts = AsrOptions(lang="en", window_s=6.0, overlap_s=2.0)
    whole = transcribe(model, samples, opts)
    stream = StreamTranscriber(model, opts)
    second = 16_000
    pieces = [samples[i : i + second] for i in range(0, len(samples), second)]
    live = [seg for piece in pieces for seg in stream.feed(piece)] + stream.feed(samples[:0], final=True)
    assert [(s.start, s.end, s.text) for s in live] == [(s.start, s.end, s.text) for s in whole]


def test_scan_a_recording_finds_the_spoken_claim(run_cli, model: AsrModel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "findings.jsonl"
    code, _, err = run_cli("scan", SPOKEN, "--lang", "en", "--out", out)
    assert code == 0, err
    findings = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    claims = [f for f in findings if f["category"] == "efficacy_claim"]
    assert claims, findings
    f = claims[0]
    assert f["source"] == "asr" and f["speech"]["model"] == "faster-whisper-base"
    assert f["speech"]["avg_logprob"] < 0 and f["confidence"] < 0.8
    # The quote is a slice of the transcript, and the span points into the recording (11.2 s).
    assert "treat" in f["evidence"]["text"].lower()
    assert 0 <= f["speech"]["start"] < f["speech"]["end"] <= 11.3
    assert f["stream_offset_s"] == f["speech"]["start"]


def test_transcribe_writes_vtt_and_json_that_scan_reads_back(run_cli, model: AsrModel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli("transcribe", AISHELL, SPOKEN, "--out-dir", tmp_path)
    assert code == 0, err
    vtt = (tmp_path / "en-efficacy.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT") and "-->" in vtt and "Ginger" in vtt
    doc = json.loads((tmp_path / "aishell-BAC009S0724W0121.json").read_text(encoding="utf-8"))
    assert doc["model"] == {"name": "faster-whisper-base", "sha256": BASE_MODEL_SHA256}
    assert doc["segments"][0]["language"] == "zh" and doc["segments"][0]["words"]
    # A reviewer corrects the transcript and scans it again.
    corrected = tmp_path / "en-efficacy.vtt"
    corrected.write_text(vtt.replace("Ginger has been used", "Ginger cures cancer and has been used"), encoding="utf-8")
    code, out, _ = run_cli("scan", corrected, "--no-claims-model")
    assert code == 0 and any(json.loads(line)["category"] == "efficacy_claim" for line in out.splitlines())


def test_unreadable_audio_and_wrong_model_hash_are_clear_errors(run_cli, model: AsrModel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    code, _, err = run_cli("scan", broken)
    assert code == 2 and "broken.mp4" in err and "FFmpeg" in err
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (model_dir / name).write_bytes(b"{}")
    (model_dir / "model.bin").write_bytes(b"not the weights")
    code, _, err = run_cli("transcribe", SPOKEN, "--asr-model", model_dir, "--asr-sha256", BASE_MODEL_SHA256)
    assert code == 2 and "SHA-256" in err and "model.bin" in err
    code, _, err = run_cli("scan", tmp_path / "clip.ogx")
    assert code == 2 and "no such file" in err
    code, _, err = run_cli("scan", SPOKEN, "--lang", "klingon")
    assert code == 2 and "klingon" in err


def wav_bytes(samples) -> bytes:  # type: ignore[no-untyped-def]
    import io
    import wave

    import numpy as np

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def test_live_room_audio_chunks_become_utterances_and_findings(model: AsrModel) -> None:
    from clearlive.serve.store import open_store
    from tests.test_service import Service

    svc = Service(open_store(None))
    try:
        samples = decode(SPOKEN).samples
        step = 3 * 16_000  # 3-second chunks, as a browser's MediaRecorder would send
        chunks = [samples[i : i + step] for i in range(0, len(samples), step)]
        heard = []
        for n, chunk in enumerate(chunks):
            r = svc.client.post(
                "/api/v1/rooms/live-1/audio",
                params={"lang": "en", "t0": "2026-11-01T12:00:00Z", "final": n == len(chunks) - 1, "window_s": 8},
                content=wav_bytes(chunk),
                headers=svc.h("ingest"),
            )
            assert r.status_code == 202, r.text
            heard += r.json()["utterances"]
        assert any("ginger" in u["text"].lower() for u in heard)
        assert all(0 <= u["start"] < u["end"] <= 11.3 for u in heard)
        svc.pipeline.drain()
        found = svc.client.get("/api/v1/findings", params={"room_id": "live-1"}, headers=svc.h("reviewer")).json()
        claim = next(f for f in found if f["category"] == "efficacy_claim")
        assert claim["source"] == "asr" and claim["speech"]["model"] == "faster-whisper-base"
        assert claim["ts"].startswith("2026-11-01T12:00:")
        # a chunk that is not audio names the room; another tenant cannot send into this room
        bad = svc.client.post("/api/v1/rooms/live-1/audio", content=b"not audio", headers=svc.h("ingest"))
        assert bad.status_code == 422 and "live-1" in bad.json()["detail"]
        foreign = svc.client.post(
            "/api/v1/rooms/live-1/audio", content=wav_bytes(chunks[0]), headers=svc.h("ingest", "other")
        )
        assert foreign.status_code == 403
    finally:
        svc.pipeline.close()


ZH_NEURAL = CLIPS / "zh-neural.mp3"  # dev.jsonl: an absolute claim, a compliant question, a scarcity claim


def test_mandarin_violations_spoken_by_a_neural_voice(run_cli, model: AsrModel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """首次南极科考的唯一营养补充剂 / 今年有带红茶样品的茶农吗? / 限量5000份1分钱商品,拼手速的时候到了,
    spoken with 1.2 s pauses: both violations found from the audio, nothing on the question, each
    finding placed on its own sentence."""
    out = tmp_path / "zh.jsonl"
    code, _, err = run_cli("scan", ZH_NEURAL, "--lang", "zh", "--out", out)
    assert code == 0, err
    findings = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    found = {f["category"]: f for f in findings if f["severity"] != "info"}
    assert {"absolute_terms", "false_scarcity"} <= set(found), findings
    # Sentences start at 0, about 4.3 and about 8.1 s (each statement's length plus 1.2 s of pause).
    assert found["absolute_terms"]["speech"]["start"] < 1.5
    assert 6.6 <= found["false_scarcity"]["speech"]["start"] <= 9.6
    assert not [f for f in findings if 3.5 <= f["speech"]["start"] < 6.6]  # the compliant question


def test_a_mixed_room_keeps_the_english_after_the_chinese(model: AsrModel) -> None:
    """Whisper detects one language per 30 s: Chinese then English in one file gave the Chinese
    only. Detected per stretch of speech, both come out, each tagged by its own language."""
    import numpy as np

    zh, en = decode(ZH_NEURAL).samples, decode(SPOKEN).samples
    clip = np.concatenate([zh, np.zeros(16_000, dtype=np.float32), en])
    segments = transcribe(model, clip, AsrOptions(lang="mixed"))
    english = [s for s in segments if s.lang == "en"]
    chinese = [s for s in segments if s.lang == "zh"]
    assert chinese and chinese[0].start < 1.0 and "唯一" in chinese[0].text
    assert english and "ginger" in " ".join(s.text for s in english).lower()
    assert min(s.start for s in english) >= 12.5  # the English starts after the 12.7 s of Chinese


def _speech_spans(samples, min_pause_s: float = 0.6) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Where the clip is loud, split at pauses of at least `min_pause_s` (10 ms frames)."""
    import numpy as np

    frame = 160
    n = len(samples) // frame
    loud = np.abs(samples[: n * frame]).reshape(n, frame).max(axis=1) > 0.01
    spans, start, end, quiet = [], None, 0, 0
    for i in range(n):
        if loud[i]:
            start = i if start is None else start
            end, quiet = i + 1, 0
        elif start is not None:
            quiet += 1
            if quiet * frame >= min_pause_s * 16_000:
                spans.append((start * frame, end * frame))
                start = None
    if start is not None:
        spans.append((start * frame, end * frame))
    return spans


def test_findings_in_joined_sentences_point_at_their_own_words(run_cli, model: AsrModel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The neural-voice clip with its pauses cut to 0.2 s: Whisper writes the three sentences as one
    segment, one utterance. Each finding is placed at the words it quotes, within 1.5 s of the start
    of its own sentence (before: every finding at 0.0 s, the scarcity claim on the first sentence)."""
    import wave

    import numpy as np

    samples = decode(ZH_NEURAL).samples
    spans = _speech_spans(samples)
    assert len(spans) == 3
    gap = np.zeros(3200, dtype=np.float32)
    parts, starts, clock = [], [], 0.0
    for a, b in spans:
        starts.append(clock)
        parts += [samples[a:b], gap]
        clock += (b - a + len(gap)) / 16_000
    clip = tmp_path / "joined.wav"
    with wave.open(str(clip), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes((np.concatenate(parts) * 32767).astype("<i2").tobytes())
    out = tmp_path / "joined.jsonl"
    code, _, err = run_cli("scan", clip, "--lang", "zh", "--out", out)
    assert code == 0, err
    findings = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    found = {f["category"]: f for f in findings if f["severity"] != "info"}
    assert {"absolute_terms", "false_scarcity"} <= set(found), findings
    assert len({f["event_ids"][0] for f in found.values()}) == 1  # one utterance holds both
    for category, sentence in (("absolute_terms", 0), ("false_scarcity", 2)):
        f = found[category]
        assert abs(f["speech"]["start"] - starts[sentence]) <= 1.5, (category, f["speech"], starts)
        assert f["stream_offset_s"] == f["speech"]["start"]
    second = (starts[1] - 0.5, starts[2] - 0.5)  # the compliant question
    assert not [f for f in findings if second[0] <= f["speech"]["start"] < second[1]]
