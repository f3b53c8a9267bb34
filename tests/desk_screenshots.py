"""Screenshots of the reviewers' desk for docs/service.md, at 1366 and 390 px, on the demo's
room-glow and room-serum in a real `clearlive serve`, and of `clearlive report`'s room-glow page
(Debian's chromium through Playwright):

    python -m tests.desk_screenshots docs/images
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from tests.serve_process import create_key, start_serve

SHOTS = [  # (file stem, path, language, width)
    ("desk-queue", "/queue", "en", 1366),
    ("desk-queue", "/queue", "zh", 390),
    ("desk-finding", "/findings/{finding}", "en", 1366),
    ("desk-finding", "/findings/{finding}", "zh", 390),
    ("desk-room", "/rooms/room-glow", "zh", 1366),
    ("desk-room", "/rooms/room-glow?kind=stats", "en", 390),
    ("desk-host", "/hosts/anchor-mei", "zh", 1366),
    ("desk-feed", "/", "en", 390),
]
REPORT_SHOTS = [("zh", 1366), ("en", 390)]  # the static report's room-glow page


def main(out: Path) -> None:
    from clearlive.demo.generate import generate

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        generate(tmp / "data")
        db = str(tmp / "svc.duckdb")
        key = create_key(db, "reviewer", "default")
        files = ["room-glow.jsonl", "room-glow.host.vtt", "room-serum.jsonl"]
        proc, base = start_serve(tmp, db, *[a for f in files for a in ("--preload", str(tmp / "data" / f))])
        try:
            findings = httpx.get(
                f"{base}/api/v1/findings?room_id=room-serum&limit=5000", headers={"Authorization": f"Bearer {key}"}
            ).json()
            finding = next(f["id"] for f in findings if f["rule_id"] == "en.price.at_a_loss")
            login = httpx.post(f"{base}/login", data={"key": key}, follow_redirects=False)
            session = login.cookies["clearlive_session"]  # a dashboard session (the cookie never holds the key)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
                for stem, path, lang, width in SHOTS:
                    ctx = browser.new_context(viewport={"width": width, "height": 900 if width > 400 else 844})
                    ctx.add_cookies(
                        [
                            {"name": "clearlive_session", "value": session, "url": base},
                            {"name": "clearlive_lang", "value": lang, "url": base},
                        ]
                    )
                    page = ctx.new_page()
                    page.goto(base + path.format(finding=finding))
                    page.wait_for_selector("#conn[data-state=live]")
                    page.screenshot(path=str(out / f"{stem}-{width}-{lang}.png"))
                    ctx.close()
                for lang, width in REPORT_SHOTS:
                    page = browser.new_page(viewport={"width": width, "height": 900 if width > 400 else 844})
                    page.goto(_report(tmp, lang).as_uri())
                    page.screenshot(path=str(out / f"report-session-{width}-{lang}.png"))
                    page.close()
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _report(tmp: Path, lang: str) -> Path:
    """`clearlive scan` of room-glow (events and transcript) and `clearlive report --lang`; its page."""
    from clearlive.cli.main import main

    db = tmp / "scan.duckdb"
    if not db.exists():
        data = tmp / "data"
        transcript = ["--room", "room-glow", "--session", "s-glow-1101", "--anchor", "anchor-mei"]
        args = [str(data / "room-glow.jsonl"), str(data / "room-glow.host.vtt"), *transcript]
        assert (
            main(["scan", *args, "--t0", "2026-11-01T13:00:00Z", "--db", str(db), "--out", str(tmp / "f.jsonl")]) == 0
        )
    out = tmp / lang / "report.html"
    assert main(["report", "--db", str(db), "--out", str(out), "--lang", lang]) == 0
    return next((tmp / lang / "report_sessions").glob("room-glow-*.html"))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images"))
