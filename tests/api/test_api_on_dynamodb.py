"""The API on the real adapters (DynamoDB and S3 on the emulator), seeded like ``ursa dev``:
same product, and the counting layer proves the access patterns (no Scan anywhere, one
Query per list page, one GetItem to resolve a token)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AsyncExitStack
from decimal import Decimal
from typing import Any

import boto3
import pytest
from litestar.testing import TestClient

from api_client import SEED_NOW, Api
from aws_support import REGION, reset_moto, user_pool
from ursa.adapters.dynamodb.calls import CallLog
from ursa.app.cli_aws import seeded_aws
from ursa.app.container import Container
from ursa.app.factory import create_app
from ursa.app.settings import Environment, Settings

ADMIN, ADA, GIL = "admin@ursa.example", "ada@acme.example", "gil@globex.example"
ACME = "acme-genomics-3f9c01ab"


PASSWORD = "Correct-Horse-9-battery"


def _cognito_pool(endpoint: str, customer_id: str) -> tuple[str, str, str]:
    """A pool on the emulator with one customer admin; returns (pool id, client id, email)."""
    cognito = boto3.client("cognito-idp", endpoint_url=endpoint, region_name=REGION)
    pool_id, client_id = user_pool(cognito, "ursa-api")
    email = "lims-admin@acme.example"
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "custom:customer_id", "Value": customer_id},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True
    )
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName="customer_admins")
    return pool_id, client_id, email


@pytest.fixture(scope="module")
def aws_api(moto_endpoint: str) -> Iterator[Api]:
    pool_id, client_id, _ = _cognito_pool(moto_endpoint, ACME)
    settings = Settings(
        env=Environment.TEST,
        store="aws",
        aws_endpoint_url=moto_endpoint,
        aws_region=REGION,
        aws_table="ursa-api",
        cognito_user_pool_id=pool_id,
        cognito_client_id=client_id,
        cognito_jwks_url=f"{moto_endpoint}/{pool_id}/.well-known/jwks.json",
    )
    booted: list[Container] = []

    async def boot(stack: AsyncExitStack) -> Container:
        container, _ = await seeded_aws(settings, stack, SEED_NOW)
        booted.append(container)
        return container

    try:
        with TestClient(create_app(settings=settings, boot=boot)) as client:
            (container,) = booted
            yield Api(client=client, container=container, tokens=container.seeded_tokens)
            assert calls(container).ops["scan"] == 0, "the API issued a Scan"
    finally:
        reset_moto(moto_endpoint)


def calls(container: Container) -> CallLog:
    assert container.dynamodb_calls is not None
    return container.dynamodb_calls


def _listing(api: Api, email: str, query: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    cursor = ""
    while True:
        response = api.client.get(
            f"/api/v1/worksets?limit=7{query}{cursor}", headers=api.auth(email)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        rows += [(w["name"], w["state"]) for w in body["items"]]
        if not body.get("next_cursor"):
            return rows
        cursor = f"&cursor={body['next_cursor']}"


def test_the_same_seeded_product_as_the_in_memory_demo(aws_api: Api, api: Api) -> None:
    for email in (ADMIN, ADA, GIL):
        assert sorted(_listing(aws_api, email)) == sorted(_listing(api, email)), email


def test_list_filters_agree_with_the_in_memory_demo(aws_api: Api, api: Api) -> None:
    """Workset list filters (owner, created range, q operators) page alike on both stores."""
    probes = (
        "&owner=sam@acme.example",
        "&created_after=2026-11-20T00:00:00Z&created_before=2026-11-23T06:00:00Z",
        "&q=-state:complete%20name:globex",
        "&q=id:cohort-b%20owner:me&include_archived=true",
        "&q=created%3E%3D2026-11-11%20created%3C2026-11-23",
        "&state=ready&state=in_progress&q=state:in_progress",
    )
    for email in (ADMIN, ADA, GIL):
        for probe in probes:
            assert _listing(aws_api, email, probe) == _listing(api, email, probe), (email, probe)
    assert _listing(aws_api, ADA, "&q=owner:gil@globex.example") == []


def test_one_list_page_is_one_query(aws_api: Api) -> None:
    log = calls(aws_api.container)
    log.reset()
    response = aws_api.client.get("/api/v1/worksets?limit=5", headers=aws_api.auth(ADA))
    assert response.status_code == 200 and len(response.json()["items"]) == 5
    # token (1 GetItem) + its user (1 GetItem) + the page (1 Query reading page size + 1)
    # + counting the token's use (1 UpdateItem)
    assert dict(log.ops) == {"get_item": 2, "query": 1, "update_item": 1}
    assert log.scanned <= 6


def test_resolving_a_token_is_one_get_item(aws_api: Api) -> None:
    log = calls(aws_api.container)
    log.reset()
    response = aws_api.client.get(
        "/api/v1/worksets", headers={"Authorization": "Bearer urs_unknown"}
    )
    assert response.status_code == 401
    assert dict(log.ops) == {"get_item": 1}


def test_tenancy_holds_on_the_real_store(aws_api: Api) -> None:
    globex = {name for name, _ in _listing(aws_api, GIL)}
    acme_ids = [
        w["workset_id"]
        for w in aws_api.client.get("/api/v1/worksets?limit=100", headers=aws_api.auth(ADA)).json()[
            "items"
        ]
    ]
    assert acme_ids and globex
    for workset_id in acme_ids[:3]:
        response = aws_api.client.get(f"/api/v1/worksets/{workset_id}", headers=aws_api.auth(GIL))
        assert response.status_code == 404


def test_a_cognito_id_token_is_accepted_with_its_tenant(aws_api: Api) -> None:
    settings = aws_api.container.settings
    cognito = boto3.client(
        "cognito-idp", endpoint_url=settings.aws_endpoint_url, region_name=REGION
    )
    tokens = cognito.initiate_auth(
        ClientId=settings.cognito_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "lims-admin@acme.example", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    bearer = {"Authorization": f"Bearer {tokens['IdToken']}"}
    response = aws_api.client.get("/api/v1/worksets?limit=100", headers=bearer)
    assert response.status_code == 200, response.text
    as_cognito = {w["workset_id"] for w in response.json()["items"]}
    everything = aws_api.client.get("/api/v1/worksets?limit=100", headers=aws_api.auth(ADMIN))
    acme = {w["workset_id"] for w in everything.json()["items"] if w["customer_id"] == ACME}
    assert as_cognito == acme and acme  # a customer admin of ACME: all of ACME, nothing else
    forged = tokens["IdToken"][:-6] + (
        "AAAAAA" if not tokens["IdToken"].endswith("AAAAAA") else "BBBBBB"
    )
    rejected = aws_api.client.get("/api/v1/worksets", headers={"Authorization": f"Bearer {forged}"})
    assert rejected.status_code == 401


def test_cancel_writes_through_dynamodb(aws_api: Api) -> None:
    ready = aws_api.client.get(
        "/api/v1/worksets?state=ready&limit=1", headers=aws_api.auth(ADMIN)
    ).json()["items"][0]
    workset_id = ready["workset_id"]
    owner_email = ADA if ready["customer_id"].startswith("acme") else GIL
    cancel = aws_api.client.post(
        f"/api/v1/worksets/{workset_id}/cancel",
        headers=aws_api.auth(owner_email),
        json={"reason": "not needed"},
    )
    assert cancel.status_code == 200, cancel.text
    detail = aws_api.client.get(
        f"/api/v1/worksets/{workset_id}", headers=aws_api.auth(ADMIN)
    ).json()
    assert detail["state"] == "canceled" and detail["version"] == ready["version"] + 1
    history = aws_api.client.get(
        f"/api/v1/worksets/{workset_id}/history", headers=aws_api.auth(ADMIN)
    ).json()
    assert history[-1]["event"] == "cancel"


def test_billing_reads_the_customer_ledger_through_its_index(aws_api: Api, api: Api) -> None:
    """The seeded costs of November, read through gsi1: the same worksets and samples as in
    memory (amounts differ: the seed's spread hashes the workset ids), and the usage, the
    invoice and the CSV agree to the cent."""
    november = {"period": "2026-11"}

    def get(client: Api, path: str) -> Any:
        response = client.client.get(path, headers=client.auth(ADA), params=november)
        assert response.status_code == 200, response.text
        return response

    usage = get(aws_api, "/api/v1/billing/usage").json()
    in_memory = get(api, "/api/v1/billing/usage").json()
    counts = ("workset_count", "sample_count")
    assert [usage[k] for k in counts] == [in_memory[k] for k in counts] and usage["sample_count"]
    bill = get(aws_api, "/api/v1/billing/invoice").json()
    rows = get(aws_api, "/api/v1/billing/export.csv").text.splitlines()[1:]
    csv_total = sum((Decimal(row.rsplit(",", 1)[1]) for row in rows), Decimal(0))
    assert Decimal(usage["total"]) == Decimal(bill["total"]) == csv_total > 0
