"""The OpenAPI spec exercised with schemathesis: requests generated from the schema (valid and
invalid) never make the service fail with a server error, with a valid key of each role."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis")

from clearlive.serve.app import create_app  # noqa: E402
from clearlive.serve.embedded import EmbeddedPipeline  # noqa: E402
from clearlive.serve.store import open_store  # noqa: E402

STORE = open_store(None)
PIPELINE = EmbeddedPipeline(STORE)
STOPPING = threading.Event()
STOPPING.set()  # as a server that is stopping: an alert stream sends what is stored and ends
APP = create_app(STORE, PIPELINE, {"stopping": STOPPING})
KEYS = {role: STORE.create_key(role, "acme") for role in ("ingest", "reviewer", "admin")}
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.parametrize("role", ["ingest", "admin"])
def test_no_request_makes_a_server_error(case, role: str) -> None:  # type: ignore[no-untyped-def]
    from schemathesis.checks import not_a_server_error

    case.call_and_validate(headers={"Authorization": f"Bearer {KEYS[role]}"}, checks=[not_a_server_error])
