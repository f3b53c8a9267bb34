"""The reviewers' desk end to end in headless Chromium (Debian's chromium driven by Playwright), on
the demo's 60-minute room-glow (its events and the host's WebVTT transcript, preloaded as
`clearlive serve --preload` reads them: 8,191 events, the findings `clearlive scan` reports) in a
real `clearlive serve`.

One server and one browser for the module; each test has its own browser context (cookies).
Needs /usr/bin/chromium (.ci/run installs Debian's package) and the playwright package; skipped
without them. axe-core (vendored in clearlive/serve/static/axe/) checks every page."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.serve_process import create_key, start_serve

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium")
AXE = Path(__file__).parents[1] / "clearlive/serve/static/axe/axe-4.14.1.min.js"
ROOM = "room-glow"


@dataclass
class Desk:
    base: str
    keys: dict[str, str]
    scanned: list[tuple[str, str]]  # (rule, first event) of every finding `clearlive scan` reports for the room

    def api(self, path: str, role: str = "reviewer") -> httpx.Response:
        return httpx.get(f"{self.base}{path}", headers={"Authorization": f"Bearer {self.keys[role]}"}, timeout=30)

    def findings(self, **params: str) -> list[dict]:
        query = "&".join(f"{k}={v}" for k, v in {"limit": "5000", **params}.items())
        return self.api(f"/api/v1/findings?{query}").json()


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    from clearlive.demo.generate import generate

    tmp = tmp_path_factory.mktemp("desk")
    data = tmp / "data"
    generate(data)
    db = str(tmp / "svc.duckdb")
    keys = {role: create_key(db, role, "default") for role in ("ingest", "reviewer", "admin")}
    proc, base = start_serve(
        tmp, db, "--preload", str(data / f"{ROOM}.jsonl"), "--preload", str(data / f"{ROOM}.host.vtt")
    )
    yield Desk(base, keys, _scanned(data, tmp / "scan.jsonl"))
    proc.terminate()
    assert proc.wait(timeout=30) == 0
    printed = (tmp / "serve.log").read_text(encoding="utf-8")
    assert not any(key in printed for key in keys.values())  # no secrets in logs


def _scanned(data: Path, out: Path) -> list[tuple[str, str]]:
    from clearlive.cli.main import main

    transcript = ["--room", ROOM, "--session", "s-glow-1101", "--anchor", "anchor-mei", "--t0", "2026-11-01T13:00:00Z"]
    args = ["scan", str(data / f"{ROOM}.jsonl"), str(data / f"{ROOM}.host.vtt"), *transcript, "--out", str(out)]
    assert main(args) == 0
    found = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return sorted((f["rule_id"], f["event_ids"][0]) for f in found)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


def _session(desk: Desk, role: str) -> str:
    """A dashboard session opened through the login form (the cookie holds a session id, never the key)."""
    r = httpx.post(f"{desk.base}/login", data={"key": desk.keys[role]}, follow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["location"] == "/"
    return r.cookies["clearlive_session"]


def _page(browser: object, desk: Desk, width: int = 1366, lang: str | None = None) -> object:
    ctx = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")  # type: ignore[attr-defined]
    cookies = [{"name": "clearlive_session", "value": _session(desk, "reviewer"), "url": desk.base}]
    if lang:
        cookies.append({"name": "clearlive_lang", "value": lang, "url": desk.base})
    ctx.add_cookies(cookies)
    return ctx.new_page()


def test_preload_reads_the_transcript_too(desk: Desk) -> None:
    """The host's .vtt arrives with its room's t0, in time order with the room's events: every finding
    of `clearlive scan` (243, not the 43 of the .jsonl alone), at the right minutes of the stream."""
    findings = desk.findings(room_id=ROOM)
    assert len(desk.scanned) > 200
    assert sorted((f["rule_id"], f["event_ids"][0]) for f in findings) == desk.scanned
    spoken = [f for f in findings if f["event_type"] == "utterance"]
    assert spoken and min(f["ts"] for f in spoken) >= "2026-11-01T13:00:00"


def test_login_and_a_finding_arriving_live(browser: object, desk: Desk) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{desk.base}/queue")
    assert page.url.endswith("/login")
    page.get_by_label("API key").fill(desk.keys["reviewer"])
    page.click("#login")
    page.wait_for_selector("#alert-rows tr")
    page.wait_for_selector("#conn[data-state=live]")
    before = page.locator("#alert-rows tr").count()
    body = json.dumps(
        {"type": "utterance", "room_id": ROOM, "ts": "2026-11-01T14:01:00Z", "text": "这个药酒包治百病，三天见效"},
        ensure_ascii=False,
    )
    r = httpx.post(
        f"{desk.base}/api/v1/events", content=body, headers={"Authorization": f"Bearer {desk.keys['ingest']}"}
    )
    assert r.status_code == 202
    page.wait_for_selector("#alert-rows tr.new-alert", timeout=15_000)
    assert page.locator("#alert-rows tr").count() > before
    assert "UTC" in page.locator("#alert-rows tr.new-alert td").first.inner_text()  # date and zone
    page.context.close()


def test_room_page_updates_live(browser: object, desk: Desk) -> None:
    page = _page(browser, desk)
    page.goto(f"{desk.base}/rooms/{ROOM}")
    page.wait_for_selector("#conn[data-state=live]")
    assert not page.locator("#live-findings").is_visible()
    for room, text in [("room-elsewhere", "全网最低价，最后三单"), (ROOM, "加我微信，私下便宜卖")]:
        body = json.dumps({"type": "utterance", "room_id": room, "ts": "2026-11-01T14:02:00Z", "text": text})
        r = httpx.post(
            f"{desk.base}/api/v1/events", content=body, headers={"Authorization": f"Bearer {desk.keys['ingest']}"}
        )
        assert r.status_code == 202
    page.wait_for_selector("#live-findings #alert-rows tr.new-alert", timeout=15_000)
    page.wait_for_timeout(500)  # the other room's findings have arrived too by now; none is shown here
    rooms = page.locator("#alert-rows tr").evaluate_all("rows => rows.map(r => r.dataset.room)")
    assert set(rooms) == {ROOM}
    page.context.close()


def test_connection_state_and_reconnect(browser: object, desk: Desk) -> None:
    page = _page(browser, desk)
    page.route("**/feed/alerts*", lambda route: route.abort())
    page.goto(f"{desk.base}/")
    page.wait_for_selector("#conn:is([data-state=reconnecting], [data-state=offline])")
    assert page.locator("#reconnect").is_visible()
    page.unroute("**/feed/alerts*")
    page.click("#reconnect")
    page.wait_for_selector("#conn[data-state=live]")
    assert not page.locator("#reconnect").is_visible()
    page.context.close()


def test_a_reviewer_works_the_queue_by_keyboard(browser: object, desk: Desk) -> None:
    page = _page(browser, desk)
    page.goto(f"{desk.base}/queue")
    # filter by keyboard: "/" goes to the filters, Tab to the category, type-ahead picks it, Enter applies
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "f-severity"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-category"
    page.keyboard.type("Absolute terms")
    assert page.eval_on_selector("#f-category", "el => el.value") == "absolute_terms"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"category=absolute_terms"))
    assert {c.split("-", 1)[0] for c in page.locator(".incident").evaluate_all("els => els.map(e => e.id)")} == {"inc"}
    # j moves down to the incident of one scripted line said again and again (25 findings or more)
    for _ in range(page.locator(".incident").count()):
        if len(page.locator(".incident.current").get_attribute("data-ids").split()) >= 25:  # type: ignore[union-attr]
            break
        page.keyboard.press("j")
    first = page.locator(".incident.current")
    ids = first.get_attribute("data-ids").split()  # type: ignore[union-attr]
    assert len(ids) >= 25
    assert page.evaluate("document.activeElement.classList.contains('incident')")
    page.keyboard.press("Enter")  # Enter never decides
    page.keyboard.press("?")
    assert page.locator("#shortcuts").is_visible()
    page.keyboard.press("Escape")
    audit_before = desk.api("/api/v1/audit/verify", "admin").json()["entries"]
    page.keyboard.press("c")
    first = page.locator(f"#{first.get_attribute('id')}")
    first.locator(".msg.ok").wait_for()
    assert f"{len(ids)} finding" in first.locator(".msg").inner_text()
    status = {f["id"]: f["status"] for f in desk.findings(room_id=ROOM)}
    assert {status[i] for i in ids} == {"confirmed"}
    audit = desk.api("/api/v1/audit/verify", "admin").json()
    assert audit["intact"] and audit["entries"] == audit_before + len(ids)  # one entry per finding

    # dismiss the next incident: an empty reason is refused where the action was
    second = page.locator(".incident.current")
    second_ids = second.get_attribute("data-ids").split()  # type: ignore[union-attr]
    assert second_ids != ids
    page.keyboard.press("d")
    assert page.evaluate("document.activeElement.name") == "reason"
    page.keyboard.press("Enter")
    error = second.locator(".msg.error")
    error.wait_for()
    assert "reason" in error.inner_text() and error.get_attribute("role") == "alert"
    status = {f["id"]: f["status"] for f in desk.findings(room_id=ROOM)}
    assert {status[i] for i in second_ids} == {"open"}
    page.keyboard.type("repeated claim already confirmed in the first incident")
    page.keyboard.press("Enter")
    page.locator(f"#{second.get_attribute('id')} .msg.ok").wait_for()
    status = {f["id"]: f["status"] for f in desk.findings(room_id=ROOM)}
    assert {status[i] for i in second_ids} == {"dismissed"}

    # undo: the findings are open again, and the reversal is new audit entries
    before_undo = desk.api("/api/v1/audit/verify", "admin").json()["entries"]
    page.keyboard.press("u")
    page.wait_for_function(
        "id => document.getElementById(id).dataset.status === 'open'", arg=second.get_attribute("id")
    )
    status = {f["id"]: f["status"] for f in desk.findings(room_id=ROOM)}
    assert {status[i] for i in second_ids} == {"open"}
    audit = desk.api("/api/v1/audit/verify", "admin").json()
    assert audit["intact"] and audit["entries"] == before_undo + len(second_ids)
    labels = desk.api("/api/v1/labels").text
    assert "repeated claim already confirmed" not in labels  # an undone dismissal is no label
    # the host's credit ledger: each finding id a link to the finding
    page.goto(f"{desk.base}/hosts/anchor-mei")
    ledger = page.locator("a[href^='/findings/']")
    assert ledger.count() >= 1
    fid = ledger.first.inner_text()
    ledger.first.click()
    page.wait_for_url(f"**/findings/{fid}")
    assert fid in page.inner_text("main")
    # the decided view lists the confirmed incident; the escalated view starts empty
    page.goto(f"{desk.base}/queue?view=decided&category=absolute_terms")
    decided = page.locator(".incident").first.get_attribute("data-ids").split()  # type: ignore[union-attr]
    assert set(decided) == set(ids), (len(decided), len(ids), set(decided) ^ set(ids))
    page.context.close()


def test_errors_show_where_the_action_was_when_the_server_is_down(browser: object, desk: Desk) -> None:
    page = _page(browser, desk)
    page.goto(f"{desk.base}/queue?view=open&severity=high")
    page.route("**/desk/decide", lambda route: route.abort("connectionrefused"))
    current = page.locator(".incident.current")
    ids = current.get_attribute("data-ids").split()  # type: ignore[union-attr]
    current.get_by_role("button", name=re.compile("^Escalate")).click()
    error = current.locator(".msg.error")
    error.wait_for()
    assert "did not answer" in error.inner_text()
    status = {f["id"]: f["status"] for f in desk.findings(room_id=ROOM)}
    assert {status[i] for i in ids} == {"open"}
    page.context.close()


def test_bulk_escalate_and_assign(browser: object, desk: Desk) -> None:
    page = _page(browser, desk)
    page.goto(f"{desk.base}/queue?category=diversion")
    incidents = page.locator(".incident")
    assert incidents.count() >= 2
    chosen = [incidents.nth(k).get_attribute("data-ids").split() for k in range(2)]  # type: ignore[union-attr]
    for k in range(2):
        incidents.nth(k).locator(".pick").check()
    page.click("button[data-bulk=assign]")
    page.locator("#bulk-msg.ok").wait_for()
    page.click("button[data-bulk=escalate]")
    page.wait_for_function("document.getElementById('bulk-msg').textContent.includes('escalated')")
    page.goto(f"{desk.base}/queue?view=escalated&mine=1")
    shown = [ids.split() for ids in page.locator(".incident").evaluate_all("els => els.map(e => e.dataset.ids)")]
    assert sorted(map(sorted, shown)) == sorted(map(sorted, chosen))
    # hand one of them to another reviewer: it leaves "assigned to me"
    page.locator(".incident").first.locator(".pick").check()
    page.fill("#assign-to", "cl_colleague")
    page.click("button[data-bulk=assign-to]")
    page.locator("#bulk-msg.ok").wait_for()
    assert "cl_colleague" in page.locator(".incident").first.locator(".meta").inner_text()
    page.goto(f"{desk.base}/queue?view=escalated&mine=1")
    assert page.locator(".incident").count() == len(chosen) - 1
    page.context.close()


def test_queue_filters_pages_and_escalates_by_keyboard(browser: object, desk: Desk) -> None:
    page = _page(browser, desk)
    page.goto(f"{desk.base}/queue?view=all&room={ROOM}")
    # server-side pages with counts: every incident of the room once, its findings all counted
    summary = page.inner_text("#summary")
    total, n_findings = map(int, re.search(r"of (\d+) \((\d+) findings\)", summary).groups())  # type: ignore[union-attr]
    assert total > 25 and n_findings == len(desk.findings(room_id=ROOM))
    seen = page.locator(".incident").evaluate_all("els => els.map(e => e.id)")
    assert len(seen) == 25
    page.locator("a[rel=next]").first.click()
    page.wait_for_url(re.compile(r"page=2"))
    assert "Incidents 26–" in page.inner_text("#summary")
    seen += page.locator(".incident").evaluate_all("els => els.map(e => e.id)")
    assert len(seen) == len(set(seen)) == total

    # host and time filters, counted in the database: the same findings the API reports
    def shown_findings(query: str) -> int:
        page.goto(f"{desk.base}/queue?view=all&{query}")
        found = re.search(r"\((\d+) findings\)", page.inner_text("#summary"))
        return int(found.group(1)) if found else 0

    everything = desk.findings()
    assert shown_findings("host=anchor-mei") == sum(f["anchor_id"] == "anchor-mei" for f in everything) > 200
    lo, hi = (int(datetime(2026, 11, 1, 13, m, tzinfo=UTC).timestamp() * 1000) for m in (40, 50))
    in_window = sum(lo <= f["ts_ms"] <= hi for f in everything if f["room_id"] == ROOM)
    assert shown_findings(f"room={ROOM}&since=2026-11-01T13:40&until=2026-11-01T13:50") == in_window > 0
    # a severity filter from the keyboard: "/" focuses it, typing chooses, Enter applies
    page.goto(f"{desk.base}/queue?room={ROOM}")
    page.keyboard.press("/")
    page.keyboard.type("high")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"severity=high"))
    pills = page.locator(".incident .inc-head .sev").evaluate_all("els => els.map(e => e.className)")
    assert pills and set(pills) <= {"sev sev-high", "sev sev-critical"}
    # the explanation and its legal basis are there once per incident, open on demand
    basis = page.locator(".incident.current details.basis")
    assert basis.count() == 1 and not basis.locator(".legal").is_visible()
    basis.locator("summary").click()
    assert basis.locator(".legal li").first.is_visible()
    # e escalates the current incident (all its findings), u takes it back: two audit entries each
    current = page.locator(".incident.current")
    inc_id, ids = current.get_attribute("id"), current.get_attribute("data-ids").split()  # type: ignore[union-attr]
    page.locator(f"#{inc_id}").focus()
    page.keyboard.press("j")  # j and k move, and k comes back
    assert page.locator(".incident.current").get_attribute("id") != inc_id
    page.keyboard.press("k")
    assert page.locator(".incident.current").get_attribute("id") == inc_id
    page.keyboard.press("e")
    page.wait_for_function("id => document.getElementById(id).dataset.status === 'escalated'", arg=inc_id)
    status = {f["id"]: f["status"] for f in desk.findings(room_id=ROOM)}
    assert {status[i] for i in ids} == {"escalated"}
    page.keyboard.press("u")
    page.wait_for_function("id => document.getElementById(id).dataset.status === 'open'", arg=inc_id)
    status = {f["id"]: f["status"] for f in desk.findings(room_id=ROOM)}
    assert {status[i] for i in ids} == {"open"}
    page.context.close()


def test_a_finding_opens_at_its_moment(browser: object, desk: Desk) -> None:
    page = _page(browser, desk)
    page.goto(f"{desk.base}/rooms/{ROOM}")
    # every event is there, of every kind: the tabs count them all, and the pages of "all kinds"
    # hold each event once, in time order, to the end of the hour
    kinds = dict(
        page.locator("#kinds a").evaluate_all(
            "els => els.map(a => [a.dataset.kind, parseInt(a.querySelector('.count').textContent)])"
        )
    )
    assert {"speech", "chat", "stats", "listings", "orders", "engagement", "session"} <= set(kinds)
    assert kinds["all"] == sum(n for k, n in kinds.items() if k != "all") > 8000
    pages = int(re.search(r"of (\d+)", page.locator(".pager span").first.inner_text()).group(1))  # type: ignore[union-attr]
    assert pages == -(-kinds["all"] // 400)
    seen: list[str] = []
    for n in range(1, pages + 1):
        html = page.request.get(f"{desk.base}/rooms/{ROOM}?kind=all&page={n}").text()
        seen += re.findall(r'<tr id="ev-([^"]+)" data-type="([^"]+)"', html)
    types = {t for _, t in seen}
    assert len(seen) == len({i for i, _ in seen}) == kinds["all"]
    assert {"utterance", "comment", "room_stats", "product", "order", "enter", "like", "session_start"} <= types
    page.goto(f"{desk.base}/rooms/{ROOM}?kind=all&page={pages}")
    minutes = page.locator("#events tbody tr td:first-child .muted").all_inner_texts()
    assert float(minutes[-1].split()[-1]) > 59
    # one kind at a time: the viewer statistics, every row of that kind
    page.goto(f"{desk.base}/rooms/{ROOM}?kind=stats")
    rows = page.locator("#events tbody tr")
    assert rows.count() == kinds["stats"] and set(rows.evaluate_all("rs => rs.map(r => r.dataset.type)")) == {
        "room_stats"
    }
    assert "online" in rows.first.inner_text()
    page.goto(f"{desk.base}/rooms/{ROOM}?kind=orders")
    assert page.locator("#events tbody tr").count() == kinds["orders"]
    assert "amount" in page.locator("#events tbody tr").first.inner_text()
    # the chart's marks are links with tooltips; one opens its finding (from the keyboard too)
    page.goto(f"{desk.base}/rooms/{ROOM}")
    assert page.locator(".chart svg g.mark-rect path").count() >= 1  # behaviour spans shaded
    marks = page.locator(".chart svg a")
    assert marks.count() >= len(desk.scanned)  # one per finding (the live test adds a few)
    mark = marks.nth(120)
    assert mark.locator("title").count() == 1
    href = mark.get_attribute("xlink:href")
    assert href and href.startswith("/findings/")
    mark.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{href}")
    here = page.locator("tr.here")
    assert here.count() >= 1 and here.first.locator("mark").count() >= 1  # its line, quote marked
    assert page.locator("#moment ~ div tr").count() > 3  # speech and chat around it
    assert "this finding" in page.locator(".chart svg").inner_html()  # its marker on the curve
    assert page.locator("details.basis[open] .legal li").count() >= 1
    assert page.locator("text=Listing facts at that moment").count() == 1
    assert page.locator(".facts, table").count() >= 1
    # back to the room: the page of all events that holds the finding's event, the row targeted
    event_id = page.locator("tr.here").first.get_attribute("id")
    page.get_by_role("link", name=re.compile(f"Room {ROOM}")).click()
    page.wait_for_url(re.compile(r"/rooms/.*kind=all&page=\d+#ev-"))
    assert page.locator(f"#events tr[id='{event_id}']").count() == 1
    # a fact check's finding too: its room page holds the event it rests on
    behaviour = next(f for f in desk.findings(room_id=ROOM) if f["rule_id"].startswith("facts.scarcity"))
    page.goto(f"{desk.base}/findings/{behaviour['id']}")
    page.get_by_role("link", name=re.compile(f"Room {ROOM}")).click()
    page.wait_for_url(re.compile(r"#ev-"))
    assert page.locator(f"#events tr[id='ev-{behaviour['event_ids'][0]}']").count() == 1
    page.context.close()


def test_chinese_interface(browser: object, desk: Desk) -> None:
    page = _page(browser, desk)
    page.goto(f"{desk.base}/queue?view=all&rule=zh.absolute.grade")
    title = page.locator(".incident .inc-title span").first  # a Chinese pack's rule, in English
    assert (
        title.inner_text() == "Grade terms: national-level, top-grade, finest" and title.get_attribute("lang") == "en"
    )
    page.goto(f"{desk.base}/queue")
    assert page.get_attribute("html", "lang") == "en"
    page.click("a[hreflang=zh-CN]")
    page.wait_for_selector("h1:has-text('审核队列')")
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.locator("#f-category option", has_text="绝对化用语").count() == 1  # category names translated
    assert page.locator(".incident .line[lang=zh]").count() >= 1  # the quotes say what language they are
    page.keyboard.press("?")
    assert "键盘快捷键" in page.locator("#shortcuts").inner_text()
    page.keyboard.press("Escape")
    # rule titles in Chinese: a code detector's bilingual title shows its Chinese half ...
    page.goto(f"{desk.base}/queue?view=all&rule=fraud.templated_chat")
    title = page.locator(".incident .inc-title span").first
    assert title.inner_text() == "模板化刷屏（水军）" and title.get_attribute("lang") == "zh-CN"
    # ... and an English-pack rule its Chinese title (an English room's line, arriving live)
    body = json.dumps(
        {
            "type": "utterance",
            "room_id": "room-en",
            "ts": "2026-11-01T14:03:00Z",
            "text": "This is the lowest price anywhere, I promise",
        }
    )
    r = httpx.post(
        f"{desk.base}/api/v1/events", content=body, headers={"Authorization": f"Bearer {desk.keys['ingest']}"}
    )
    assert r.status_code == 202
    for _ in range(100):
        if desk.findings(room_id="room-en"):
            break
        page.wait_for_timeout(100)
    page.goto(f"{desk.base}/queue?view=all&room=room-en")
    titles = page.locator(".incident .inc-title span").all_inner_texts()
    assert "无法证实的最高级或价格宣称" in titles, titles
    assert page.locator(".incident .line[lang=en]").count() >= 1  # the quote stays as said
    # the room page and the host page are in Chinese too
    page.goto(f"{desk.base}/rooms/{ROOM}")
    assert page.locator("#kinds a", has_text="观众统计").count() == 1
    page.goto(f"{desk.base}/rooms/{ROOM}?kind=stats")
    assert "在线" in page.locator("#events tbody tr").first.inner_text()
    page.goto(f"{desk.base}/hosts/anchor-mei")
    assert page.get_attribute("html", "lang") == "zh-CN"
    text = page.inner_text("main")
    assert all(word in text for word in ("主播", "服务评分", "各维度", "信用台账")), text[:400]
    assert page.locator("main [lang=en]").count() == 0  # no English island left
    page.context.close()
    # with no switch, the browser's language decides
    ctx = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})  # type: ignore[attr-defined]
    page = ctx.new_page()
    page.goto(f"{desk.base}/login")
    assert page.get_attribute("html", "lang") == "zh-CN" and "登录" in page.inner_text("h1")
    ctx.close()


def test_390px_layout(browser: object, desk: Desk) -> None:
    finding = desk.findings(room_id=ROOM)[0]["id"]
    page = _page(browser, desk, width=390)
    for path in ("/queue", f"/rooms/{ROOM}", "/", f"/findings/{finding}", "/hosts/anchor-mei", "/queue?view=decided"):
        page.goto(f"{desk.base}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 392, path  # no sideways page
        assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 14
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_axe_finds_no_serious_violation(browser: object, desk: Desk, lang: str) -> None:
    finding = desk.findings(room_id=ROOM)[0]["id"]
    page = _page(browser, desk, lang=lang)
    problems = {}
    for path in (
        "/",
        "/queue",
        "/queue?view=decided",
        "/queue?view=escalated",
        "/queue?view=all&page=2",
        f"/rooms/{ROOM}",
        f"/rooms/{ROOM}?kind=stats",
        "/rooms/nowhere",
        f"/findings/{finding}",
        "/hosts/anchor-mei",
        "/hosts/nobody",
        "/login",
    ):
        page.goto(f"{desk.base}{path}")
        problems.update(_axe_serious(page, path))
    page.goto(f"{desk.base}/queue")
    page.keyboard.press("?")  # the shortcuts dialog, open
    problems.update(_axe_serious(page, "/queue (shortcuts)"))
    page.context.close()
    assert not problems, problems


def _axe_serious(page: object, name: str) -> dict[str, list[tuple[str, str, list[object]]]]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))  # type: ignore[attr-defined]
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")  # type: ignore[attr-defined]
    serious = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    return {name: [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in serious]} if serious else {}


def test_static_report_groups_filters_and_marks_behaviour(browser: object, tmp_path: Path) -> None:
    """`clearlive report` on room-glow (events and transcript): one row per incident, a filter that
    works offline (file://), legal bases once as footnotes, the curve with findings in a few
    layers and the templated-chat spans shaded."""
    from clearlive.cli.main import main
    from clearlive.demo.generate import generate

    data = tmp_path / "data"
    generate(data)
    db = tmp_path / "scan.duckdb"
    transcript = ["--room", ROOM, "--session", "s-glow-1101", "--anchor", "anchor-mei", "--t0", "2026-11-01T13:00:00Z"]
    args = ["scan", str(data / f"{ROOM}.jsonl"), str(data / f"{ROOM}.host.vtt"), *transcript]
    assert main([*args, "--db", str(db), "--out", str(tmp_path / "f.jsonl")]) == 0
    assert main(["report", "--db", str(db), "--out", str(tmp_path / "report.html")]) == 0
    page_path = next((tmp_path / "report_sessions").glob("room-glow-*.html"))
    page = browser.new_page(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    page.route(re.compile(r"^https?://"), lambda route: route.abort())  # offline
    page.goto(page_path.as_uri())
    rows = page.locator("#evidence tbody tr")
    n = rows.count()
    scanned = (tmp_path / "f.jsonl").read_text(encoding="utf-8").count("\n")
    assert scanned > 200 and 30 <= n < 100  # incidents, not rows
    assert f"{scanned} findings" in page.inner_text("#evidence-title")
    page.select_option("#f-sev", "high")
    high = page.locator("#evidence tbody tr:not([hidden])").count()
    assert 0 < high < n and f"{high} of {n}" in page.inner_text("#f-count")
    page.fill("#f-q", "国家级")
    assert page.locator("#evidence tbody tr:not([hidden])").count() == 0  # 国家级 is medium, not high
    page.select_option("#f-sev", "")
    assert page.locator("#evidence tbody tr:not([hidden])").count() >= 1
    notes = page.locator(".footnotes li").all_inner_texts()
    assert notes and len(notes) == len(set(notes))
    legend = page.locator(".chart svg").first.inner_html()
    assert all(layer in legend for layer in ("speech", "chat", "behaviour"))
    assert page.locator(".chart svg").first.locator("g.mark-rect path").count() >= 1  # templated-chat spans
    assert page.evaluate("document.documentElement.scrollHeight") < 20_000  # was 86,000 px
    page.close()
    # the same report in Chinese: interface, category and severity names and rule titles; the
    # quotes as said; every page says its language
    assert main(["report", "--db", str(db), "--out", str(tmp_path / "zh" / "report.html"), "--lang", "zh"]) == 0
    page = browser.new_page(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    page.route(re.compile(r"^https?://"), lambda route: route.abort())
    page.goto((tmp_path / "zh" / "report.html").as_uri())
    assert page.get_attribute("html", "lang") == "zh-CN" and page.inner_text("h1") == "ClearLive 报告"
    page.goto(next((tmp_path / "zh" / "report_sessions").glob("room-glow-*.html")).as_uri())
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert f"{scanned} 条发现" in page.inner_text("#evidence-title")
    assert page.locator("#f-cat option", has_text="绝对化用语").count() == 1
    assert page.locator("#f-sev option", has_text="高").count() >= 1
    assert page.locator("#evidence span[lang=zh-CN]", has_text="虚假限量").count() >= 1  # a detector's title
    assert page.locator("#evidence", has_text="false scarcity").count() == 0
    page.select_option("#f-sev", "high")
    assert "显示" in page.inner_text("#f-count")
    page.close()
    assert main(["report", "--db", str(db), "--out", str(tmp_path / "x.html"), "--lang", "fr"]) == 2
    # every page of both reports: no serious axe violation, and no sideways page at 390 px
    problems = {}
    for width in (1366, 390):
        page = browser.new_page(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
        page.route(re.compile(r"^https?://"), lambda route: route.abort())
        for index in (tmp_path / "report.html", tmp_path / "zh" / "report.html"):
            for path in [index, *(index.parent / "report_sessions").glob("*.html")]:
                page.goto(path.as_uri())
                if width == 390:
                    assert page.evaluate("document.documentElement.scrollWidth") <= 392, path
                else:
                    problems.update(_axe_serious(page, str(path.relative_to(tmp_path))))
        page.close()
    assert not problems, problems


def test_sigterm_stops_serve_with_a_desk_page_open(browser: object, tmp_path: Path) -> None:
    """A reviewer's tab holds the desk's live stream open; SIGTERM still stops the service and
    the page says it is offline and reconnecting, not live."""
    import signal

    db = str(tmp_path / "svc.duckdb")
    key = create_key(db, "reviewer", "default")
    proc, base = start_serve(tmp_path, db)
    try:
        ctx = browser.new_context()  # type: ignore[attr-defined]
        page = ctx.new_page()
        page.goto(f"{base}/login")
        page.get_by_label("API key").fill(key)
        page.click("#login")
        page.wait_for_selector("#conn[data-state=live]")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0  # it would wait for the browser to hang up before
        page.wait_for_selector("#conn:is([data-state=reconnecting], [data-state=offline])")
        assert page.locator("#reconnect").is_visible()
        ctx.close()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_preload_reads_every_format_and_the_room_shows_every_kind(browser: object, tmp_path: Path) -> None:
    """`clearlive serve --preload` on a room given as gzipped JSON Lines, an SRT transcript (its
    second 0, session and host from the room's session_start), an orders CSV and a refunds Parquet
    table: every event arrives, the transcript's finding at its moment, and the room page shows
    each kind under its tab."""
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq

    room = "room-shop"
    events = [
        {
            "type": "session_start",
            "room_id": room,
            "ts": "2026-11-02T10:00:00Z",
            "session_id": "s-shop-1",
            "anchor_id": "anchor-lin",
            "shop_id": "shop-lin",
            "title": "秋冬新款",
        },
        {
            "type": "product",
            "room_id": room,
            "ts": "2026-11-02T10:00:05Z",
            "sku": "coat-1",
            "title": "羊毛大衣",
            "category": "apparel",
            "price": 399,
            "list_price": 1299,
            "stock": 50,
        },
        *(
            {"type": "room_stats", "room_id": room, "ts": f"2026-11-02T10:0{m}:00Z", "online": 100 + 10 * m}
            for m in range(1, 4)
        ),
        {"type": "comment", "room_id": room, "ts": "2026-11-02T10:01:10Z", "user_id": "u1", "text": "有M码吗"},
    ]
    with gzip.open(tmp_path / f"{room}.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(e, ensure_ascii=False) + "\n" for e in events)
    (tmp_path / f"{room}.srt").write_text(
        "1\n00:00:30,000 --> 00:00:34,000\n欢迎来到直播间，今天上新\n\n"
        "2\n00:02:00,000 --> 00:02:05,000\n这件大衣全网最低价，绝对的天花板\n",
        encoding="utf-8",
    )
    (tmp_path / "orders.csv").write_text(
        "room_id,ts,order_id,user_id,sku,qty,amount\n"
        + "".join(f"{room},2026-11-02T10:03:0{k}Z,o{k},u{k},coat-1,1,399\n" for k in range(3)),
        encoding="utf-8",
    )
    pq.write_table(
        pa.table({"room_id": [room], "ts": ["2026-11-02T11:00:00Z"], "order_id": ["o1"], "reason": ["尺码不合适"]}),
        tmp_path / "refunds.parquet",
    )
    db = str(tmp_path / "svc.duckdb")
    key = create_key(db, "reviewer", "default")
    files = [f"{room}.jsonl.gz", f"{room}.srt", "orders.csv", "refunds.parquet"]
    proc, base = start_serve(tmp_path, db, *[a for f in files for a in ("--preload", str(tmp_path / f))])
    try:
        found = httpx.get(
            f"{base}/api/v1/findings?room_id={room}&limit=500", headers={"Authorization": f"Bearer {key}"}
        ).json()
        spoken = [f for f in found if f["event_type"] == "utterance"]
        assert spoken and {f["ts"][:19] for f in spoken} == {"2026-11-02T10:02:00"}  # t0 + 120 s
        assert {f["anchor_id"] for f in spoken} == {"anchor-lin"}
        ctx = browser.new_context()  # type: ignore[attr-defined]
        ctx.add_cookies([{"name": "clearlive_session", "value": _login(base, key), "url": base}])
        page = ctx.new_page()
        page.goto(f"{base}/rooms/{room}")
        kinds = dict(
            page.locator("#kinds a").evaluate_all(
                "els => els.map(a => [a.dataset.kind, parseInt(a.querySelector('.count').textContent)])"
            )
        )
        assert kinds == {
            "all": 12,
            "speech": 2,
            "chat": 1,
            "stats": 3,
            "listings": 1,
            "orders": 3,
            "after_sale": 1,
            "session": 1,
        }
        page.click("#kinds a[data-kind=after_sale]")
        row = page.locator("#events tbody tr")
        assert row.count() == 1 and row.get_attribute("data-type") == "refund" and "尺码不合适" in row.inner_text()
        page.click("#kinds a[data-kind=speech]")
        flagged = page.locator("#events tbody tr.flagged")
        assert flagged.count() == 1 and flagged.locator("mark").count() == 1
        ctx.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _login(base: str, key: str) -> str:
    r = httpx.post(f"{base}/login", data={"key": key}, follow_redirects=False, timeout=30)
    assert r.status_code == 303
    return r.cookies["clearlive_session"]
