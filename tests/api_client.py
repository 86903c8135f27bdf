"""The API tier's client: the real app on the seeded in-memory product, one token per user
(a freshly seeded product for every test, served by a reused app: see ``app_pool``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from litestar.testing import TestClient

from app_pool import serving
from ursa.adapters.memory.seed import seed_demo
from ursa.app.container import Container, build_in_memory
from ursa.app.settings import Environment, Settings

SEED_NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


@dataclass
class Api:
    client: TestClient  # type: ignore[type-arg]
    container: Container
    tokens: dict[str, str]

    def auth(self, email: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[email]}"}


@pytest.fixture
def api() -> Iterator[Api]:
    container = build_in_memory(Settings(env=Environment.TEST))
    assert container.objects is not None
    tokens = asyncio.run(seed_demo(container.ports, container.objects, SEED_NOW))
    with serving(container) as app, TestClient(app) as client:
        yield Api(client=client, container=container, tokens=tokens)
