"""The portal's session cookie: HttpOnly and SameSite=Lax always, Secure in production; only
the portal keeps sessions (the API, health and static files never set one); a session store
that does not answer is a 503 page, not a crash, and the API does not depend on it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient
from web_portal import CSRF_COOKIE, seeded_container

from ursa.adapters.memory.seed import seed_demo
from ursa.app.container import build_in_memory
from ursa.app.factory import create_app
from ursa.app.settings import Environment, Settings

SESSION = "session"
SAM = "sam@acme.example"


def _set_cookie(response: Any, name: str) -> list[str]:
    """The attributes of the ``Set-Cookie`` header for ``name``, lower-cased, name first."""
    (header,) = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    return [part.strip().lower() for part in header.split(";")]


def _sign_in(client: TestClient[Any], user_id: str) -> Any:
    client.get("/sign-in")
    token = client.cookies.get(CSRF_COOKIE)
    assert token
    response = client.post("/sign-in", data={"user_id": user_id, "_csrf_token": token})
    assert response.status_code == 303, response.text
    return response


def _user_id(settings_container: Any, email: str) -> str:
    user = asyncio.run(settings_container.ports.directory.user_by_email(email))
    return str(user.user_id)


@pytest.fixture
def dev_client() -> Iterator[tuple[TestClient[Any], str]]:
    container = seeded_container()
    with TestClient(create_app(container)) as client:
        client.follow_redirects = False
        yield client, _user_id(container, SAM)


def test_the_session_cookie_is_http_only_and_same_site_lax(
    dev_client: tuple[TestClient[Any], str],
) -> None:
    client, sam = dev_client
    attributes = _set_cookie(_sign_in(client, sam), SESSION)
    assert "httponly" in attributes and "samesite=lax" in attributes and "path=/" in attributes
    assert "secure" not in attributes  # plain http in development


def test_production_cookies_are_secure_as_well() -> None:
    """Production settings as ``Settings.check`` would refuse them only for the dev sign-in,
    which is how this test gets a session without an identity provider."""
    settings = Settings(
        env=Environment.PRODUCTION, session_secret="p" * 40, dev_sign_in=True, store="memory"
    )
    container = build_in_memory(settings)
    assert container.objects is not None
    asyncio.run(seed_demo(container.ports, container.objects, datetime.now(UTC)))
    app = create_app(container)
    with TestClient(app, base_url="https://testserver.local") as client:
        client.follow_redirects = False
        first = client.get("/sign-in")
        assert "secure" in _set_cookie(first, CSRF_COOKIE)
        attributes = _set_cookie(_sign_in(client, _user_id(container, SAM)), SESSION)
        assert {"secure", "httponly", "samesite=lax"} <= set(attributes)
        assert client.get("/worksets").status_code == 200


def test_only_the_portal_keeps_sessions(dev_client: tuple[TestClient[Any], str]) -> None:
    client, sam = dev_client
    anonymous = client.get("/sign-in")
    assert anonymous.status_code == 200
    assert not [h for h in anonymous.headers.get_list("set-cookie") if h.startswith(SESSION)]
    _sign_in(client, sam)
    assert client.cookies.get(SESSION)
    for path in ("/healthz", "/api/v1/worksets", "/static/css/app.css"):
        response = client.get(path)
        assert not [h for h in response.headers.get_list("set-cookie") if "session=" in h], path


def test_an_unreachable_session_store_is_a_503_page_and_spares_the_api() -> None:
    settings = Settings(
        env=Environment.TEST, session_store="redis", redis_url="redis://127.0.0.1:1/0"
    )
    container = build_in_memory(settings)
    assert container.objects is not None
    tokens = asyncio.run(seed_demo(container.ports, container.objects, datetime.now(UTC)))
    with TestClient(create_app(container)) as client:
        client.follow_redirects = False
        client.cookies.set(SESSION, "b" * 64)  # a signed-in browser: its session is read
        page = client.get("/worksets")
        assert page.status_code == 503, page.text[:300]
        assert "Traceback" not in page.text
        api = client.get("/api/v1/worksets", headers={"Authorization": f"Bearer {tokens[SAM]}"})
        assert api.status_code == 200
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"] == {
            "directory": "ok",
            "rate_limits": "ok",
            "sessions": "UNAVAILABLE",
        }
