"""The dashboard end to end in headless Chromium (Debian's chromium driven by Playwright): log in,
watch a finding arrive live on the alert feed, open the room, decide in the review queue.

Needs /usr/bin/chromium (.ci/run installs Debian's package) and the playwright package; skipped
without them. The server runs as a real `clearlive serve` subprocess."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serve_process import create_key, start_serve

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    db = str(tmp_path / "svc.duckdb")
    keys = {role: create_key(db, role, "acme") for role in ("ingest", "reviewer")}
    proc, base = start_serve(tmp_path, db)
    yield base, keys
    proc.terminate()
    assert proc.wait(timeout=30) == 0
    printed = (tmp_path / "serve.log").read_text(encoding="utf-8")
    assert not any(key in printed for key in keys.values())  # no secrets in logs


def _send(base: str, key: str, rows: list[dict]) -> None:
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    r = httpx.post(f"{base}/api/v1/events", content=body, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 202 and r.json()["rejected"] == 0


def test_reviewer_works_the_dashboard(server: tuple[str, dict[str, str]]) -> None:
    from tests.test_service import ROOM

    base, keys = server
    _send(base, keys["ingest"], ROOM)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(f"{base}/login")
        page.fill("input[name=key]", keys["reviewer"])
        page.click("#login")
        page.wait_for_selector("#alert-rows tr", timeout=15_000)
        assert "Live alerts" in page.content()
        before = page.locator("#alert-rows tr").count()
        # a new violation arrives while the reviewer watches: it appears without a reload
        _send(
            base,
            keys["ingest"],
            [
                {
                    "type": "utterance",
                    "room_id": "r1",
                    "ts": "2026-11-01T12:01:00Z",
                    "speaker": "host",
                    "text": "这个药酒包治百病，三天见效",
                },
            ],
        )
        page.wait_for_selector("#alert-rows tr.new-alert", timeout=15_000)
        assert page.locator("#alert-rows tr").count() > before
        page.click("text=r1")
        page.wait_for_selector("mark", timeout=15_000)
        assert "evidence.zip" in page.content()
        page.goto(f"{base}/queue")
        first = page.locator("form.decide").first
        finding_id = first.get_attribute("action").rsplit("/", 1)[1]  # type: ignore[union-attr]
        first.locator("button[value=confirm]").click()  # htmx posts it and swaps the row in place
        page.wait_for_selector("b.decision", timeout=15_000)
        assert page.locator("b.decision").first.inner_text() == "confirmed"
        browser.close()
    r = httpx.get(f"{base}/api/v1/findings/{finding_id}", headers={"Authorization": f"Bearer {keys['reviewer']}"})
    assert r.json()["status"] == "confirmed"
