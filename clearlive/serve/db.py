"""Two databases behind one small interface: DuckDB embedded (the default) and PostgreSQL (service mode).

SQL is written once with `?` placeholders; the PostgreSQL side turns them into psycopg's `%s`.
Only statements both engines accept are used (see schema.py).
"""

from __future__ import annotations

import errno
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from clearlive.serve.schema import DDL_V1, DDL_V2, DDL_V3, DDL_V4, DDL_V5, DDL_V6, SCHEMA_VERSION


class Database(Protocol):
    kind: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], seq: tuple[str, str] | None = None
    ) -> None:
        """INSERT ... ON CONFLICT DO NOTHING of many rows; `seq` = (column, sequence) numbers them."""
        ...

    def transaction(self, lock_key: int | None = None) -> Any: ...

    def free_bytes(self) -> int | None:
        """Room left for the store's files, if the store is on this machine's disk."""
        ...

    def close(self) -> None: ...


MEMORY_LIMIT = "256MB"  # the embedded service store's DuckDB: cache and indexes beyond it go to disk


class StoreUnwritable(OSError):
    """The embedded store cannot write its files (the disk is full, or gone): the service waits for
    the disk instead of failing; nothing that was not written was acknowledged."""


@contextmanager
def _unwritable_as_oserror() -> Iterator[None]:
    # DuckDB reports a full disk as an IOException, or as a TransactionException when the commit's
    # WAL write fails; both mean "waiting for the disk", which callers handle as an OSError.
    try:
        yield
    except duckdb.Error as exc:
        text = str(exc)
        if isinstance(exc, duckdb.IOException) or "No space left on device" in text:
            code = errno.ENOSPC if "No space left" in text else errno.EIO
            raise StoreUnwritable(code, f"the embedded store cannot write: {text}") from exc
        raise


class DuckDatabase:
    """One DuckDB file (or memory) shared by the service's threads; writes are serialised by a lock."""

    kind = "duckdb"

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = None if str(path) == ":memory:" else Path(path)
        self.con = duckdb.connect(str(path))
        if self.path is not None:
            # DuckDB's default cap is 80% of the machine: its cache and indexes would grow with the
            # store for ever. A fixed cap keeps a long-running service's memory flat (bench/soak.py).
            self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self.lock = threading.RLock()
        self._local = threading.local()
        with self.lock:
            for stmt in [*DDL_V1, *DDL_V2, *DDL_V3, *DDL_V4, *DDL_V5]:
                self.con.execute(stmt)
            version = self.con.execute("SELECT value FROM service_meta WHERE key = 'schema_version'").fetchall()
            if not version or int(version[0][0]) < 6:  # tables keyed per tenant: rebuilt once, in one transaction
                self.con.execute("BEGIN TRANSACTION")
                try:
                    for stmt in DDL_V6:
                        self.con.execute(stmt)
                    self.con.execute("COMMIT")
                except BaseException:
                    self.con.execute("ROLLBACK")
                    raise
            self.con.execute(
                "INSERT INTO service_meta VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = ?",
                [str(SCHEMA_VERSION), str(SCHEMA_VERSION)],
            )

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._local.cursor = self.con.cursor()
        return cur

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self.lock, _unwritable_as_oserror():
            self._cursor().execute(sql, list(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.lock, _unwritable_as_oserror():
            return self._cursor().execute(sql, list(params)).fetchall()

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], seq: tuple[str, str] | None = None
    ) -> None:
        # DuckDB's executemany runs row by row (400 rows/s here); an Arrow table goes in at once.
        if not rows:
            return
        data = pa.table({c: [r[i] for r in rows] for i, c in enumerate(columns)})
        names = ([seq[0]] if seq else []) + list(columns)
        values = ([f"nextval('{seq[1]}')"] if seq else []) + list(columns)
        with self.lock, _unwritable_as_oserror():
            cur = self._cursor()
            cur.register("_incoming", data)
            try:
                cur.execute(
                    f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(values)} FROM _incoming "
                    "ON CONFLICT DO NOTHING"
                )
            finally:
                cur.unregister("_incoming")

    @contextmanager
    def transaction(self, lock_key: int | None = None) -> Iterator[None]:
        with self.lock, _unwritable_as_oserror():
            cur = self._cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield
                cur.execute("COMMIT")
            except BaseException:
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:
                    pass  # a failed COMMIT has already ended the transaction
                raise

    def free_bytes(self) -> int | None:
        """Room left beside the store's file (None in memory): /health warns before writes fail."""
        import shutil

        return None if self.path is None else shutil.disk_usage(self.path.parent).free

    def close(self) -> None:
        with self.lock:
            self.con.close()


class PostgresDatabase:
    """PostgreSQL through psycopg, a connection per thread; the schema comes from Alembic."""

    kind = "postgresql"

    def __init__(self, url: str, migrate: bool = True) -> None:
        import psycopg

        self._psycopg = psycopg
        self.url = url
        self._local = threading.local()
        self._all: list[Any] = []
        self._guard = threading.Lock()
        if migrate:
            from clearlive.serve.migrate import upgrade

            upgrade(url)

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._psycopg.connect(self.url, autocommit=True)
            self._local.conn = conn
            with self._guard:
                self._all.append(conn)
        return conn

    @staticmethod
    def _pg(sql: str) -> str:
        return sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._conn().execute(self._pg(sql), list(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn().execute(self._pg(sql), list(params)).fetchall()

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], seq: tuple[str, str] | None = None
    ) -> None:
        names = ([seq[0]] if seq else []) + list(columns)
        marks = ([f"nextval('{seq[1]}')"] if seq else []) + ["%s"] * len(columns)
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(marks)}) ON CONFLICT DO NOTHING"
        if rows:
            with self._conn().cursor() as cur:
                cur.executemany(sql, [list(r) for r in rows])

    @contextmanager
    def transaction(self, lock_key: int | None = None) -> Iterator[None]:
        conn = self._conn()
        with conn.transaction():
            if lock_key is not None:  # serialise writers across processes (the audit chain)
                conn.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key])
            yield

    def free_bytes(self) -> None:
        return None  # the database server's disk: its own errors say when it is full

    def close(self) -> None:
        with self._guard:
            for conn in self._all:
                conn.close()
            self._all.clear()


def open_database(url: str | None) -> Database:
    """`None` or a path: embedded DuckDB; `postgresql://...`: PostgreSQL (migrated to the latest schema)."""
    if url is None:
        return DuckDatabase(":memory:")
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(url)
    return DuckDatabase(url.removeprefix("duckdb://"))
