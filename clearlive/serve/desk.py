"""The reviewers' desk: the dashboard's pages and the actions they post. Log in with an API key
(a server-side session, see clearlive.serve.sessions: the cookie never holds the key, and every
action needs the page's CSRF token); every page is in Chinese or English (clearlive.serve.i18n).

Actions (decide, undo, assign) take the ids of every finding they apply to, so that a decision on
an incident or a bulk selection is one request; each finding still gets its own audit entry. They
answer JSON: the affected incidents re-rendered, or `detail` saying what is wrong (422), which the
page shows where the action was. Who may see a page or take an action is declared by the
dependencies of clearlive.serve.deps (`Viewer`, `SessionKey`, `DeskReviewer`).

(No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time.)
"""

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from clearlive.serve import sessions, views
from clearlive.serve.deps import DeskReviewer, SessionKey, Store, Viewer, get_store
from clearlive.serve.i18n import LANG_COOKIE, LANGS, chart_titles, negotiate, render, translations
from clearlive.serve.keys import KeyInfo
from clearlive.serve.store import DECISIONS

FEED_ROWS = 200  # the feed page's rows; older findings are in the queue's pages


router = APIRouter(include_in_schema=False)


def mount_desk(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static")
    app.include_router(router)


def _lang(request: Request) -> str:
    return negotiate(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def show(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    store = get_store(request)
    lang = _lang(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    info = context.get("info")
    last_seq = 0
    if info is not None:  # where the page's alert stream starts: after the newest finding now
        last_seq = store.db.query("SELECT coalesce(max(seq), 0) FROM findings WHERE tenant = ?", [info.tenant])[0][0]
    context.setdefault("last_seq", last_seq)
    session = sessions.from_request(store.keys, request)
    context.setdefault("csrf", session.csrf if session is not None and info is not None else "")
    if info is not None:  # events of this tenant the workers gave up on (worker_core), until resolved
        context.setdefault("dead_letters", sum(store.dead_letter_counts(info.tenant).values()))
    body = render(lang, name, here=here, messages=_js_messages(lang), **context)
    return HTMLResponse(body, status_code=status_code)


def not_found(request: Request, info: KeyInfo, what: str) -> HTMLResponse:
    return show(request, "not_found.html", status_code=404, info=info, what=what)


@router.get("/login")
def login_form(request: Request, error: str | None = None) -> HTMLResponse:
    return show(request, "login.html", error=error, info=None)


@router.post("/login")
def login(request: Request, key: Annotated[str, Form()], store: Store) -> Response:
    """A server-side session for a valid key (clearlive.serve.sessions): the cookie holds the
    signed session id, never the key."""
    sessions.check_origin(request)  # no one logs a browser in from another site's page
    opened = store.keys.open_session(key.strip())
    if opened is None:
        return RedirectResponse("/login?error=1", status_code=303)
    resp = RedirectResponse("/", status_code=303)
    sessions.set_cookie(resp, store.keys, request, opened[0])
    return resp


@router.post("/logout")
def logout(request: Request, store: Store, csrf: Annotated[str, Form()] = "") -> Response:
    session = sessions.from_request(store.keys, request)
    if session is not None:
        sessions.check_csrf(request, session, csrf)
        sid = sessions.session_id(store.keys.secret(), request.cookies.get(sessions.COOKIE, ""))
        if sid:
            store.keys.close_session(sid)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(sessions.COOKIE, path="/")
    return resp


@router.get("/lang/{lang}")
def switch_language(lang: str, next: str = "/") -> Response:
    """The language switch: remembered in a cookie, back to the page it was used on."""
    local = next.startswith("/") and not next.startswith("//") and "\\" not in next and not urlsplit(next).netloc
    target = next if local else "/"  # only back to a page of this site
    resp = RedirectResponse(target, status_code=303)
    if lang in LANGS:
        resp.set_cookie(LANG_COOKIE, lang, samesite="strict", max_age=365 * 86400)
    return resp


@router.get("/feed/alerts")
def feed_alerts(request: Request, info: SessionKey, after: int = 0) -> Response:
    """New findings as server-sent HTML rows for the alert feed (the page's script inserts them)."""
    env_lang = _lang(request)

    def row(f: dict[str, Any]) -> str:
        return render(env_lang, "_alert_row.html", f=f, new=True).replace("\n", " ")

    response: Response = request.app.state.alert_stream(request, info.tenant, after, row, info.prefix)
    return response


@router.get("/")
def feed(request: Request, info: Viewer, store: Store) -> Response:
    rows = store.db.query("SELECT count(*), coalesce(max(seq), 0) FROM findings WHERE tenant = ?", [info.tenant])
    total, last_seq = rows[0]
    # the newest by seq, however many came before (seq is shared by every tenant's findings)
    recent = store.findings(info.tenant, limit=FEED_ROWS, newest_first=True) if total else []
    return show(
        request,
        "feed.html",
        info=info,
        findings=recent,
        total=total,
        last_seq=last_seq,
        rooms=store.rooms(info.tenant),
        hosts=views.hosts_of(store, info.tenant),
    )


@router.get("/queue")
def queue_page(request: Request, info: Viewer, store: Store) -> Response:
    q = views.QueueQuery.from_params(dict(request.query_params))
    return show(request, "queue.html", info=info, **views.queue_view(store, info.tenant, info.prefix, q))


def _ids(ids: str) -> list[str]:
    return [i for i in ids.split() if i]


def _answer(request: Request, info: KeyInfo, ids: list[str], done: list[dict[str, Any]]) -> JSONResponse:
    store = get_store(request)
    lang = _lang(request)
    incidents = views.incidents_of(store, info.tenant, ids)
    html = {i["inc"].id: render(lang, "_incident.html", i=i, info=info, decisions=DECISIONS) for i in incidents}
    return JSONResponse({"changed": len(done), "done": done, "incidents": html})


@router.post("/desk/decide")
def decide(
    request: Request,
    info: DeskReviewer,
    store: Store,
    ids: Annotated[str, Form()],
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> JSONResponse:
    wanted = _ids(ids)
    try:
        done = store.review_many(info.tenant, wanted, decision, reason.strip() or None, info.prefix)
    except KeyError as exc:
        raise HTTPException(404, "no such finding") from exc
    except ValueError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)
    return _answer(request, info, wanted, done)


@router.post("/desk/undo")
def undo(request: Request, info: DeskReviewer, store: Store, ids: Annotated[str, Form()]) -> JSONResponse:
    wanted = _ids(ids)
    decided = [fid for fid in wanted if (f := store.finding(info.tenant, fid)) is not None and f["status"] != "open"]
    if not decided:
        return JSONResponse({"detail": "nothing to undo: these findings are open"}, status_code=422)
    done = store.undo(info.tenant, decided, info.prefix)
    return _answer(request, info, wanted, done)


@router.post("/desk/assign")
def assign(
    request: Request,
    info: DeskReviewer,
    store: Store,
    ids: Annotated[str, Form()],
    assignee: Annotated[str, Form()] = "",
) -> JSONResponse:
    wanted = _ids(ids)
    try:
        n = store.assign(info.tenant, wanted, assignee.strip() or None, info.prefix)
    except KeyError as exc:
        raise HTTPException(404, "no such finding") from exc
    return _answer(request, info, wanted, [{"assigned": n}])


@router.get("/findings/{finding_id}")
def finding_page(finding_id: str, request: Request, info: Viewer, store: Store) -> Response:
    view = views.finding_view(store, info.tenant, finding_id, chart_titles(_lang(request)))
    if view is None:
        return not_found(request, info, "finding")
    return show(request, "finding.html", info=info, decisions=DECISIONS, **view)


@router.get("/rooms/{room_id}")
def room_page(room_id: str, request: Request, info: Viewer, store: Store, page: int = 1, kind: str = "all") -> Response:
    if store.tenant_of_room(room_id) != info.tenant:
        return not_found(request, info, "room")
    view = views.room_view(store, info.tenant, room_id, page, chart_titles(_lang(request)), kind)
    return show(request, "room.html", info=info, **view)


@router.get("/hosts/{anchor_id}")
def host_page(anchor_id: str, request: Request, info: Viewer, store: Store) -> Response:
    view = views.host_view(store, info.tenant, anchor_id)
    if view is None:
        return not_found(request, info, "host")
    return show(request, "desk_host.html", info=info, **view)


def _js_messages(lang: str) -> str:
    """What the page's script says (connection state, errors), in the page's language."""
    _ = translations(lang).gettext
    return json.dumps(
        {
            "live": _("live"),
            "connecting": _("connecting…"),
            "reconnecting": _("connection lost; reconnecting…"),
            "offline": _("offline: new findings are not arriving"),
            "unreachable": _("The server did not answer: nothing was recorded. Check the connection and try again."),
            "failed": _("Not recorded:"),
            "saving": _("Saving…"),
            "done": _("Recorded: {n} finding(s) {status}."),
            "undone": _("Undone: {n} finding(s) back to their previous status."),
            "assigned": _("Assigned {n} finding(s)."),
            "nothing_selected": _("Select incidents first (x), or move to one (j/k)."),
            "new_findings": _("{n} new finding(s) since this page loaded"),
            "reload": _("Reload"),
            "confirmed": _("confirmed"),
            "dismissed": _("dismissed"),
            "escalated": _("escalated"),
        },
        ensure_ascii=False,
    )
