"""CORS: off by default; with ``URSA_CORS_ORIGINS`` the listed origins may call the API from a
browser with its headers and read the rate-limit, request-id and ETag headers, never with
cookies; other origins get no CORS headers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from api_client import Api
from ursa.adapters.memory.seed import seed_demo
from ursa.app.container import build_in_memory
from ursa.app.factory import create_app
from ursa.app.settings import Environment, Settings

LAB = "https://lab.acme.example"
EVIL = "https://evil.example"
ADA = "ada@acme.example"
SENT = ("authorization", "x-api-key", "idempotency-key", "if-match", "x-request-id")
EXPOSED = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after")


@pytest.fixture
def cors_api() -> Iterator[Api]:
    container = build_in_memory(Settings(env=Environment.TEST, cors_origins=(LAB,)))
    assert container.objects is not None
    tokens = asyncio.run(seed_demo(container.ports, container.objects, datetime.now(UTC)))
    with TestClient(create_app(container)) as client:
        yield Api(client=client, container=container, tokens=tokens)


def _preflight(api: Api, origin: str, method: str = "POST") -> Any:
    return api.client.options(
        "/api/v1/worksets",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": ", ".join(SENT),
        },
    )


def _listed(value: str | None) -> set[str]:
    return {v.strip().lower() for v in (value or "").split(",") if v.strip()}


def test_an_allowed_origin_may_send_the_api_headers(cors_api: Api) -> None:
    response = _preflight(cors_api, LAB)
    assert response.status_code in (200, 204), response.text
    assert response.headers["access-control-allow-origin"] == LAB
    assert set(SENT) <= _listed(response.headers.get("access-control-allow-headers"))
    methods = _listed(response.headers.get("access-control-allow-methods"))
    assert {"get", "post", "patch", "delete"} <= methods
    assert "access-control-allow-credentials" not in response.headers
    assert "origin" in _listed(response.headers.get("vary"))


def test_an_allowed_origin_reads_the_api_response_headers(cors_api: Api) -> None:
    headers = {**cors_api.auth(ADA), "Origin": LAB}
    response = cors_api.client.get("/api/v1/worksets", headers=headers)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == LAB
    exposed = _listed(response.headers.get("access-control-expose-headers"))
    assert {*EXPOSED, "x-request-id", "etag"} <= exposed
    assert "access-control-allow-credentials" not in response.headers
    refused = cors_api.client.get("/api/v1/worksets", headers={"Origin": LAB})
    assert refused.status_code == 401  # a browser script can read why, too
    assert refused.headers["access-control-allow-origin"] == LAB


def test_other_origins_get_no_cors_headers(cors_api: Api) -> None:
    preflight = _preflight(cors_api, EVIL)
    assert "access-control-allow-origin" not in preflight.headers
    response = cors_api.client.get(
        "/api/v1/worksets", headers={**cors_api.auth(ADA), "Origin": EVIL}
    )
    assert "access-control-allow-origin" not in response.headers


def test_without_origins_there_is_no_cors(api: Api) -> None:
    for origin in (LAB, EVIL):
        preflight = _preflight(api, origin)
        assert not [h for h in preflight.headers if h.lower().startswith("access-control-")]
        response = api.client.get("/api/v1/worksets", headers={**api.auth(ADA), "Origin": origin})
        assert response.status_code == 200
        assert not [h for h in response.headers if h.lower().startswith("access-control-")]
