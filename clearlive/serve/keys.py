"""API keys: random, shown once, stored only as a SHA-256 hash, each with a role and a tenant.

Embedded, keys live in a small SQLite file beside the DuckDB store, because `clearlive keys create`
must work while `clearlive serve` holds the DuckDB file open (DuckDB allows one writing process;
SQLite lets both open it). In service mode they live in PostgreSQL with everything else.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from clearlive.serve.db import Database

ROLES = ("ingest", "reviewer", "admin")
PREFIX_CHARS = 10


def hash_key(key: str) -> str:
    # API keys are 32 random bytes: a plain SHA-256 cannot be brute-forced, unlike a password's.
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return "cl_" + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class KeyInfo:
    role: str
    tenant: str
    prefix: str  # the first characters: safe to log, and how a reviewer is named


def _check(role: str, tenant: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not tenant or len(tenant) > 100:
        raise ValueError("tenant must be 1-100 characters")


SESSION_S = 12 * 3600  # a dashboard session lasts this long after its login


@dataclass(frozen=True)
class Session:
    """A dashboard session: who (the key's role, tenant and prefix) and its CSRF token."""

    info: KeyInfo
    csrf: str
    expires_ms: int


class KeyStore(Protocol):
    def create(self, role: str, tenant: str) -> str: ...

    def lookup(self, key: str) -> KeyInfo | None: ...

    def count(self) -> int: ...

    def list(self, tenant: str | None = None) -> list[dict[str, Any]]: ...

    def revoke(self, prefix: str, tenant: str | None = None) -> dict[str, Any]: ...

    def open_session(self, key: str, ttl_s: int = SESSION_S) -> tuple[str, Session] | None: ...

    def session(self, sid: str) -> Session | None: ...

    def close_session(self, sid: str) -> None: ...

    def secret(self) -> bytes: ...


def _now_ms() -> int:
    return int(time.time() * 1000)


class _Keys:
    """What both key stores do, in SQL both SQLite and the service database accept (`?` marks)."""

    def _x(self, sql: str, params: Sequence[Any] = ()) -> None:
        raise NotImplementedError

    def _q(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def create(self, role: str, tenant: str) -> str:
        _check(role, tenant)
        key = new_key()
        self._x(
            "INSERT INTO api_keys (key_hash, key_prefix, role, tenant, created_ms, revoked) VALUES (?, ?, ?, ?, ?, ?)",
            [hash_key(key), key[:PREFIX_CHARS], role, tenant, _now_ms(), False],
        )
        return key

    def lookup(self, key: str) -> KeyInfo | None:
        rows = self._q(
            "SELECT role, tenant, key_prefix FROM api_keys WHERE key_hash = ? AND revoked = ?", [hash_key(key), False]
        )
        return KeyInfo(*rows[0]) if rows else None

    def count(self) -> int:
        return int(self._q("SELECT count(*) FROM api_keys")[0][0])

    def list(self, tenant: str | None = None) -> list[dict[str, Any]]:
        """Every key (of one tenant, or all): its prefix, role, tenant, creation time and whether it
        is revoked. Never the key: only its hash is stored."""
        sql = "SELECT key_prefix, role, tenant, created_ms, revoked FROM api_keys"
        params: list[Any] = []
        if tenant is not None:
            sql += " WHERE tenant = ?"
            params.append(tenant)
        cols = ("prefix", "role", "tenant", "created_ms", "revoked")
        rows = self._q(sql + " ORDER BY tenant, created_ms, key_prefix", params)
        return [{**dict(zip(cols, r, strict=True)), "revoked": bool(r[4])} for r in rows]

    def revoke(self, prefix: str, tenant: str | None = None) -> dict[str, Any]:
        """Revoke the one active key whose prefix is `prefix` (within `tenant` if given): it stops
        working at once, and the dashboard sessions opened with it with it. KeyError when no active
        key has that prefix, ValueError when several do (give more of the key)."""
        sql = "SELECT key_hash, key_prefix, role, tenant FROM api_keys WHERE revoked = ?"
        params: list[Any] = [False]
        if tenant is not None:
            sql += " AND tenant = ?"
            params.append(tenant)
        wanted = prefix.strip()
        if len(wanted) < 6:
            raise ValueError("give at least the key's first 6 characters")
        # a whole key names its own hash; a prefix is compared with the stored prefixes
        rows = [r for r in self._q(sql, params) if r[0] == hash_key(wanted) or r[1].startswith(wanted[:PREFIX_CHARS])]
        if not rows:
            raise KeyError(prefix)
        if len(rows) > 1:
            raise ValueError(f"{len(rows)} active keys start with {wanted!r}; give more of the key")
        key_hash, key_prefix, role, key_tenant = rows[0]
        self._x("UPDATE api_keys SET revoked = ? WHERE key_hash = ?", [True, key_hash])
        self._x("DELETE FROM sessions WHERE key_hash = ?", [key_hash])
        return {"prefix": key_prefix, "role": role, "tenant": key_tenant, "revoked": True}

    # dashboard sessions ----------------------------------------------------------------------
    def open_session(self, key: str, ttl_s: int = SESSION_S) -> tuple[str, Session] | None:
        """A new session for a valid key: (session id, session). Only the id's hash is stored."""
        info = self.lookup(key)
        if info is None:
            return None
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = _now_ms()
        expires = now + ttl_s * 1000
        self._x("DELETE FROM sessions WHERE expires_ms < ?", [now])  # the expired ones go as new ones come
        self._x(
            "INSERT INTO sessions (sid_hash, key_hash, csrf, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?)",
            [hash_key(sid), hash_key(key), csrf, now, expires],
        )
        return sid, Session(info, csrf, expires)

    def session(self, sid: str) -> Session | None:
        """The live session `sid` names: not expired, and its key not revoked."""
        rows = self._q(
            "SELECT k.role, k.tenant, k.key_prefix, s.csrf, s.expires_ms FROM sessions s "
            "JOIN api_keys k ON k.key_hash = s.key_hash WHERE s.sid_hash = ? AND s.expires_ms > ? AND k.revoked = ?",
            [hash_key(sid), _now_ms(), False],
        )
        if not rows:
            return None
        role, tenant, prefix, csrf, expires = rows[0]
        return Session(KeyInfo(role, tenant, prefix), csrf, int(expires))

    def close_session(self, sid: str) -> None:
        self._x("DELETE FROM sessions WHERE sid_hash = ?", [hash_key(sid)])

    def secret(self) -> bytes:
        """The key that signs session cookies: made once, kept with the keys (so sessions outlive a
        restart of the server, and every front sharing the store accepts them)."""
        cached: bytes | None = getattr(self, "_secret", None)
        if cached is None:  # read once per process: not a write on every request
            self._x(
                "INSERT INTO service_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                ["session_secret", secrets.token_hex(32)],
            )
            cached = bytes.fromhex(self._q("SELECT value FROM service_meta WHERE key = ?", ["session_secret"])[0][0])
            self._secret = cached
        return cached


class SqliteKeyStore(_Keys):
    def __init__(self, path: str | Path) -> None:
        self.con = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
        self.lock = threading.Lock()
        with self.lock, self.con:
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS api_keys (key_hash TEXT PRIMARY KEY, key_prefix TEXT NOT NULL, "
                "role TEXT NOT NULL, tenant TEXT NOT NULL, created_ms INTEGER NOT NULL, "
                "revoked INTEGER NOT NULL DEFAULT 0)"
            )
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS sessions (sid_hash TEXT PRIMARY KEY, key_hash TEXT NOT NULL, "
                "csrf TEXT NOT NULL, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL)"
            )
            self.con.execute("CREATE TABLE IF NOT EXISTS service_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def _x(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self.lock, self.con:
            self.con.execute(sql, list(params))

    def _q(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.con.execute(sql, list(params)).fetchall()


class SqlKeyStore(_Keys):
    """Keys in the service database's `api_keys` table (PostgreSQL in service mode)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _x(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.db.execute(sql, params)

    def _q(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.db.query(sql, params)
