"""Two ``ursa dev`` processes share one rate-limit budget through the tier's real Redis."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import redis

from dev_process import http_get, running_dev
from integration.conftest import IntegrationEnv

pytestmark = pytest.mark.integration
DB = 5  # a database of its own, flushed before the test
BUDGET = 5
EMAIL = "ada@acme.example"


@contextmanager
def _dev(tmp: Path, storage: str) -> Iterator[tuple[str, str]]:
    """One ``ursa dev`` with the engine off; yields its base URL and Ada's token."""
    env = {
        "URSA_ENGINE": "false",
        "URSA_RATE_LIMIT_STORAGE": storage,
        "URSA_RATE_LIMIT_READ": f"{BUDGET}/minute",
    }
    with running_dev(tmp, env=env) as (base, tokens):
        yield base, json.loads(tokens.read_text())[EMAIL]


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
            http_get(f"{base}/api/v1/worksets", token)[0]
            for _ in range(4)
            for base, token in (a, b)
        ]
    assert statuses.count(200) == BUDGET, statuses
    assert statuses.count(429) == 8 - BUDGET
    assert statuses[:BUDGET] == [200] * BUDGET  # the budget is spent across both, in order
