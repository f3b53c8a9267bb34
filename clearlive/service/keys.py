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
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from clearlive.service.db import Database

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


class KeyStore(Protocol):
    def create(self, role: str, tenant: str) -> str: ...

    def lookup(self, key: str) -> KeyInfo | None: ...

    def count(self) -> int: ...


class SqliteKeyStore:
    def __init__(self, path: str | Path) -> None:
        self.con = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
        self.lock = threading.Lock()
        with self.lock, self.con:
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS api_keys (key_hash TEXT PRIMARY KEY, key_prefix TEXT NOT NULL, "
                "role TEXT NOT NULL, tenant TEXT NOT NULL, created_ms INTEGER NOT NULL, "
                "revoked INTEGER NOT NULL DEFAULT 0)"
            )

    def create(self, role: str, tenant: str) -> str:
        _check(role, tenant)
        key = new_key()
        with self.lock, self.con:
            self.con.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, 0)",
                (hash_key(key), key[:PREFIX_CHARS], role, tenant, int(time.time() * 1000)),
            )
        return key

    def lookup(self, key: str) -> KeyInfo | None:
        with self.lock:
            row = self.con.execute(
                "SELECT role, tenant, key_prefix FROM api_keys WHERE key_hash = ? AND revoked = 0", (hash_key(key),)
            ).fetchone()
        return KeyInfo(*row) if row else None

    def count(self) -> int:
        with self.lock:
            return int(self.con.execute("SELECT count(*) FROM api_keys").fetchone()[0])


class SqlKeyStore:
    """Keys in the service database's `api_keys` table (PostgreSQL in service mode)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, role: str, tenant: str) -> str:
        _check(role, tenant)
        key = new_key()
        self.db.execute(
            "INSERT INTO api_keys (key_hash, key_prefix, role, tenant, created_ms, revoked) "
            "VALUES (?, ?, ?, ?, ?, FALSE)",
            [hash_key(key), key[:PREFIX_CHARS], role, tenant, int(time.time() * 1000)],
        )
        return key

    def lookup(self, key: str) -> KeyInfo | None:
        rows = self.db.query(
            "SELECT role, tenant, key_prefix FROM api_keys WHERE key_hash = ? AND NOT revoked", [hash_key(key)]
        )
        return KeyInfo(*rows[0]) if rows else None

    def count(self) -> int:
        return int(self.db.query("SELECT count(*) FROM api_keys")[0][0])
