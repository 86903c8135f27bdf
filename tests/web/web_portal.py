"""The web tier's driver: the real app on the seeded in-memory product, signed in by email."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from litestar.testing import TestClient

from ursa.adapters.memory.seed import seed_demo
from ursa.app.container import Container, build_in_memory
from ursa.app.factory import create_app
from ursa.app.settings import Environment, Settings
from ursa.domain.ports import WorksetQuery
from ursa.domain.worksets import Workset

HTMX = {"HX-Request": "true"}
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}
CSRF_COOKIE = "csrftoken"


def seeded_container(*, dev_sign_in: bool = True) -> Container:
    container = build_in_memory(Settings(env=Environment.TEST, dev_sign_in=dev_sign_in))
    assert container.objects is not None
    asyncio.run(seed_demo(container.ports, container.objects, datetime.now(UTC)))
    return container


def make_client(container: Container) -> TestClient[Any]:
    """Redirects are not followed, so tests see each 303 and its Location."""
    client: TestClient[Any] = TestClient(create_app(container))
    client.follow_redirects = False
    return client


@dataclass
class Portal:
    client: TestClient[Any]
    container: Container
    worksets: dict[str, Workset] = field(default_factory=dict)

    def csrf(self) -> str:
        """The CSRF token: the cookie set by the first safe request."""
        token = self.client.cookies.get(CSRF_COOKIE)
        if token is None:
            self.client.get("/sign-in")
            token = self.client.cookies.get(CSRF_COOKIE)
        assert token
        return token

    def user_id(self, email: str) -> str:
        return asyncio.run(self.container.ports.directory.user_by_email(email)).user_id

    def sign_in(self, email: str) -> httpx.Response:
        data = {"user_id": self.user_id(email), "_csrf_token": self.csrf()}
        return self.client.post("/sign-in", data=data)

    def workset(self, name: str) -> Workset:
        """A seeded workset by name, as it is stored now."""
        ws = self.worksets[name]
        return asyncio.run(self.container.ports.worksets.get(ws.workset_id))

    def id_of(self, name: str) -> str:
        return self.worksets[name].workset_id

    def cancel(
        self, name: str, *, headers: dict[str, str] | None = None, reason: str = ""
    ) -> httpx.Response:
        data = {"_csrf_token": self.csrf(), "reason": reason}
        return self.client.post(
            f"/worksets/{self.id_of(name)}/cancel", data=data, headers=headers or {}
        )


def all_worksets(container: Container) -> dict[str, Workset]:
    page = asyncio.run(
        container.ports.worksets.list(WorksetQuery(include_archived=True, limit=100))
    )
    return {ws.name: ws for ws in page.items}


def row_names(html: str) -> list[str]:
    return re.findall(r'<a class="ws-name" href="[^"]+">([^<]+)</a>', html)


def links(html: str) -> set[str]:
    """Every URL the page can request: href, action, hx-get and hx-post."""
    found = re.findall(r'\s(?:href|action|hx-get|hx-post|src)="([^"]*)"', html)
    return {url.replace("&amp;", "&") for url in found if url.startswith("/")}
