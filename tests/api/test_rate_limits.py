"""Rate limits on the API: budgets per category and principal, RateLimit-* headers on every
response, 429 problem+json with Retry-After, failed authentications limited per address."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from api_client import SEED_NOW, Api
from ursa.adapters.memory.seed import seed_demo
from ursa.adapters.throttle import LimitsThrottle
from ursa.app.container import build_in_memory
from ursa.app.factory import create_app
from ursa.app.rate_limits import ADMIN, READ, WRITE, category_of
from ursa.app.settings import Environment, Settings

ADA, SAM = "ada@acme.example", "sam@acme.example"


@pytest.fixture
def limited() -> Iterator[Api]:
    settings = Settings(
        env=Environment.TEST,
        rate_limit_read="3/minute",
        rate_limit_write="2/minute",
        rate_limit_auth="2/minute",
    )
    container = build_in_memory(settings)
    assert container.objects is not None
    tokens = asyncio.run(seed_demo(container.ports, container.objects, SEED_NOW))
    with TestClient(create_app(container)) as client:
        yield Api(client=client, container=container, tokens=tokens)


def test_reads_spend_the_principals_budget_then_get_429(limited: Api) -> None:
    remaining = []
    for _ in range(3):
        response = limited.client.get("/api/v1/worksets", headers=limited.auth(ADA))
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == "3"
        remaining.append(response.headers["RateLimit-Remaining"])
    assert remaining == ["2", "1", "0"]
    refused = limited.client.get("/api/v1/worksets", headers=limited.auth(ADA))
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "RATE_LIMITED"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"
    # another principal has a budget of its own
    assert limited.client.get("/api/v1/worksets", headers=limited.auth(SAM)).status_code == 200


def test_writes_have_their_own_budget(limited: Api) -> None:
    for _ in range(3):
        limited.client.get("/api/v1/worksets", headers=limited.auth(ADA))
    cancel = "/api/v1/worksets/does-not-exist-00000000/cancel"
    statuses = [
        limited.client.post(cancel, headers=limited.auth(ADA)).status_code for _ in range(3)
    ]
    assert statuses == [404, 404, 429]


def test_failed_authentication_is_limited_per_address(limited: Api) -> None:
    bad = {"Authorization": "Bearer urs_not-a-real-token"}
    statuses = [limited.client.get("/api/v1/worksets", headers=bad).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    assert limited.client.get("/api/v1/worksets", headers={}).status_code == 429


@pytest.mark.parametrize(
    ("method", "path", "category"),
    [
        ("GET", "/api/v1/worksets", READ),
        ("HEAD", "/api/v1/worksets/x", READ),
        ("POST", "/api/v1/worksets", WRITE),
        ("DELETE", "/api/v1/worksets/x", WRITE),
        ("GET", "/api/v1/engine/leases", ADMIN),
        ("POST", "/api/v1/clusters/us-west-2/c/snapshot", ADMIN),
        ("GET", "/api/v1/worksets/x/commands", ADMIN),
    ],
)
def test_categories(method: str, path: str, category: str) -> None:
    assert category_of(method, path) == category


@pytest.mark.anyio
async def test_an_unreachable_store_lets_requests_through() -> None:
    throttle = LimitsThrottle("async+redis://127.0.0.1:9/0", {READ: "1/minute"}, timeout_s=0.5)
    results = [await throttle.hit(READ, "someone") for _ in range(3)]
    assert all(r.allowed for r in results)
    assert not await throttle.reachable()  # readiness reports it
    assert await LimitsThrottle("async+memory://", {READ: "1/minute"}).reachable()
