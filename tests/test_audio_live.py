"""Live rooms' audio: an HLS or HTTP-FLV stream followed from its URL (written by PyAV's bundled
FFmpeg from a committed clip and served over a local HTTP server), the service's copy of a room's
audio, and the report's and dashboard's audio element at a finding's moment."""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("faster_whisper", reason="the audio extra is not installed: pip install 'clearlive[audio]'")
av = pytest.importorskip("av", reason="the audio extra is not installed: pip install 'clearlive[audio]'")

from clearlive.errors import InputError  # noqa: E402
from clearlive.watch.audio.asr import AsrOptions, StreamTranscriber, transcribe_stream  # noqa: E402
from clearlive.watch.audio.decode import SAMPLE_RATE, StreamReader, decode  # noqa: E402
from clearlive.watch.audio.model import AsrModel, load_model  # noqa: E402

SPOKEN = Path(__file__).parent / "data" / "audio" / "en-efficacy.mp3"  # 11.2 s, two dev.jsonl statements


def write_aac(samples: np.ndarray, path: Path, fmt: str, options: dict[str, str] | None = None) -> None:
    """Encode 16 kHz mono samples as AAC in `fmt` (hls: a playlist and its .ts segments; flv)."""
    with av.open(str(path), "w", format=fmt, options=options or {}) as out:
        stream = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
        for i in range(0, len(pcm), 1024):
            frame = av.AudioFrame.from_ndarray(pcm[i : i + 1024].reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def streams(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The clip as a live room would publish it: an HLS playlist of 4-second segments and an
    HTTP-FLV stream, on a local HTTP server; yields the server's base URL."""
    root = tmp_path_factory.mktemp("www")
    samples = decode(SPOKEN).samples
    write_aac(samples, root / "room.m3u8", "hls", {"hls_time": "4", "hls_list_size": "0"})
    write_aac(samples, root / "room.flv", "flv")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture(scope="module")
def model() -> AsrModel:
    return load_model()


@pytest.mark.parametrize("name", ["room.m3u8", "room.flv"])
def test_a_stream_url_is_heard_as_its_file_would_be(streams: str, model: AsrModel, tmp_path: Path, name: str) -> None:
    """Blocks read from the URL as they arrive give the utterances of the same audio transcribed
    in the same windows in one go: nothing is lost or repeated at the blocks' edges."""
    reader = StreamReader(f"{streams}/{name}", block_s=3.0)
    blocks = list(reader.blocks())
    assert reader.problem is None
    heard = np.concatenate(blocks)
    assert all(len(b) == 3 * SAMPLE_RATE for b in blocks[:-1])
    assert abs(len(heard) / SAMPLE_RATE - 11.15) < 0.3  # AAC adds its priming samples, nothing more
    opts = AsrOptions(lang="en", window_s=8.0, overlap_s=8.0 / 3)
    live = list(transcribe_stream(model, iter(blocks), opts))
    at_once = StreamTranscriber(model, opts).feed(heard, final=True)
    assert [(s.start, s.end, s.text) for s in live] == [(s.start, s.end, s.text) for s in at_once]
    assert "ginger" in " ".join(s.text for s in live).lower()


def test_scan_follows_a_stream_url_and_its_findings_point_into_it(run_cli, streams: str, model: AsrModel) -> None:  # type: ignore[no-untyped-def]
    url = f"{streams}/room.m3u8"
    code, out, err = run_cli("scan", url, "--lang", "en", "--format", "jsonl")
    assert code == 0, err
    claims = [json.loads(line) for line in out.splitlines() if json.loads(line)["category"] == "efficacy_claim"]
    assert claims, out
    f = claims[0]
    assert f["room_id"] == "room" and f["event_ids"][0].startswith("room.m3u8#asr")
    assert f["source"] == "asr" and f["speech"]["recording"] == url
    assert 0 <= f["speech"]["start"] < f["speech"]["end"] <= 11.4


def test_unreachable_or_unsafe_streams_are_clear_errors(run_cli, streams: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli("scan", f"{streams}/no-such-room.m3u8")
    assert code == 2 and "no-such-room.m3u8" in err and "cannot open" in err
    with pytest.raises(InputError, match="http:// or https://"):
        StreamReader("file:///etc/passwd")
    # A playlist may only name segments over the network, never local files.
    from clearlive.watch.audio.decode import _STREAM_PROTOCOLS

    assert "file" not in _STREAM_PROTOCOLS.split(",")


def test_service_follows_a_stream_keeps_its_audio_and_the_dashboard_plays_the_moment(
    streams: str, model: AsrModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from clearlive.serve.app import create_app
    from clearlive.serve.store import open_store
    from tests.test_service import Service

    svc = Service(open_store(None))
    svc.client = TestClient(create_app(svc.store, svc.pipeline, svc.status, recordings=tmp_path / "rec"))
    try:
        body = {"url": f"{streams}/room.flv", "lang": "en", "t0": "2026-11-01T12:00:00Z", "window_s": 8}
        # The service fetches what an ingest key names: an address inside this network is refused
        # unless it is listed (server-side request forgery).
        r = svc.client.post("/api/v1/rooms/live-2/stream", json=body, headers=svc.h("ingest"))
        assert r.status_code == 422 and "internal address" in r.json()["detail"], r.text
        monkeypatch.setenv("CLEARLIVE_STREAM_HOSTS", "127.0.0.1")
        r = svc.client.post("/api/v1/rooms/live-2/stream", json=body, headers=svc.h("ingest"))
        assert r.status_code == 202, r.text
        assert r.json()["following"] is True and r.json()["t0"] == "2026-11-01T12:00:00.000Z"
        status: dict[str, object] = {}
        for _ in range(600):  # the thread ends with the stream (about ten seconds of transcription)
            status = svc.client.get("/api/v1/rooms/live-2/stream", headers=svc.h("ingest")).json()
            if not status["following"]:
                break
            time.sleep(0.1)
        assert status["following"] is False and status["problem"] is None, status
        assert status["utterances"] >= 1 and abs(float(status["heard_s"]) - 11.2) < 0.3  # type: ignore[arg-type]
        svc.pipeline.drain()
        found = svc.client.get("/api/v1/findings", params={"room_id": "live-2"}, headers=svc.h("reviewer")).json()
        claim = next(f for f in found if f["category"] == "efficacy_claim")
        recording = claim["speech"]["recording"]
        assert re.fullmatch(r"/api/v1/rooms/live-2/recordings/\d+\.wav", recording)
        # The copy is the room's audio as heard: a WAV of the stream's length, for reviewers only.
        wav = svc.client.get(recording, headers=svc.h("reviewer"))
        assert wav.status_code == 200 and wav.headers["content-type"] == "audio/wav"
        assert abs(decode(wav.content).seconds - 11.2) < 0.3
        assert svc.client.get(recording, headers=svc.h("reviewer", "other")).status_code == 404
        assert svc.client.get(recording, headers=svc.h("ingest")).status_code == 403
        # The dashboard's finding page plays that copy from the quoted words to their utterance's end.
        svc.login("reviewer")
        page = svc.client.get(f"/findings/{claim['id']}").text
        src = re.search(r'<audio id="moment" controls preload="none" src="([^"]+)"', page)
        assert src is not None, page
        a, b, until = claim["speech"]["start"], claim["speech"]["end"], claim["speech"]["utterance_end"]
        assert claim["speech"]["utterance_start"] <= a < b <= until
        path, start, end = re.fullmatch(r"(.+)#t=([\d.]+),([\d.]+)", src.group(1)).groups()  # type: ignore[union-attr]
        assert path == recording and float(start) <= a and a - float(start) < 0.5 and until <= float(end) < until + 0.1
        assert svc.client.get(path).status_code == 200  # the browser's session cookie is enough to play it
        # A room following a stream takes no chunks at the same time, and a second stream is refused.
        svc.client.cookies.clear()
        r = svc.client.post("/api/v1/rooms/live-2/stream", json=body, headers=svc.h("ingest", "other"))
        assert r.status_code == 403
    finally:
        svc.pipeline.close()


def test_report_plays_the_recording_at_a_finding(run_cli, model: AsrModel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    recording = tmp_path / "media" / "room-a.mp3"
    recording.parent.mkdir()
    recording.write_bytes(SPOKEN.read_bytes())
    db, out = tmp_path / "scan.duckdb", tmp_path / "report" / "index.html"
    code, _, err = run_cli("scan", recording, "--lang", "en", "--db", db, "--format", "jsonl")
    assert code == 0, err
    code, _, err = run_cli("report", "--db", db, "--out", out)
    assert code == 0, err
    page = next((out.parent / "index_sessions").glob("*.html"))
    html = page.read_text(encoding="utf-8")
    src = re.search(r'<audio class="moment" controls preload="none" src="([^"#]+)#t=([\d.]+),([\d.]+)"', html)
    assert src is not None, html
    # Linked relative to the page, so the report and the recording can be moved together.
    assert (page.parent / src.group(1)).resolve() == recording.resolve()
    assert float(src.group(2)) < float(src.group(3)) <= 11.4
    assert "▶" in html
    # Once the recording is gone the page says where it was instead of a dead player.
    recording.unlink()
    code, _, err = run_cli("report", "--db", db, "--out", out)
    assert code == 0, err
    html = page.read_text(encoding="utf-8")
    assert "<audio" not in html and "not found beside this report" in html


def test_serve_preload_reads_a_recording_as_its_rooms_speech(model: AsrModel, tmp_path: Path) -> None:
    from clearlive.cli.service_cmd import _preload
    from clearlive.serve.embedded import EmbeddedPipeline
    from clearlive.serve.store import open_store

    events = tmp_path / "room-b.jsonl"
    start = {"type": "session_start", "room_id": "room-b", "ts": "2026-11-01T12:00:00Z", "session_id": "s1"}
    start |= {"anchor_id": "host-1", "lang": "en"}
    events.write_text(json.dumps(start) + "\n", encoding="utf-8")
    recording = tmp_path / "room-b.mp3"
    recording.write_bytes(SPOKEN.read_bytes())
    store = open_store(None)
    pipeline = EmbeddedPipeline(store)
    try:
        assert _preload(store, pipeline, [recording, events]) >= 2
        found = store.findings("default", room_id="room-b", limit=None)
    finally:
        pipeline.close()
    claim = next(f for f in found if f["category"] == "efficacy_claim")
    # The recording takes its room's second 0, session and host from the room's session_start.
    assert claim["source"] == "asr" and claim["session_id"] == "s1" and claim["anchor_id"] == "host-1"
    assert claim["ts"].startswith("2026-11-01T12:00:")


def test_lint_a_rehearsal_recording_locates_findings_by_time(run_cli, model: AsrModel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_cli("lint", SPOKEN, "--lang", "en", "--fail-on", "high")
    assert code == 1, err  # the spoken disease claim is high
    first = out.splitlines()[0]
    where = r".*en-efficacy\.mp3@0:0\d\.\d-0:(0\d|1[01])\.\d"
    assert re.fullmatch(where + r": high claims\.efficacy\.disease \(efficacy_claim\)", first), first
    assert "Ginger has been used to treat" in out
    code, out, _ = run_cli("lint", SPOKEN, "--lang", "en", "--format", "jsonl")
    f = json.loads(out.splitlines()[0])
    assert code == 0 and f["source"] == "asr" and f["speech"]["recording"] == str(SPOKEN)
    broken = tmp_path / "rehearsal.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    code, _, err = run_cli("lint", broken)
    assert code == 2 and "rehearsal.mp4" in err
