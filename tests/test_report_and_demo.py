"""The offline report and the demo, end to end."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from clearlive.cli.main import main

    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out)]) == 0
    return out


def test_demo_writes_data_db_and_report(demo_dir: Path) -> None:
    assert (demo_dir / "clearlive.duckdb").exists()
    assert (demo_dir / "report.html").exists()
    assert len(list((demo_dir / "report_sessions").glob("*.html"))) == 5
    assert (demo_dir / "data" / "room-glow.host.vtt").exists()


def test_demo_honest_rooms_are_quiet_and_violators_are_caught(demo_dir: Path) -> None:
    con = duckdb.connect(str(demo_dir / "clearlive.duckdb"), read_only=True)
    per_room = dict(con.execute("SELECT room_id, n_findings FROM sessions").fetchall())
    assert per_room["room-orchard"] == 0 and per_room["room-pans"] == 0
    assert per_room["room-glow"] > 0 and per_room["room-serum"] > 0 and per_room["room-cup"] > 0
    cats = {r[0] for r in con.execute("SELECT DISTINCT category FROM findings WHERE room_id = 'room-glow'").fetchall()}
    assert {"absolute_terms", "diversion", "abuse"} <= cats
    # room-serum bought viewers for five minutes: the step shows up as fake data
    fake = set(con.execute("SELECT room_id, rule_id FROM findings WHERE category = 'fake_data'").fetchall())
    assert ("room-serum", "fraud.viewers.step_jump") in fake
    # bot accounts fire templated bursts in the two violating rooms with bots; honest rooms stay quiet
    assert {room for room, rule in fake if rule == "fraud.templated_chat"} == {"room-glow", "room-serum"}
    # the host of room-glow speaks through a WebVTT transcript: its findings carry stream offsets
    n = con.execute(
        "SELECT count(*) FROM findings WHERE room_id = 'room-glow' AND event_id LIKE '%.vtt:%' AND stream_offset_s > 0"
    ).fetchone()[0]
    assert n > 0


def test_report_pages_are_self_contained(demo_dir: Path) -> None:
    for page in [demo_dir / "report.html", *(demo_dir / "report_sessions").glob("*.html")]:
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']https?://""", html), page
        assert not re.search(r"<script[^>]*\bsrc=", html), page  # only the inline filter script


def test_session_page_shows_chart_and_highlighted_evidence(demo_dir: Path) -> None:
    html = (demo_dir / "report_sessions" / "room-glow-s-glow-1101.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 2  # timeline over the viewer curve, counts by category (+ fake-data charts)
    assert "<mark>全网最低价</mark>" in html
    assert "《广告法》第九条第（三）项" in html  # the citation itself, beside the evidence
    assert "unverified" in html  # [M] citations are marked as such
    # one row per incident, legal bases once each as footnotes
    rows = re.findall(r'<tr id="inc-[0-9a-f]+"', html)
    assert 30 <= len(rows) < 100  # 244 findings
    notes = re.findall(r'<li id="note-\d+"[^>]*>([^<]*)</li>', html)
    assert notes and len(notes) == len(set(notes))  # each citation once
    assert any("《广告法》第九条第（三）项" in n for n in notes)
    assert len(html) < 1_000_000


def test_fake_data_findings_show_their_numbers_as_a_chart(demo_dir: Path) -> None:
    html = (demo_dir / "report_sessions" / "room-serum-s-serum-1101.html").read_text(encoding="utf-8")
    assert "fraud.viewers.step_jump" in html
    assert html.count("<svg") >= 3  # timeline, counts, and at least one fake-data chart


def test_report_requires_an_existing_db(run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli("report", "--db", tmp_path / "none.duckdb", "--out", tmp_path / "r.html")
    assert code == 2 and "no such database" in err


def test_demo_scores_shops_and_hosts_and_reports_them(demo_dir: Path) -> None:
    con = duckdb.connect(str(demo_dir / "clearlive.duckdb"), read_only=True)
    rows = con.execute("SELECT entity_type, entity_id, score FROM scores").fetchall()
    scored = {(t, e): s for t, e, s in rows}
    assert scored[("host", "host-lin")] > scored[("host", "host-qiang")]  # honest beats traffic-chasing
    assert scored[("host", "host-new")] is None  # too few orders: no score
    page = (demo_dir / "report_scores.html").read_text(encoding="utf-8")
    assert "<svg" in page and "high traffic, poor service" in page
    host = (demo_dir / "report_hosts" / "host-qiang.html").read_text(encoding="utf-8")
    assert "Service inside the live room" in host and "Credit ledger" in host and "<svg" in host
    assert "report_scores.html" in (demo_dir / "report.html").read_text(encoding="utf-8")


def test_demo_scans_the_host_recording_when_the_audio_extra_is_installed(demo_dir: Path) -> None:
    """room-serum's host recording (four lines of its script, spoken by espeak-ng) is copied beside
    the rooms' data; with the audio extra, its findings come from speech, each placed at its words."""
    import json

    from clearlive.demo.recording import audio_missing

    assert (demo_dir / "data" / "room-serum.host.mp3").is_file()
    if audio_missing() is not None:
        pytest.skip(f"the audio extra is not installed ({audio_missing()}): the demo skipped the recording")
    con = duckdb.connect(str(demo_dir / "clearlive.duckdb"), read_only=True)
    records = [
        json.loads(r) for (r,) in con.execute("SELECT record FROM findings WHERE room_id = 'room-serum'").fetchall()
    ]
    heard = {f["category"]: f for f in records if f.get("source") == "asr"}
    # lowest price (line 1, from 0 s), only 3 left (line 3, about 9 s), Telegram (line 4, about 12 s)
    assert {"absolute_terms", "false_scarcity", "diversion"} <= set(heard), records
    assert heard["absolute_terms"]["speech"]["start"] < 3.0
    assert 8.0 <= heard["false_scarcity"]["speech"]["start"] < 12.0
    assert heard["diversion"]["speech"]["start"] >= 12.0
    html = next((demo_dir / "report_sessions").glob("room-serum-*.html")).read_text(encoding="utf-8")
    assert re.search(r'<audio class="moment" controls preload="none" src="\.\./data/room-serum\.host\.mp3#t=', html)


def test_the_demo_says_what_is_missing_for_audio(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from clearlive.demo import recording

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "faster_whisper" else real(name, *a)
    )
    assert recording.audio_missing() == "faster-whisper"
