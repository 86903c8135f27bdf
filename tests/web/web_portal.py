"""The web tier's driver: the real app on the seeded in-memory product, signed in by email."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from litestar.testing import TestClient

from ursa.adapters.memory.seed import seed_demo
from ursa.app.container import Container, build_in_memory
from ursa.app.factory import create_app
from ursa.app.settings import Environment, Settings
from ursa.domain.command_log import CommandLogEntry
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

    def log_commands(self, entries: Sequence[CommandLogEntry]) -> None:
        """Put entries into the container's command log, as the engine's journal would."""
        asyncio.run(self.container.command_log.append(entries))


COMMAND_START = datetime(2026, 11, 23, 14, 5, 9, tzinfo=UTC)


def command_entry(
    workset_id: str,
    counter: int,
    *,
    label: str = "poll_status",
    rendered: str = "bash -lc 'cat status.json'",
    step: str = "pipeline_running",
    exit_code: int = 0,
    stdout: str = "",
    stderr: str = "",
    seconds: float = 0.25,
    token: int = 1,
) -> CommandLogEntry:
    started = COMMAND_START + timedelta(seconds=counter)
    return CommandLogEntry(
        workset_id=workset_id,
        seq=f"{token:08d}.{started:%Y%m%dT%H%M%S%f}.{counter:04d}",
        run_id=f"{workset_id}-r1",
        step=step,
        label=label,
        transport="ssh",
        argv=("bash", "-lc", rendered),
        rendered=rendered,
        cwd="/fsx/analysis_results/ubuntu",
        env_names=("AWS_PROFILE",),
        started_at=started,
        ended_at=started + timedelta(seconds=seconds),
        exit_code=exit_code,
        stdout_tail=stdout,
        stderr_tail=stderr,
        lease_token=token,
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
