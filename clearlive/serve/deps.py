"""The FastAPI dependencies every router of the service declares instead of checking for itself:
the store and submitter the app was made with, the caller's key, its session and its role.

- `Key`: an API key (`Authorization: Bearer KEY`) or the dashboard's session cookie
  (clearlive.serve.sessions: a state-changing request needs the session's CSRF token); 401
  without either. `Ingester`, `Reviewer` and `Admin` add the role (403 for another role).
- The dashboard's pages: `Viewer` (a logged-in session; else the browser is sent to /login),
  `SessionKey` (a session, else 401: the page's alert stream) and `DeskReviewer` (a session of a
  reviewer or admin, with the CSRF token of the page in the form or the header).

(No `from __future__ import annotations`: FastAPI reads these annotations at run time.)
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Form, Header, HTTPException, Request

from clearlive.serve import sessions
from clearlive.serve.keys import KeyInfo
from clearlive.serve.store import ServiceStore


def get_store(request: Request) -> ServiceStore:
    store: ServiceStore = request.app.state.store
    return store


def get_submitter(request: Request) -> Any:
    return request.app.state.submitter


Store = Annotated[ServiceStore, Depends(get_store)]
Submitter = Annotated[Any, Depends(get_submitter)]


def api_key(request: Request, authorization: Annotated[str | None, Header()] = None) -> KeyInfo:
    store = get_store(request)
    info = None
    if authorization and authorization.lower().startswith("bearer "):
        info = store.key_info(authorization[7:].strip())
    elif (session := sessions.from_request(store.keys, request)) is not None:
        sessions.check_csrf(request, session)  # a cookie is sent by any page: prove it is ours
        info = session.info
    if info is None:
        raise HTTPException(401, "a valid API key is needed", headers={"WWW-Authenticate": "Bearer"})
    return info


def role(*allowed: str) -> Callable[..., KeyInfo]:
    """A dependency: the caller's key, if its role is one of `allowed`."""

    def check(info: Annotated[KeyInfo, Depends(api_key)]) -> KeyInfo:
        if info.role not in allowed:
            raise HTTPException(403, f"this needs a key with role {' or '.join(allowed)}")
        return info

    return check


# One function per role, made once: FastAPI runs a dependency once per request by its identity.
ingest_role = role("ingest", "admin")
reviewer_role = role("reviewer", "admin")
admin_role = role("admin")

Key = Annotated[KeyInfo, Depends(api_key)]
Ingester = Annotated[KeyInfo, Depends(ingest_role)]
Reviewer = Annotated[KeyInfo, Depends(reviewer_role)]
Admin = Annotated[KeyInfo, Depends(admin_role)]


class LoginFirst(Exception):
    """A dashboard page asked for without a session: the app sends the browser to /login."""


def session_key(request: Request) -> KeyInfo | None:
    """The key of the dashboard session the request carries, if any."""
    session = sessions.from_request(get_store(request).keys, request)
    return session.info if session is not None else None


def viewer(info: Annotated[KeyInfo | None, Depends(session_key)]) -> KeyInfo:
    if info is None:
        raise LoginFirst()
    return info


def logged_in(info: Annotated[KeyInfo | None, Depends(session_key)]) -> KeyInfo:
    if info is None:
        raise HTTPException(401, "log in first")
    return info


def desk_reviewer(request: Request, csrf: Annotated[str, Form()] = "") -> KeyInfo:
    session = sessions.from_request(get_store(request).keys, request)
    if session is None:
        raise HTTPException(401, "log in first")
    sessions.check_csrf(request, session, csrf)  # refused from another site's page
    if session.info.role not in ("reviewer", "admin"):
        raise HTTPException(403, "this needs a reviewer key")
    return session.info


Viewer = Annotated[KeyInfo, Depends(viewer)]
SessionKey = Annotated[KeyInfo, Depends(logged_in)]
DeskReviewer = Annotated[KeyInfo, Depends(desk_reviewer)]
