"""Saved manifests through the app on the real adapters (DynamoDB and S3 on the emulator):
the create-only S3 put, the digest-checked download, version-conditioned edits and deletes,
and one Query per list page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AsyncExitStack

import pytest
from litestar.testing import TestClient

from api_client import SEED_NOW, Api
from aws_support import REGION, reset_moto
from ursa.app.api.manifest_schemas import EXAMPLE_TSV
from ursa.app.cli_aws import seeded_aws
from ursa.app.container import Container
from ursa.app.factory import create_app
from ursa.app.settings import Environment, Settings

SAM, GIL = "sam@acme.example", "gil@globex.example"
BASE = "/api/v1/manifests"


@pytest.fixture(scope="module")
def aws_api(moto_endpoint: str) -> Iterator[Api]:
    settings = Settings(
        env=Environment.TEST,
        store="aws",
        aws_endpoint_url=moto_endpoint,
        aws_region=REGION,
        aws_table="ursa-manifests",
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
            assert container.dynamodb_calls is not None
            assert container.dynamodb_calls.ops["scan"] == 0, "the API issued a Scan"
    finally:
        reset_moto(moto_endpoint)


def test_a_manifest_lives_its_whole_life_on_the_real_stores(aws_api: Api) -> None:
    client, sam = aws_api.client, aws_api.auth(SAM)
    log = aws_api.container.dynamodb_calls
    assert log is not None
    log.reset()
    listed = client.get(BASE, headers=sam)
    assert listed.status_code == 200 and [m["name"] for m in listed.json()["items"]] == [
        "NA12878 trio template"
    ]
    assert log.ops["query"] == 1 and log.ops["scan"] == 0
    saved = client.post(BASE, headers=sam, json={"name": "On DynamoDB", "tsv": EXAMPLE_TSV})
    assert saved.status_code == 201, saved.text
    body = saved.json()
    url = f"{BASE}/{body['manifest_id']}"
    download = client.get(f"{url}/download", headers=sam)
    assert download.status_code == 200 and download.content == EXAMPLE_TSV.encode()
    assert client.get(url, headers=aws_api.auth(GIL)).status_code == 404
    renamed = client.patch(url, headers={**sam, "If-Match": '"1"'}, json={"name": "Renamed"})
    assert renamed.status_code == 200 and renamed.headers["etag"] == '"2"'
    stale = client.patch(url, headers={**sam, "If-Match": '"1"'}, json={"name": "Late"})
    assert stale.status_code == 412
    assert client.delete(url, headers={**sam, "If-Match": '"2"'}).status_code == 204
    assert client.get(url, headers=sam).status_code == 404
    objects = aws_api.container.ports.objects
    bucket = "acme-genomics-ursa"
    key = f"manifests/{body['manifest_id']}/stage_samples.tsv"

    async def head() -> object:
        return await objects.head(bucket, key)

    # aiobotocore clients belong to the app's loop: read through the client's portal.
    assert client.blocking_portal.call(head) is None
    assert len(client.get(BASE, headers=sam).json()["items"]) == 1
