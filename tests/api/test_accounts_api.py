"""/api/v1/me, /customers and /users through the real app: roles, tenancy (404 across
tenants), quotas that only the provider sets, If-Match, user administration through the
identity provider, audit records, and no password anywhere it should not be."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from api_client import SEED_NOW, Api
from ursa.adapters.cognito.admin import CognitoIdentityAdmin
from ursa.adapters.memory.identity import InMemoryIdentity
from ursa.adapters.memory.seed import seed_demo
from ursa.app.container import build_in_memory
from ursa.app.container_aws import build_aws
from ursa.app.factory import create_app
from ursa.app.settings import Environment, Settings
from ursa.domain.ports.identity import NewPasswordRequired, Tokens
from ursa.domain.records import AuditRecord

SAM, ADA, GIL, UMA, PAT = (
    "sam@acme.example",
    "ada@acme.example",
    "gil@globex.example",
    "uma@globex.example",
    "admin@ursa.example",
)
ACME, GLOBEX = "acme-genomics-3f9c01ab", "globex-bio-7d20e4c1"
PROBLEM = "application/problem+json"
SECRET_PASSWORD = "Sw0rdfish-Matrix!"


def _user_id(api: Api, email: str) -> str:
    return str(asyncio.run(api.container.ports.directory.user_by_email(email)).user_id)


def _identity(api: Api) -> InMemoryIdentity:
    identity = api.container.ports.identity_admin
    assert isinstance(identity, InMemoryIdentity)
    return identity


def _audit(api: Api, customer_id: str) -> list[AuditRecord]:
    return list(asyncio.run(api.container.ports.audit.for_tenant(customer_id, limit=1000)))


def _same_problem(a: httpx.Response, b: httpx.Response) -> None:
    """Two refusals that must be indistinguishable (apart from the path and request id)."""
    assert a.status_code == b.status_code
    first, second = a.json(), b.json()
    for varying in ("instance", "request_id"):
        first.pop(varying, None)
        second.pop(varying, None)
    assert first == second


# -- me -----------------------------------------------------------------------------------------


def test_me_names_the_user_role_customer_and_token(api: Api) -> None:
    me = api.client.get("/api/v1/me", headers=api.auth(SAM))
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["email"] == SAM and body["role"] == "customer_user"
    assert body["customer"] == {"customer_id": ACME, "name": "Acme Genomics"}
    assert body["auth"] == "api_token" and body["scopes"] == ["admin", "read", "write"]
    assert body["token"]["name"] == "dev token" and body["token"]["token_id"].startswith("tok-")
    provider = api.client.get("/api/v1/me", headers=api.auth(PAT)).json()
    assert provider["role"] == "provider_admin" and provider["customer"] is None


def test_me_shows_a_narrowed_token(api: Api) -> None:
    created = api.client.post(
        "/api/v1/tokens",
        headers=api.auth(ADA),
        json={"name": "read only", "scopes": ["read"], "role": "customer_user"},
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()
    assert me["role"] == "customer_user" and me["scopes"] == ["read"]
    assert me["token"]["name"] == "read only"


# -- customers ----------------------------------------------------------------------------------


def test_each_caller_lists_only_their_customer_and_the_provider_all(api: Api) -> None:
    def ids(email: str) -> list[str]:
        response = api.client.get("/api/v1/customers", headers=api.auth(email))
        assert response.status_code == 200, response.text
        return [c["customer_id"] for c in response.json()]

    assert ids(SAM) == [ACME] and ids(ADA) == [ACME] and ids(UMA) == [GLOBEX]
    assert sorted(ids(PAT)) == sorted([ACME, GLOBEX])


def test_another_tenants_customer_is_404_like_a_missing_one(api: Api) -> None:
    hidden = api.client.get(f"/api/v1/customers/{GLOBEX}", headers=api.auth(ADA))
    missing = api.client.get("/api/v1/customers/nobody-0badc0de", headers=api.auth(ADA))
    assert hidden.status_code == 404 and hidden.headers["content-type"].startswith(PROBLEM)
    _same_problem(hidden, missing)
    for method, path, body in (
        ("PATCH", f"/api/v1/customers/{GLOBEX}", {"name": "Mine now"}),
        ("GET", f"/api/v1/customers/{GLOBEX}/users", None),
        (
            "POST",
            f"/api/v1/customers/{GLOBEX}/users",
            {"email": "x@acme.example", "display_name": "X"},
        ),
    ):
        response = api.client.request(method, path, headers=api.auth(ADA), json=body)
        assert response.status_code == 404, (method, path, response.text)
    own = api.client.get(f"/api/v1/customers/{ACME}", headers=api.auth(SAM))
    assert own.status_code == 200 and own.headers["etag"] == '"1"'


def test_a_customer_admin_edits_permitted_fields_only(api: Api) -> None:
    edit = api.client.patch(
        f"/api/v1/customers/{ACME}",
        headers={**api.auth(ADA), "If-Match": '"1"'},
        json={"name": "Acme Genomics Ltd", "billing_account": "AC-2291", "cost_center": "R&D"},
    )
    assert edit.status_code == 200, edit.text
    body = edit.json()
    assert (body["name"], body["billing_account"], body["cost_center"]) == (
        "Acme Genomics Ltd",
        "AC-2291",
        "R&D",
    )
    assert body["version"] == 2 and edit.headers["etag"] == '"2"'
    for field, value in (
        ("max_storage_gb", 1),
        ("max_concurrent_worksets", 50),
        ("credit_limit", "999999"),
    ):
        refused = api.client.patch(
            f"/api/v1/customers/{ACME}", headers=api.auth(ADA), json={"name": "X", field: value}
        )
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "FIELD_NOT_EDITABLE" and field in refused.json()["detail"]
    after = api.client.get(f"/api/v1/customers/{ACME}", headers=api.auth(ADA)).json()
    assert after == body, "a refused edit changed the customer"
    sam = api.client.patch(f"/api/v1/customers/{ACME}", headers=api.auth(SAM), json={"name": "S"})
    assert sam.status_code == 403


def test_the_provider_sets_quotas(api: Api) -> None:
    response = api.client.patch(
        f"/api/v1/customers/{ACME}",
        headers=api.auth(PAT),
        json={"max_storage_gb": 20000, "max_concurrent_worksets": 8, "credit_limit": "1500.50"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["max_storage_gb"], body["max_concurrent_worksets"]) == (20000, 8)
    assert body["credit_limit"] == "1500.50"
    cleared = api.client.patch(
        f"/api/v1/customers/{ACME}", headers=api.auth(PAT), json={"credit_limit": None}
    )
    assert cleared.json()["credit_limit"] is None and cleared.json()["version"] == 3
    stored = asyncio.run(api.container.ports.directory.get_customer(ACME))
    assert stored.max_storage_gb == 20000 and stored.version == 3


@pytest.mark.parametrize(
    "body",
    [
        {"credit_limit": "-1"},
        {"credit_limit": "NaN"},
        {"credit_limit": "1e400"},
        {"credit_limit": "0.001"},
        {"credit_limit": "9999999999"},
        {"credit_limit": 100},
        {"max_storage_gb": 0},
        {"name": ""},
        {"name": "-leading dash"},
        {"cost_center": "<script>"},
        {"unknown_field": 1},
    ],
)
def test_bad_customer_edits_are_422(api: Api, body: dict[str, Any]) -> None:
    response = api.client.patch(f"/api/v1/customers/{ACME}", headers=api.auth(PAT), json=body)
    assert response.status_code == 422, response.text
    assert asyncio.run(api.container.ports.directory.get_customer(ACME)).version == 1


def test_if_match_guards_against_lost_updates(api: Api) -> None:
    path = f"/api/v1/customers/{ACME}"
    first = api.client.patch(path, headers={**api.auth(ADA), "If-Match": '"1"'}, json={"name": "A"})
    assert first.status_code == 200
    stale = api.client.patch(path, headers={**api.auth(ADA), "If-Match": '"1"'}, json={"name": "B"})
    assert stale.status_code == 412 and stale.json()["code"] == "PRECONDITION_FAILED"
    for n, tag in enumerate(('W/"2"', "3", "*")):
        edit = {"name": f"Name {n}"}
        ok = api.client.patch(path, headers={**api.auth(ADA), "If-Match": tag}, json=edit)
        assert ok.status_code == 200, (tag, ok.text)
    garbage = api.client.patch(path, headers={**api.auth(ADA), "If-Match": "v7"}, json={})
    assert garbage.status_code == 412
    stored = asyncio.run(api.container.ports.directory.get_customer(ACME))
    assert (stored.name, stored.version) == ("Name 2", 5)


def test_only_the_provider_creates_customers(api: Api) -> None:
    body = {
        "name": "Initech Labs",
        "bucket": "initech-labs-ursa",
        "max_concurrent_worksets": 3,
        "max_storage_gb": 500,
        "credit_limit": "2500.00",
        "cost_center": "genomics",
    }
    refused = api.client.post("/api/v1/customers", headers=api.auth(ADA), json=body)
    assert refused.status_code == 403
    created = api.client.post("/api/v1/customers", headers=api.auth(PAT), json=body)
    assert created.status_code == 201, created.text
    customer = created.json()
    assert customer["customer_id"].startswith("initech-labs-") and customer["version"] == 1
    assert (customer["max_storage_gb"], customer["credit_limit"]) == (500, "2500.00")
    assert created.headers["etag"] == '"1"'
    new_id = customer["customer_id"]
    assert api.client.get(f"/api/v1/customers/{new_id}", headers=api.auth(ADA)).status_code == 404
    (record,) = [r for r in _audit(api, new_id) if r.action == "customer.create"]
    assert record.target == f"customer:{new_id}"
    for bad in ({**body, "bucket": "Bad_Bucket"}, {**body, "bucket_region": "moon-1"}):
        invalid = api.client.post("/api/v1/customers", headers=api.auth(PAT), json=bad)
        assert invalid.status_code == 422, invalid.text


# -- users --------------------------------------------------------------------------------------


def test_a_customer_admin_lists_their_users(api: Api) -> None:
    listed = api.client.get(f"/api/v1/customers/{ACME}/users", headers=api.auth(ADA))
    assert listed.status_code == 200
    assert {u["email"] for u in listed.json()} == {ADA, SAM}
    assert (
        api.client.get(f"/api/v1/customers/{ACME}/users", headers=api.auth(SAM)).status_code == 403
    )
    assert (
        api.client.get(f"/api/v1/customers/{ACME}/users", headers=api.auth(GIL)).status_code == 404
    )


def test_adding_a_user_sends_an_invitation(api: Api) -> None:
    body = {"email": "Lee@Acme.example", "display_name": "Lee Lab", "role": "customer_admin"}
    added = api.client.post(f"/api/v1/customers/{ACME}/users", headers=api.auth(ADA), json=body)
    assert added.status_code == 201, added.text
    user = added.json()
    assert user["email"] == "lee@acme.example" and user["role"] == "customer_admin"
    assert user["customer_id"] == ACME and not user["disabled"]
    assert _identity(api).last_secret("lee@acme.example", "invitation")
    again = api.client.post(f"/api/v1/customers/{ACME}/users", headers=api.auth(PAT), json=body)
    assert again.status_code == 409
    provider = {**body, "email": "boss@acme.example", "role": "provider_admin"}
    by_admin = api.client.post(
        f"/api/v1/customers/{ACME}/users", headers=api.auth(ADA), json=provider
    )
    by_provider = api.client.post(
        f"/api/v1/customers/{ACME}/users", headers=api.auth(PAT), json=provider
    )
    assert (by_admin.status_code, by_provider.status_code) == (403, 422)
    (record,) = [r for r in _audit(api, ACME) if r.action == "user.add"]
    assert record.target == f"user:{user['user_id']}"


def test_granting_and_revoking_customer_admin(api: Api) -> None:
    sam = _user_id(api, SAM)
    granted = api.client.post(
        f"/api/v1/users/{sam}/role", headers=api.auth(ADA), json={"role": "customer_admin"}
    )
    assert granted.status_code == 200 and granted.json()["role"] == "customer_admin"
    assert _identity(api)._user(SAM).groups == {"customer_admins"}
    revoked = api.client.post(
        f"/api/v1/users/{sam}/role", headers=api.auth(PAT), json={"role": "customer_user"}
    )
    assert revoked.status_code == 200 and revoked.json()["role"] == "customer_user"
    assert _identity(api)._user(SAM).groups == set()
    assert [r.action for r in _audit(api, ACME)].count("user.role") == 2


def test_what_a_customer_admin_may_not_do_to_users(api: Api) -> None:
    ada, sam, pat = _user_id(api, ADA), _user_id(api, SAM), _user_id(api, PAT)
    grant = {"role": "provider_admin"}
    assert (
        api.client.post(f"/api/v1/users/{sam}/role", headers=api.auth(ADA), json=grant).status_code
        == 403
    )
    own = api.client.post(
        f"/api/v1/users/{ada}/role", headers=api.auth(ADA), json={"role": "customer_user"}
    )
    assert own.status_code == 403 and own.json()["code"] == "SELF_ADMINISTRATION"
    for path in ("role", "password", "disable", "enable"):
        body: dict[str, Any] | None = {"role": "customer_user"} if path == "role" else None
        if path == "password":
            body = {"password": SECRET_PASSWORD, "permanent": True}
        provider = api.client.post(f"/api/v1/users/{pat}/{path}", headers=api.auth(ADA), json=body)
        other = api.client.post(f"/api/v1/users/{sam}/{path}", headers=api.auth(GIL), json=body)
        missing = api.client.post(f"/api/v1/users/nobody/{path}", headers=api.auth(GIL), json=body)
        assert provider.status_code == other.status_code == 404, path
        _same_problem(other, missing)
        by_sam = api.client.post(f"/api/v1/users/{sam}/{path}", headers=api.auth(SAM), json=body)
        assert by_sam.status_code == 403, path
    assert not asyncio.run(api.container.ports.directory.user_by_email(SAM)).disabled


def test_setting_a_password_temporary_or_permanent(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sam = _user_id(api, SAM)
    path = f"/api/v1/users/{sam}/password"
    temporary = api.client.post(path, headers=api.auth(ADA), json={"password": SECRET_PASSWORD})
    assert temporary.status_code == 200, temporary.text
    assert SECRET_PASSWORD not in temporary.text
    signed_in = asyncio.run(_identity(api).sign_in(SAM, SECRET_PASSWORD))
    assert isinstance(signed_in, NewPasswordRequired)
    permanent = api.client.post(
        path, headers=api.auth(PAT), json={"password": SECRET_PASSWORD, "permanent": True}
    )
    assert permanent.status_code == 200
    assert isinstance(asyncio.run(_identity(api).sign_in(SAM, SECRET_PASSWORD)), Tokens)
    for weak in ("Ab1!x", SAM, "        "):
        refused = api.client.post(path, headers=api.auth(ADA), json={"password": weak})
        assert refused.status_code == 422 and weak not in refused.text
    policy = api.client.post(path, headers=api.auth(ADA), json={"password": "alllowercase1"})
    assert policy.status_code == 422 and policy.json()["errors"][0]["code"] == "WEAK_PASSWORD"
    assert [r.action for r in _audit(api, ACME)].count("user.password") == 2
    assert SECRET_PASSWORD not in repr(_audit(api, ACME))
    assert SECRET_PASSWORD not in caplog.text


def test_disabling_a_user_stops_their_tokens_at_once(api: Api) -> None:
    sam = _user_id(api, SAM)
    disabled = api.client.post(f"/api/v1/users/{sam}/disable", headers=api.auth(ADA))
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert api.client.get("/api/v1/me", headers=api.auth(SAM)).status_code == 401
    assert not _identity(api)._user(SAM).enabled
    enabled = api.client.post(f"/api/v1/users/{sam}/enable", headers=api.auth(ADA))
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    assert api.client.get("/api/v1/me", headers=api.auth(SAM)).status_code == 200
    assert _identity(api)._user(SAM).enabled
    actions = [r.action for r in _audit(api, ACME)]
    assert actions.count("user.disable") == 1 and actions.count("user.enable") == 1


# -- without an identity provider ---------------------------------------------------------------


@pytest.fixture
def no_identity() -> Iterator[Api]:
    container = build_in_memory(Settings(env=Environment.TEST))
    container = replace(container, ports=replace(container.ports, identity_admin=None))
    assert container.objects is not None
    tokens = asyncio.run(seed_demo(container.ports, container.objects, SEED_NOW))
    with TestClient(create_app(container)) as client:
        yield Api(client=client, container=container, tokens=tokens)


def test_without_an_identity_provider_user_admin_answers_503(no_identity: Api) -> None:
    api = no_identity
    sam = _user_id(api, SAM)
    added = api.client.post(
        f"/api/v1/customers/{ACME}/users",
        headers=api.auth(ADA),
        json={"email": "lee@acme.example", "display_name": "Lee"},
    )
    password = api.client.post(
        f"/api/v1/users/{sam}/password", headers=api.auth(ADA), json={"password": SECRET_PASSWORD}
    )
    for response in (added, password):
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "IDENTITY_NOT_CONFIGURED"
        assert "URSA_COGNITO_USER_POOL_ID" in response.json()["detail"]
    # The directory alone decides who may call: disabling still works at once.
    assert api.client.post(f"/api/v1/users/{sam}/disable", headers=api.auth(ADA)).status_code == 200
    assert api.client.get("/api/v1/me", headers=api.auth(SAM)).status_code == 401


@pytest.mark.anyio
async def test_the_aws_container_wires_cognito_only_with_a_user_pool() -> None:
    base = Settings(env=Environment.TEST, store="aws", aws_endpoint_url="http://127.0.0.1:9")
    async with AsyncExitStack() as stack:
        without = await build_aws(base, stack)
        with_pool = await build_aws(replace(base, cognito_user_pool_id="us-west-2_abc"), stack)
    assert without.ports.identity_admin is None
    assert isinstance(with_pool.ports.identity_admin, CognitoIdentityAdmin)
