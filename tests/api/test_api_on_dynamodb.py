"""The API on the real adapters (DynamoDB and S3 on the emulator), seeded like ``ursa dev``:
same product, and the counting layer proves the access patterns (no Scan anywhere, one
Query per list page, one GetItem to resolve a token)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AsyncExitStack

import pytest
from litestar.testing import TestClient

from api_client import SEED_NOW, Api
from aws_support import REGION, reset_moto
from ursa.adapters.dynamodb.calls import CallLog
from ursa.app.cli_aws import seeded_aws
from ursa.app.container import Container
from ursa.app.factory import create_app
from ursa.app.settings import Environment, Settings

ADMIN, ADA, GIL = "admin@ursa.example", "ada@acme.example", "gil@globex.example"


@pytest.fixture(scope="module")
def aws_api(moto_endpoint: str) -> Iterator[Api]:
    settings = Settings(
        env=Environment.TEST,
        store="aws",
        aws_endpoint_url=moto_endpoint,
        aws_region=REGION,
        aws_table="ursa-api",
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


def test_one_list_page_is_one_query(aws_api: Api) -> None:
    log = calls(aws_api.container)
    log.reset()
    response = aws_api.client.get("/api/v1/worksets?limit=5", headers=aws_api.auth(ADA))
    assert response.status_code == 200 and len(response.json()["items"]) == 5
    # token (1 GetItem) + its user (1 GetItem) + the page (1 Query reading page size + 1)
    assert dict(log.ops) == {"get_item": 2, "query": 1}
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
