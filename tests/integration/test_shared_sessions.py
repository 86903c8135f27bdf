"""Two ``ursa dev`` processes share portal sessions through the tier's real Redis
(``URSA_SESSION_STORE=redis``): signed in on one, signed in on the other; signed out on the
other, signed out on the first. Visitors who never sign in leave nothing in Redis."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
import redis

from dev_process import running_dev
from integration.conftest import IntegrationEnv
from ursa.app.sessions import REDIS_NAMESPACE, SESSION_COOKIE

pytestmark = pytest.mark.integration
DB = 6  # a database of its own (the rate-limit test uses 5), flushed before the test
EMAIL = "sam@acme.example"
CSRF = "csrftoken"
_USER_ID = re.compile(r'name="user_id" value="([^"]+)"')


@contextmanager
def _dev(tmp: Path, redis_url: str) -> Iterator[str]:
    """One ``ursa dev`` with the engine off and sessions in Redis; yields its base URL."""
    env = {"URSA_ENGINE": "false", "URSA_SESSION_STORE": "redis", "URSA_REDIS_URL": redis_url}
    with running_dev(tmp, env=env) as (base, _tokens):
        yield base


def _user_id(sign_in_page: str, email: str) -> str:
    (form,) = [f for f in sign_in_page.split("<form") if email in f]
    found = _USER_ID.search(form)
    assert found, form
    return found.group(1)


def _worksets_as(base: str, cookies: dict[str, str]) -> httpx.Response:
    with httpx.Client(base_url=base, cookies=cookies, timeout=10) as browser:
        return browser.get("/worksets")


def _keys(client: redis.Redis) -> list[bytes]:
    return list(client.scan_iter(match=f"{REDIS_NAMESPACE}:*"))


def test_a_session_from_one_process_is_honoured_by_another(
    integration_env: IntegrationEnv, tmp_path: Path
) -> None:
    url = integration_env.redis_url.rsplit("/", 1)[0] + f"/{DB}"
    store = redis.Redis.from_url(url, socket_timeout=5)
    store.flushdb()
    with ExitStack() as stack:
        a = stack.enter_context(_dev(tmp_path, url))
        b = stack.enter_context(_dev(tmp_path, url))
        assert a != b

        with httpx.Client(base_url=a, timeout=10) as browser:
            page = browser.get("/sign-in")
            assert page.status_code == 200
            assert _keys(store) == []  # an anonymous visit stores no session
            signed_in = browser.post(
                "/sign-in",
                data={"user_id": _user_id(page.text, EMAIL), "_csrf_token": browser.cookies[CSRF]},
            )
            assert signed_in.status_code == 303, signed_in.text
            cookies = {SESSION_COOKIE: browser.cookies[SESSION_COOKIE], CSRF: browser.cookies[CSRF]}
        assert len(_keys(store)) == 1

        on_b = _worksets_as(b, cookies)
        assert on_b.status_code == 200, on_b.text[:300]
        assert "Sam Scientist" in on_b.text
        assert _worksets_as(b, {CSRF: cookies[CSRF]}).status_code == 303  # no session, no entry

        with httpx.Client(base_url=b, cookies=cookies, timeout=10) as browser:
            signed_out = browser.post("/sign-out", data={"_csrf_token": cookies[CSRF]})
            assert signed_out.status_code == 303, signed_out.text
        back_on_a = _worksets_as(a, cookies)
        assert (back_on_a.status_code, back_on_a.headers.get("location")) == (303, "/sign-in")
        assert _keys(store) == []
