"""The dashboard's browser session (issue #18 item 6).

Logging in with an API key opens a server-side session (`KeyStore.open_session`): the cookie holds
a random session id signed with the store's secret (HMAC-SHA-256), never the key; it is HttpOnly,
SameSite=Strict, `Secure` when the request came over TLS (directly or through a proxy uvicorn
trusts), and expires with the session (12 hours). Revoking the key ends its sessions.

Every state-changing request a cookie authenticates (the desk's actions, the API used from a page,
logging out) needs the session's CSRF token (the `X-CSRF-Token` header, or a `csrf` form field) and
must not come from another origin: an `Origin` (or, without one, a `Referer`) naming another host
than the request's is refused. SameSite alone does not cover another port of the same host. Logging
in checks the origin too (no session yet, so no token). Requests with a bearer key are not
ambient credentials: they need neither.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from clearlive.serve.keys import SESSION_S, KeyStore, Session

COOKIE = "clearlive_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _mac(secret: bytes, sid: str) -> str:
    return hmac.new(secret, sid.encode(), hashlib.sha256).hexdigest()[:32]


def cookie_value(secret: bytes, sid: str) -> str:
    return f"{sid}.{_mac(secret, sid)}"


def session_id(secret: bytes, value: str) -> str | None:
    """The session id a cookie carries, if its signature holds."""
    sid, _, mac = value.rpartition(".")
    if not sid or not hmac.compare_digest(mac, _mac(secret, sid)):
        return None
    return sid


def from_request(keys: KeyStore, request: Request) -> Session | None:
    """The live session the request's cookie names, if any (cached on the request)."""
    if hasattr(request.state, "session"):
        return request.state.session
    found = None
    value = request.cookies.get(COOKIE)
    if value:
        sid = session_id(keys.secret(), value)
        found = keys.session(sid) if sid else None
    request.state.session = found
    return found


def set_cookie(response: object, keys: KeyStore, request: Request, sid: str) -> None:
    response.set_cookie(  # type: ignore[attr-defined]
        COOKIE,
        cookie_value(keys.secret(), sid),
        max_age=SESSION_S,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def check_origin(request: Request) -> None:
    """403 when a state-changing request comes from a page of another origin."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or request.method in SAFE_METHODS:
        return
    if source == "null":
        raise HTTPException(403, "cross-origin request refused (Origin: null)")
    # the request's own host; behind a proxy that rewrites Host, the one it names in
    # X-Forwarded-Host (a header no other site's page can make a browser send without CORS)
    hosts = {request.headers.get("host", "").lower(), request.headers.get("x-forwarded-host", "").lower()}
    if urlsplit(source).netloc.lower() not in hosts - {""}:
        raise HTTPException(403, "cross-origin request refused: it does not come from this site's pages")


def check_csrf(request: Request, session: Session, form_token: str | None = None) -> None:
    """403 unless a state-changing request carries the session's CSRF token and no foreign origin."""
    if request.method in SAFE_METHODS:
        return
    check_origin(request)
    token = request.headers.get(CSRF_HEADER) or form_token or ""
    if not hmac.compare_digest(token.encode(), session.csrf.encode()):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page")
