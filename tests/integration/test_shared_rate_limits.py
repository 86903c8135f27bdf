"""Two ``ursa dev`` processes share one rate-limit budget through the tier's real Redis."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import redis

from integration.conftest import IntegrationEnv

pytestmark = pytest.mark.integration
DB = 5  # a database of its own, flushed before the test
BUDGET = 5
EMAIL = "ada@acme.example"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {token}"} if token else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@contextmanager
def _dev(tmp: Path, storage: str) -> Iterator[tuple[str, str]]:
    """One ``ursa dev`` with the engine off; yields its base URL and Ada's token."""
    port, tokens = _free_port(), tmp / f"tokens-{time.monotonic_ns()}.json"
    env = {
        **os.environ,
        "URSA_ENGINE": "false",
        "URSA_LOG_LEVEL": "WARNING",
        "URSA_RATE_LIMIT_STORAGE": storage,
        "URSA_RATE_LIMIT_READ": f"{BUDGET}/minute",
    }
    command = [sys.executable, "-m", "ursa.app.cli", "dev", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--tokens-file", str(tokens)], env=env, stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not tokens.exists():
            assert process.poll() is None, "ursa dev exited early"
            time.sleep(0.2)
        while time.monotonic() < deadline:
            try:
                if _get(f"{base}/healthz") == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield base, json.loads(tokens.read_text())[EMAIL]
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_two_app_processes_share_one_budget(
    integration_env: IntegrationEnv, tmp_path: Path
) -> None:
    url = integration_env.redis_url.rsplit("/", 1)[0] + f"/{DB}"
    redis.Redis.from_url(url).flushdb()
    storage = url if url.startswith("async+") else f"async+{url}"
    with ExitStack() as stack:
        a = stack.enter_context(_dev(tmp_path, storage))
        b = stack.enter_context(_dev(tmp_path, storage))
        assert a[1] != b[1], "each process seeds its own token for the same user"
        statuses = [
            _get(f"{base}/api/v1/worksets", token) for _ in range(4) for base, token in (a, b)
        ]
    assert statuses.count(200) == BUDGET, statuses
    assert statuses.count(429) == 8 - BUDGET
    assert statuses[:BUDGET] == [200] * BUDGET  # the budget is spent across both, in order
