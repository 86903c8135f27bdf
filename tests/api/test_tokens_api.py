"""/api/v1/tokens through the real app: the secret shown once and stored only as a hash,
role and scopes never above the creator's, expiry, revocation (then 401), usage per
endpoint recorded on every call, and 404 for tokens of users the caller does not administer."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from api_client import SEED_NOW, Api
from ursa.adapters.memory.directory import InMemoryTokenStore
from ursa.adapters.memory.seed import seed_demo
from ursa.app.container import build_in_memory
from ursa.app.factory import create_app
from ursa.app.settings import Environment, Settings
from ursa.domain.account_rules import MAX_ACTIVE_TOKENS, TOKEN_DEFAULT_DAYS
from ursa.domain.customers import hash_token
from ursa.domain.errors import Unavailable

SAM, ADA, GIL, PAT = (
    "sam@acme.example",
    "ada@acme.example",
    "gil@globex.example",
    "admin@ursa.example",
)
ACME = "acme-genomics-3f9c01ab"


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _create(api: Api, email: str, **body: Any) -> httpx.Response:
    response: httpx.Response = api.client.post(
        "/api/v1/tokens", headers=api.auth(email), json={"name": "ci", "scopes": ["read"], **body}
    )
    return response


def _user_id(api: Api, email: str) -> str:
    return str(asyncio.run(api.container.ports.directory.user_by_email(email)).user_id)


def _actions(api: Api, customer_id: str) -> list[str]:
    records = asyncio.run(api.container.ports.audit.for_tenant(customer_id, limit=1000))
    return [r.action for r in records]


def test_the_secret_is_shown_once_and_stored_only_as_a_hash(api: Api) -> None:
    created = _create(api, SAM, name="ci nightly", scopes=["read", "write"])
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("urs_") and len(secret) > 40
    assert body["scopes"] == ["read", "write"] and body["role"] == "customer_user"
    assert body["state"] == "active" and body["user_id"] == _user_id(api, SAM)
    stored = asyncio.run(api.container.ports.tokens.by_hash(hash_token(secret)))
    assert stored.token_id == body["token_id"] and secret not in repr(stored)
    listed = api.client.get("/api/v1/tokens", headers=api.auth(SAM))
    assert listed.status_code == 200
    assert secret not in listed.text and stored.token_hash not in listed.text
    assert "secret" not in listed.json()[0] and "token_hash" not in listed.json()[0]
    assert body["token_id"] in {t["token_id"] for t in listed.json()}
    me = api.client.get("/api/v1/me", headers=_bearer(secret)).json()
    assert me["token"]["token_id"] == body["token_id"] and me["scopes"] == ["read", "write"]
    assert "token.issue" in _actions(api, ACME)


def test_x_api_key_is_an_alias(api: Api) -> None:
    secret = _create(api, SAM).json()["secret"]
    assert api.client.get("/api/v1/me", headers={"X-API-Key": secret}).status_code == 200


def test_every_token_expires(api: Api) -> None:
    before = datetime.now(UTC)
    default = datetime.fromisoformat(_create(api, SAM).json()["expires_at"])
    assert before + timedelta(days=TOKEN_DEFAULT_DAYS) <= default
    assert default <= datetime.now(UTC) + timedelta(days=TOKEN_DEFAULT_DAYS)
    week = datetime.fromisoformat(_create(api, SAM, expires_in_days=7).json()["expires_at"])
    assert timedelta(days=6, hours=23) < week - before <= timedelta(days=7, minutes=1)
    exact = "2027-01-31T00:00:00Z"
    assert _create(api, SAM, expires_at=exact).json()["expires_at"] == exact


@pytest.mark.parametrize(
    "body",
    [
        {"scopes": []},
        {"scopes": ["delete"]},
        {"scopes": ["read", "read", "read", "read"]},
        {"name": ""},
        {"name": "-dash first"},
        {"name": "x" * 81},
        {"expires_in_days": 0},
        {"expires_in_days": 731},
        {"expires_at": "2020-01-01T00:00:00Z"},
        {"expires_at": "2099-01-01T00:00:00Z"},
        {"expires_at": "2027-01-01T00:00:00"},
        {"expires_at": "2027-01-01T00:00:00Z", "expires_in_days": 3},
        {"role": "emperor"},
        {"secret": "urs_mine"},
    ],
)
def test_bad_token_requests_are_422(api: Api, body: dict[str, Any]) -> None:
    before = asyncio.run(api.container.ports.tokens.for_user(_user_id(api, SAM)))
    response = _create(api, SAM, **body)
    assert response.status_code == 422, response.text
    assert asyncio.run(api.container.ports.tokens.for_user(_user_id(api, SAM))) == before


def test_a_token_never_exceeds_its_creator(api: Api) -> None:
    too_high = _create(api, SAM, role="customer_admin")
    assert too_high.status_code == 403 and too_high.json()["code"] == "ROLE_TOO_HIGH"
    assert _create(api, PAT, role="provider_admin").status_code == 201
    narrow = _create(api, ADA, scopes=["read", "admin"], role="customer_user").json()["secret"]
    wider = api.client.post(
        "/api/v1/tokens", headers=_bearer(narrow), json={"name": "w", "scopes": ["write"]}
    )
    assert wider.status_code == 403 and wider.json()["code"] == "SCOPE_NOT_HELD"
    higher = api.client.post(
        "/api/v1/tokens",
        headers=_bearer(narrow),
        json={"name": "h", "scopes": ["read"], "role": "customer_admin"},
    )
    assert higher.status_code == 403 and higher.json()["code"] == "ROLE_TOO_HIGH"
    read_write = _create(api, SAM, scopes=["read", "write"]).json()["secret"]
    minted = api.client.post(
        "/api/v1/tokens", headers=_bearer(read_write), json={"name": "m", "scopes": ["read"]}
    )
    assert minted.status_code == 403 and minted.json()["code"] == "SCOPE_MISSING"


def test_active_tokens_per_user_are_limited(api: Api) -> None:
    for _ in range(MAX_ACTIVE_TOKENS - 1):  # Sam holds the seeded dev token already
        assert _create(api, SAM).status_code == 201
    refused = _create(api, SAM)
    assert refused.status_code == 409 and refused.json()["code"] == "TOKEN_LIMIT"


def test_a_revoked_token_is_refused(api: Api) -> None:
    created = _create(api, SAM).json()
    secret, token_id = created["secret"], created["token_id"]
    assert api.client.get("/api/v1/me", headers=_bearer(secret)).status_code == 200
    revoked = api.client.delete(f"/api/v1/tokens/{token_id}", headers=api.auth(SAM))
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["state"] == "revoked" and revoked.json()["revoked_at"]
    refused = api.client.get("/api/v1/me", headers=_bearer(secret))
    assert refused.status_code == 401 and refused.headers["www-authenticate"]
    again = api.client.delete(f"/api/v1/tokens/{token_id}", headers=api.auth(SAM))
    assert again.status_code == 200 and again.json()["revoked_at"] == revoked.json()["revoked_at"]
    assert _actions(api, ACME).count("token.revoke") == 1


def test_a_token_can_revoke_itself(api: Api) -> None:
    created = _create(api, SAM, scopes=["read", "write"]).json()
    own = _bearer(created["secret"])
    assert (
        api.client.delete(f"/api/v1/tokens/{created['token_id']}", headers=own).status_code == 200
    )
    assert api.client.get("/api/v1/me", headers=own).status_code == 401


def test_other_users_tokens_are_hidden_unless_you_administer_them(api: Api) -> None:
    token_id = _create(api, SAM).json()["token_id"]
    sam = _user_id(api, SAM)
    for email in (GIL,):
        for method, path in (
            ("DELETE", f"/api/v1/tokens/{token_id}"),
            ("GET", f"/api/v1/tokens/{token_id}/usage"),
        ):
            hidden = api.client.request(method, path, headers=api.auth(email))
            missing = api.client.request(
                method, path.replace(token_id, "tok-00000000"), headers=api.auth(email)
            )
            assert hidden.status_code == missing.status_code == 404
            for body in (hidden, missing):
                assert body.json()["detail"] == "token not found"
    assert api.client.get(f"/api/v1/tokens?user_id={sam}", headers=api.auth(GIL)).status_code == 404
    ada = _user_id(api, ADA)
    assert api.client.get(f"/api/v1/tokens?user_id={ada}", headers=api.auth(SAM)).status_code == 404
    pat = _user_id(api, PAT)
    assert api.client.get(f"/api/v1/tokens?user_id={pat}", headers=api.auth(ADA)).status_code == 404
    for admin in (ADA, PAT):
        listed = api.client.get(f"/api/v1/tokens?user_id={sam}", headers=api.auth(admin))
        assert listed.status_code == 200
        assert token_id in {t["token_id"] for t in listed.json()}
        assert {t["user_id"] for t in listed.json()} == {sam}
    by_admin = api.client.delete(f"/api/v1/tokens/{token_id}", headers=api.auth(ADA))
    assert by_admin.status_code == 200 and by_admin.json()["state"] == "revoked"


def test_usage_counts_each_endpoint_by_its_route_template(api: Api) -> None:
    created = _create(api, SAM).json()
    secret, token_id = created["secret"], created["token_id"]
    workset_id = api.client.get("/api/v1/worksets", headers=api.auth(SAM)).json()["items"][0][
        "workset_id"
    ]
    for _ in range(3):
        assert api.client.get("/api/v1/me", headers=_bearer(secret)).status_code == 200
    assert (
        api.client.get(f"/api/v1/worksets/{workset_id}", headers=_bearer(secret)).status_code == 200
    )
    assert (
        api.client.get("/api/v1/worksets/nope-0badc0de", headers=_bearer(secret)).status_code == 404
    )
    usage = api.client.get(f"/api/v1/tokens/{token_id}/usage", headers=api.auth(SAM))
    assert usage.status_code == 200, usage.text
    body = usage.json()
    assert body["total"] == 5 and body["last_used_at"]
    counts = {e["endpoint"]: e["count"] for e in body["endpoints"]}
    assert counts == {"GET /api/v1/me": 3, "GET /api/v1/worksets/{workset_id}": 2}
    assert body["endpoints"][0]["endpoint"] == "GET /api/v1/me"  # most used first
    listed = api.client.get("/api/v1/tokens", headers=api.auth(SAM)).json()
    (row,) = [t for t in listed if t["token_id"] == token_id]
    assert row["last_used_at"] == body["last_used_at"]
    refused = api.client.get("/api/v1/me", headers={"Authorization": "Bearer urs_unknown"})
    assert refused.status_code == 401
    assert (
        api.client.get(f"/api/v1/tokens/{token_id}/usage", headers=api.auth(SAM)).json()["total"]
        == 5
    )


class _BrokenUses(InMemoryTokenStore):
    """A token store whose use counter hangs or fails (the store being slow or down)."""

    def __init__(self, *, hang: bool) -> None:
        super().__init__()
        self.hang = hang

    async def record_use(self, token_id: str, endpoint: str, at: datetime) -> None:
        if self.hang:
            await asyncio.sleep(30)
        raise Unavailable("record token use: the service did not answer")


@pytest.fixture(params=[True, False], ids=["hangs", "fails"])
def broken_uses(request: pytest.FixtureRequest) -> Iterator[Api]:
    container = build_in_memory(Settings(env=Environment.TEST))
    store = _BrokenUses(hang=request.param)
    container = replace(container, ports=replace(container.ports, tokens=store))
    assert container.objects is not None
    tokens = asyncio.run(seed_demo(container.ports, container.objects, SEED_NOW))
    with TestClient(create_app(container)) as client:
        yield Api(client=client, container=container, tokens=tokens)


def test_a_failing_usage_store_never_fails_the_call(
    broken_uses: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ursa.tokens")
    started = time.monotonic()
    response = broken_uses.client.get("/api/v1/me", headers=broken_uses.auth(SAM))
    assert response.status_code == 200, response.text
    assert time.monotonic() - started < 5
    assert "token use not recorded" in caplog.text
    assert broken_uses.tokens[SAM] not in caplog.text
