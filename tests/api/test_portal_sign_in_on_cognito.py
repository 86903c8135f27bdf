"""The portal's production sign-in on the real adapters: ``build_aws`` wires
``CognitoPasswordAuth`` and the JWKS verifier to Cognito on the emulator, and the directory
(DynamoDB) says who signed in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from litestar.testing import TestClient

from aws_support import REGION, reset_moto, user_pool
from ursa.adapters.aws.clients import AwsClients
from ursa.adapters.dynamodb.table import ensure_table
from ursa.app.container import Container
from ursa.app.container_aws import aws_options, build_aws
from ursa.app.factory import create_app
from ursa.app.settings import Environment, Settings
from ursa.domain.customers import Customer, User
from ursa.domain.principals import Role

ADA, GIL = "ada@acme.example", "gil@globex.example"
PEOPLE = {ADA: ("u-ada", "acme"), GIL: ("u-gil", "globex")}
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD, TEMPORARY, NEW = "Right-Pass-42", "Temp-Pass-17", "Fresh-Pass-99"


def _user(cognito: Any, pool_id: str, email: str, customer_id: str, *, permanent: bool) -> None:
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "custom:customer_id", "Value": customer_id},
        ],
        TemporaryPassword=TEMPORARY,
        MessageAction="SUPPRESS",
    )
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName="customer_admins")
    if permanent:
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True
        )


@pytest.fixture(scope="module")
def portal(moto_endpoint: str) -> Iterator[TestClient[Any]]:
    cognito = boto3.client("cognito-idp", endpoint_url=moto_endpoint, region_name=REGION)
    pool_id, client_id = user_pool(cognito, "ursa-portal")
    settings = Settings(
        env=Environment.TEST,
        dev_sign_in=False,
        store="aws",
        aws_endpoint_url=moto_endpoint,
        aws_region=REGION,
        aws_table="ursa-portal",
        cognito_user_pool_id=pool_id,
        cognito_client_id=client_id,
        cognito_jwks_url=f"{moto_endpoint}/{pool_id}/.well-known/jwks.json",
    )
    booted: list[Container] = []

    async def boot(stack: AsyncExitStack) -> Container:
        dynamodb = await AwsClients(aws_options(settings), stack).client("dynamodb")
        await ensure_table(dynamodb, settings.aws_table)
        container = await build_aws(settings, stack)
        for email, (user_id, customer_id) in PEOPLE.items():
            customer = Customer(
                customer_id=customer_id, name=customer_id, bucket=customer_id, created_at=NOW
            )
            await container.ports.directory.put_customer(customer)
            user = User(
                user_id=user_id,
                email=email,
                display_name=email,
                role=Role.CUSTOMER_ADMIN,
                customer_id=customer_id,
                created_at=NOW,
            )
            await container.ports.directory.put_user(user)
        booted.append(container)
        return container

    try:
        with TestClient(create_app(settings=settings, boot=boot)) as client:
            (container,) = booted
            assert container.passwords is not None and container.identity is not None
            for email, (_, customer_id) in PEOPLE.items():
                _user(cognito, pool_id, email, customer_id, permanent=email == ADA)
            client.follow_redirects = False
            yield client
    finally:
        reset_moto(moto_endpoint)


def _post(client: TestClient[Any], path: str, **form: str) -> Any:
    client.get("/sign-in")
    return client.post(path, data={**form, "_csrf_token": client.cookies.get("csrftoken")})


def _signed_in_as(client: TestClient[Any]) -> str | None:
    page = client.get("/worksets")
    found = re.search(r'<p class="menu-email">([^<]+)</p>', page.text)
    return found.group(1) if page.status_code == 200 and found else None


def test_email_and_password_sign_in_through_cognito(portal: TestClient[Any]) -> None:
    portal.cookies.clear()
    wrong = _post(portal, "/sign-in", email=ADA, password="Wrong-Pass-1")
    unknown = _post(portal, "/sign-in", email="nobody@acme.example", password="Wrong-Pass-1")
    assert wrong.status_code == unknown.status_code == 401
    assert "Email or password is wrong." in wrong.text and "Email or password" in unknown.text
    signed_in = _post(portal, "/sign-in", email=ADA, password=PASSWORD)
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/worksets")
    assert _signed_in_as(portal) == ADA


def test_a_temporary_password_is_replaced_through_cognito(portal: TestClient[Any]) -> None:
    portal.cookies.clear()
    challenge = _post(portal, "/sign-in", email=GIL, password=TEMPORARY)
    assert challenge.status_code == 200 and "Choose a new password" in challenge.text
    assert _signed_in_as(portal) is None
    done = _post(portal, "/sign-in/new-password", password=NEW, confirm=NEW)
    assert (done.status_code, done.headers["location"]) == (303, "/worksets")
    assert _signed_in_as(portal) == GIL
    portal.cookies.clear()
    assert _post(portal, "/sign-in", email=GIL, password=NEW).status_code == 303
