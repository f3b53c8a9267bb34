"""`clearlive serve`, `clearlive keys create|list|revoke`, `clearlive audit verify` and `clearlive dead-letters
list|resolve` (CONTRACT section 5)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from clearlive.errors import ClearLiveError
from clearlive.extras import require
from clearlive.watch.audio import AUDIO_SUFFIXES

err = Console(stderr=True, soft_wrap=True)

SERVE_MODULES = ("fastapi", "uvicorn", "multipart")
POSTGRES_MODULES = ("psycopg", "sqlalchemy", "alembic")


def require_store(db: str | None, what: str) -> None:
    """A PostgreSQL store needs the [postgres] extra (a DuckDB file needs nothing more)."""
    if (db or "").startswith(("postgresql://", "postgres://")):
        require("postgres", what, *POSTGRES_MODULES)


DEMO_DATA = Path("demo-output/data")

keys_app = typer.Typer(help="API keys for the service.", no_args_is_help=True)
audit_app = typer.Typer(help="The service's hash-chained audit log.", no_args_is_help=True)
dead_letters_app = typer.Typer(
    help="Events the service's workers gave up on (an error on every retry).", no_args_is_help=True
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="The service store: a DuckDB file (default clearlive-service.duckdb) or postgresql://..."
    ),
]


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option("--role", help="ingest, reviewer or admin.")],
    tenant: Annotated[str, typer.Option("--tenant", help="The platform or agency the key belongs to.")],
    db: DbOption = None,
) -> None:
    """Print a new API key (shown once; only its hash is stored). Works while the server runs."""
    require_store(db, "clearlive keys with a PostgreSQL store")
    from clearlive.serve.store import open_keys

    try:
        key = open_keys(db).create(role, tenant)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    print(key)
    err.print(f"{role} key for tenant {tenant!r} created; keep it: it cannot be shown again")


@keys_app.command("list")
def keys_list(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant's keys.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of a table.")] = False,
    db: DbOption = None,
) -> None:
    """List keys: prefix, role, tenant, created, revoked (never a key: only hashes are stored)."""
    import json
    from datetime import UTC, datetime

    from clearlive.serve.store import open_keys

    rows = open_keys(db).list(tenant)
    for r in rows:
        if as_json:
            print(json.dumps(r, ensure_ascii=False))
            continue
        created = datetime.fromtimestamp(r["created_ms"] / 1000, UTC).strftime("%Y-%m-%d %H:%M")
        print(f"{r['prefix']}…\t{r['role']}\t{r['tenant']}\t{created}\t{'revoked' if r['revoked'] else 'active'}")
    if not as_json:
        err.print(f"{len(rows)} key(s)")


@keys_app.command("revoke")
def keys_revoke(
    prefix: Annotated[str, typer.Argument(help="The key, or its first characters as `keys list` shows them.")],
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only among this tenant's keys.")] = None,
    db: DbOption = None,
) -> None:
    """Revoke a key: it stops working at once, and so do the dashboard sessions opened with it.
    Works while the server runs. Exit 1 if no active key (or more than one) has that prefix."""
    from clearlive.serve.store import open_keys

    try:
        done = open_keys(db).revoke(prefix, tenant)
    except KeyError:
        err.print(f"[red]no active key starts with {prefix!r}[/]")
        raise typer.Exit(1) from None
    except ValueError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    err.print(f"revoked {done['role']} key {done['prefix']}… of tenant {done['tenant']!r}")


@dead_letters_app.command("list")
def dead_letters_list(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant's.")] = None,
    resolved: Annotated[bool, typer.Option("--all", help="Also those already resolved.")] = False,
    db: DbOption = None,
) -> None:
    """Events the workers gave up on (JSON Lines: tenant, lane, event, stage, error, payload). Exit 0;
    the count goes to stderr. `/api/v1/health` is "degraded" while any is unresolved."""
    import json

    from clearlive.serve.store import DEFAULT_DB, open_store

    store = open_store(db or DEFAULT_DB)
    try:
        rows = store.dead_letters(tenant, resolved=resolved, limit=1_000_000)
    finally:
        store.db.close()
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    err.print(f"{len(rows)} dead letter(s)")


@dead_letters_app.command("resolve")
def dead_letters_resolve(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant's.")] = None,
    through: Annotated[int | None, typer.Option("--through", help="Only up to this seq (as listed).")] = None,
    db: DbOption = None,
) -> None:
    """Mark dead letters dealt with (they stay in the table, with the time they were resolved)."""
    from clearlive.serve.store import DEFAULT_DB, open_store

    store = open_store(db or DEFAULT_DB)
    try:
        n = store.resolve_dead_letters(tenant, through)
    finally:
        store.db.close()
    err.print(f"{n} dead letter(s) resolved")


@audit_app.command("verify")
def audit_verify(db: DbOption = None) -> None:
    """Recompute the audit log's hash chain; exit 1 if any entry was altered, removed or reordered."""
    require_store(db, "clearlive audit with a PostgreSQL store")
    from clearlive.serve.store import DEFAULT_DB, open_store

    store = open_store(db or DEFAULT_DB)
    ok, checked, problem = store.verify_audit()
    store.db.close()
    if ok:
        err.print(f"audit log intact: {checked} entries")
        return
    err.print(f"[red]audit log broken[/]: {problem} ({checked} entries check out before it)")
    raise typer.Exit(1)


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    db: DbOption = None,
    preload: Annotated[
        list[Path] | None,
        typer.Option(
            "--preload",
            help="Event, transcript or recording files to ingest at start (default: the demo's rooms if present).",
        ),
    ] = None,
    redis_url: Annotated[
        str | None, typer.Option("--redis", help="Redis URL: events go through Redis Streams to worker processes.")
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=0,
            help="With --redis: worker processes to start (0: `clearlive spark-stream` reads the lanes).",
        ),
    ] = 2,
    shards: Annotated[int, typer.Option("--shards", min=1, help="With --redis: streams to shard rooms over.")] = 4,
    recordings: Annotated[
        Path | None,
        typer.Option(
            "--recordings",
            help="Folder for live rooms' audio, played at a finding's moment (default: beside the DuckDB file, "
            "or ./clearlive-recordings with PostgreSQL).",
        ),
    ] = None,
) -> None:
    """Run the live service: ingest API, alert stream, dashboard. Embedded by default (needs [serve])."""
    require("serve", "clearlive serve", *SERVE_MODULES)
    require_store(db, "clearlive serve with a PostgreSQL store")
    if redis_url:
        require("redis", "clearlive serve --redis", "redis")
    from clearlive.serve.runtime import Runtime

    if redis_url and not (db or "").startswith(("postgresql://", "postgres://")):
        raise typer.BadParameter("worker processes share the store: use --db postgresql://...", param_hint="--redis")
    with Runtime(
        db,
        redis_url,
        workers,
        shards,
        say=lambda text: err.print(text, markup=False, highlight=False),
        recordings=recordings,
    ) as runtime:
        files = preload if preload is not None else _demo_files(runtime.store)
        if files:
            n = _preload(runtime.store, runtime.pipeline, files)
            err.print(f"ingested {n} events from {len(files)} file(s) into tenant 'default'")
        runtime.serve(host, port)


def worker_command(
    redis_url: Annotated[str, typer.Option("--redis", help="The Redis the service front writes to.")],
    db: Annotated[str, typer.Option("--db", help="The service's PostgreSQL: postgresql://...")],
    shards: Annotated[str, typer.Option("--shards", help="Comma-separated shard numbers this worker owns, e.g. 0,2.")],
    exit_when_idle: Annotated[
        float | None,
        typer.Option(
            "--exit-when-idle",
            min=0.1,
            help="Seconds: stop (after a checkpoint) once the shards have been empty that long; for a "
            "job that drains a backlog (cron, a Kubernetes Job) instead of a long-running worker.",
        ),
    ] = None,
) -> None:
    """Run one detector worker over some Redis stream shards (scale-out beside `clearlive serve --redis`)."""
    require("redis", "clearlive worker", "redis")
    require("postgres", "clearlive worker", *POSTGRES_MODULES)
    from clearlive.serve.redis_transport import worker_main

    try:
        owned = [int(s) for s in shards.split(",") if s.strip()]
    except ValueError as exc:
        raise typer.BadParameter("shard numbers, e.g. 0,2", param_hint="--shards") from exc
    worker_main(redis_url, db, owned, exit_when_idle)


TRANSCRIPTS = (".vtt", ".srt", ".json", *AUDIO_SUFFIXES)  # a recording is its room's transcript too


def _demo_files(store) -> list[Path]:
    """After `make demo`, a newcomer's first `clearlive serve` shows the demo rooms (with the host's
    transcripts, as `clearlive demo` scanned them)."""
    if store.rooms("default") or not DEMO_DATA.is_dir():
        return []
    return sorted(p for p in DEMO_DATA.iterdir() if p.is_file() and p.name.endswith((".jsonl", *TRANSCRIPTS)))


def _preload(store, pipeline, files: list[Path]) -> int:
    """Ingest every format `clearlive scan` reads. A transcript (.vtt, .srt, Whisper .json) names its
    room by its file name, as in `clearlive scan`, and takes its second 0, session and host from
    that room's `session_start` in the event files preloaded with it: event files are read first,
    and everything is ingested in time order."""
    from clearlive.model.events import EventBase, SessionStart
    from clearlive.watch.sources import InputOptions, ReadStats, RejectSink, read_inputs

    for path in files:
        if not path.exists():
            raise ClearLiveError(f"{path}: no such file")
    starts: dict[str, SessionStart] = {}
    everything: list[EventBase] = []
    for path in sorted(files, key=lambda p: p.name.endswith(TRANSCRIPTS)):
        opts = InputOptions()
        if path.name.endswith(TRANSCRIPTS):
            room = path.name.split(".")[0]
            start = starts.get(room)
            if start is None:
                raise ClearLiveError(f"{path}: a transcript needs its room's events ({room}.jsonl, a session_start)")
            opts = InputOptions(
                room_id=room, session_id=start.session_id, anchor_id=start.anchor_id, t0=start.ts, lang=start.lang
            )
        events = list(read_inputs([str(path)], opts, RejectSink(None), ReadStats()))
        for e in events:
            if isinstance(e, SessionStart):
                starts.setdefault(e.room_id, e)
        everything.extend(events)
    # In time order, as a live feed would bring them: a transcript's lines belong inside the room's
    # broadcast, before its session_end, or the room would end before its host had spoken.
    everything.sort(key=lambda e: e.ts)
    foreign = store.claim_rooms("default", {e.room_id for e in everything})
    everything = [e for e in everything if e.room_id not in foreign]
    for i in range(0, len(everything), 5000):
        pipeline.submit("default", everything[i : i + 5000])
    total = len(everything)
    if hasattr(pipeline, "drain"):
        pipeline.drain(120)
    return total
