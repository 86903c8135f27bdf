"""The integration tier: a real OpenSSH sshd, single-node Slurm and Redis on loopback, brought
up by ``scripts/integration_up.sh``, which writes ``.integration/env``. Without that file the
tier skips locally and fails in CI (``CI=true``): a missing service must never pass silently."""

from __future__ import annotations

import os
import shlex
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from aws_support import moto_endpoint
from ursa.adapters.ssh import AsyncsshShell
from ursa.adapters.ssh.shell import DEFAULT_MAX_SESSIONS
from ursa.domain.ports.cluster import RemoteCommand
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.shell import script

REPO = Path(__file__).resolve().parents[2]
ENV_FILE = REPO / ".integration" / "env"
_FAILED = pytest.StashKey[bool]()


@dataclass(frozen=True, slots=True, kw_only=True)
class IntegrationEnv:
    ssh_host: str
    ssh_port: int
    ssh_user: str
    ssh_key: Path
    known_hosts: Path
    redis_url: str


def _parse_env(text: str) -> dict[str, str]:
    """``export NAME=value`` lines as the up script writes them (shell-quoted values)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            values[name] = value
    return values


@pytest.fixture(scope="session")
def integration_env() -> IntegrationEnv:
    if not ENV_FILE.is_file():
        reason = (
            f"{ENV_FILE.relative_to(REPO)} is missing: the integration services are not up "
            "(run `make tier-integration`, or `bash scripts/integration_up.sh` as root)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    env = _parse_env(ENV_FILE.read_text())
    return IntegrationEnv(
        ssh_host=env["URSA_IT_SSH_HOST"],
        ssh_port=int(env["URSA_IT_SSH_PORT"]),
        ssh_user=env["URSA_IT_SSH_USER"],
        ssh_key=Path(env["URSA_IT_SSH_KEY"]),
        known_hosts=Path(env["URSA_IT_SSH_KNOWN_HOSTS"]),
        redis_url=env["URSA_IT_REDIS_URL"],
    )


@pytest.fixture
def redis_url(integration_env: IntegrationEnv) -> str:
    return integration_env.redis_url


@pytest.fixture
def head_node(integration_env: IntegrationEnv) -> HeadNodeRef:
    env = integration_env
    return HeadNodeRef(host=env.ssh_host, port=env.ssh_port, user=env.ssh_user)


class ShellFactory(Protocol):
    def __call__(self, *, max_sessions: int = ...) -> AsyncsshShell: ...


@pytest.fixture
def make_shell(integration_env: IntegrationEnv) -> ShellFactory:
    """An AsyncsshShell for the tier's sshd; the caller closes it."""

    def make(*, max_sessions: int = DEFAULT_MAX_SESSIONS) -> AsyncsshShell:
        return AsyncsshShell(
            client_keys=integration_env.ssh_key,
            known_hosts=integration_env.known_hosts.read_text(),
            connect_timeout_s=10,
            max_sessions=max_sessions,
        )

    return make


@pytest.fixture
async def shell(make_shell: ShellFactory) -> AsyncIterator[AsyncsshShell]:
    async with make_shell() as opened:
        yield opened


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_FAILED] = True
    return report


@pytest.fixture
async def remote_dir(
    request: pytest.FixtureRequest, shell: AsyncsshShell, head_node: HeadNodeRef
) -> AsyncIterator[str]:
    """A fresh directory in the login user's home; removed afterwards unless the test failed."""
    made = await shell.run(
        head_node,
        RemoteCommand(label="mktemp", script='mktemp -d "$HOME/ursa-it.XXXXXX"'),
        timeout_s=10,
    )
    assert made.exit_code == 0, made.stderr
    path = made.stdout.strip()
    yield path
    if not request.node.stash.get(_FAILED, False):
        removed = await shell.run(
            head_node,
            RemoteCommand(label="cleanup", script=script(["rm", "-rf", "--", path])),
            timeout_s=30,
        )
        assert removed.exit_code == 0, removed.stderr


__all__ = ["moto_endpoint"]
