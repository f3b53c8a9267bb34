"""A tenant admin's API: its keys (list, create, revoke) and the dead letters of its events.

Every route needs an `admin` key and sees only the admin's tenant. `clearlive keys list|revoke` and
`clearlive dead-letters list|resolve` do the same from the command line, for every tenant.

(No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at run time, and
they name a local alias.)
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from clearlive.serve.keys import ROLES, KeyInfo
from clearlive.serve.store import ServiceStore


class KeyIn(BaseModel):
    role: str = Field(description=", ".join(ROLES))


def admin_router(store: ServiceStore, admin_role: Callable[..., KeyInfo]) -> APIRouter:
    router = APIRouter(tags=["service"])
    Admin = Annotated[KeyInfo, Depends(admin_role)]

    @router.get("/api/v1/keys")
    def list_keys(info: Admin) -> list[dict[str, Any]]:
        """The tenant's keys: prefix, role, creation time, whether revoked (never a key itself)."""
        return store.keys.list(info.tenant)

    @router.post("/api/v1/keys", status_code=201)
    def create_key(body: KeyIn, info: Admin) -> dict[str, Any]:
        """A new key of the tenant, shown once in this answer (only its hash is stored)."""
        try:
            key = store.keys.create(body.role, info.tenant)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        store.audit(info.tenant, info.prefix, "key.create", key[:10], {"role": body.role})
        return {"key": key, "prefix": key[:10], "role": body.role, "tenant": info.tenant}

    @router.post("/api/v1/keys/{prefix}/revoke")
    def revoke_key(prefix: str, info: Admin) -> dict[str, Any]:
        """Revoke one of the tenant's keys by its prefix: it stops working at once, and so do the
        dashboard sessions opened with it."""
        try:
            done = store.keys.revoke(prefix, tenant=info.tenant)
        except KeyError as exc:
            raise HTTPException(404, "no active key of this tenant has that prefix") from exc
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        store.audit(info.tenant, info.prefix, "key.revoke", done["prefix"], {"role": done["role"]})
        return done

    @router.get("/api/v1/dead-letters")
    def dead_letters(
        info: Admin, resolved: bool = Query(default=False, description="also those already resolved")
    ) -> list[dict[str, Any]]:
        """Events of the tenant the workers gave up on, with the error (clearlive.watch.scan.worker_core)."""
        return store.dead_letters(info.tenant, resolved=resolved)

    return router
