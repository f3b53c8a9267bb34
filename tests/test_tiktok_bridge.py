"""examples/tiktok_bridge.py: a TikTokLiveClient's callbacks posted to a running service.

No network: the client parses a webcast fetch result built locally with TikTokLiveProto
(tests/data/adapters/build_fixtures.py) and emits its events as it does for a live room.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import msgspec

from clearlive.model.events import Event
from clearlive.watch.sources.adapters import adapt_recording

ROOT = Path(__file__).parent.parent


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def full(event: dict) -> dict:
    """The event with every field, defaults included: one spelling of it, however it was written."""
    return msgspec.structs.asdict(msgspec.convert(event, Event))


def test_bridge_posts_what_the_client_emits() -> None:
    from TikTokLive import TikTokLiveClient
    from TikTokLive.proto import ProtoMessageFetchResult

    from clearlive.serve.store import open_store
    from tests.test_service import Service

    bridge_mod = load(ROOT / "examples" / "tiktok_bridge.py")
    fixtures = load(ROOT / "tests" / "data" / "adapters" / "build_fixtures.py")
    svc = Service(open_store(None))
    try:
        client = TikTokLiveClient(unique_id="@clearlive_fixture")  # never connected
        bridge = bridge_mod.Bridge(svc.client, svc.keys[("ingest", "acme")], "tt-live", batch=7)
        bridge.attach(client)

        async def receive() -> None:  # what the client's websocket loop does with each fetch result
            response = ProtoMessageFetchResult().parse(fixtures.tiktok_wire())
            async for event in client._parse_webcast_response(response):
                client.emit(event.get_type(), event)
            await asyncio.sleep(0)

        asyncio.run(receive())
        bridge.flush()
        assert len(bridge.answers) == 2  # posted as events came: up to the second viewer count, then the rest
        assert sum(a["rejected"] for a in bridge.answers) == 0
        svc.pipeline.drain()
        stored = sorted(svc.store.room_events("acme", "tt-live", 1000), key=lambda e: e["id"])
        recorded = (ROOT / "tests" / "data" / "adapters" / "tiktok_wrapped.jsonl").read_bytes().splitlines()
        expected = [e for _, evs in adapt_recording(recorded, "tt-live", "tiktok") for e in evs or []]
        assert [full(e) for e in stored] == sorted((full(e) for e in expected), key=lambda e: e["id"])
        kinds = sorted(e["type"] for e in stored)
        assert kinds.count("follow") == 1 and kinds.count("session_end") == 1 and kinds.count("gift") == 2
    finally:
        svc.pipeline.close()


def test_bridge_says_when_tiktoklive_is_missing(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    bridge_mod = load(ROOT / "examples" / "tiktok_bridge.py")
    monkeypatch.setitem(sys.modules, "TikTokLive", None)  # as if not installed
    assert bridge_mod.main(["@someone", "--key", "k"]) == 2
    assert "pip install" in capsys.readouterr().err


def test_clearlive_does_not_import_the_client_libraries() -> None:
    import subprocess

    code = (
        "import sys, clearlive.cli.main, clearlive.serve.app, clearlive.watch.sources.adapters;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('TikTokLive', 'TikTokLiveProto', 'betterproto',"
        " 'betterproto2')]; print(bad); sys.exit(bool(bad))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
