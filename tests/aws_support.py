"""One moto server per test run (aiobotocore needs server mode), wiped after every test."""

from __future__ import annotations

import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from typing import Any

import pytest

from ursa.adapters.aws.clients import AwsClients, AwsOptions
from ursa.app.emulator import FAKE_AWS_ENV, emulator_process

REGION = "us-east-1"


def reset_moto(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """One emulator for the whole run, in its own process (its own GIL, so it keeps up with
    the claimers of the race test), on a free loopback port."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in FAKE_AWS_ENV.items():
            mp.setenv(name, value)
        with emulator_process() as endpoint:
            yield endpoint


@pytest.fixture
def aws(moto_endpoint: str) -> Iterator[str]:
    """The endpoint for one test; the whole emulated account is wiped afterwards."""
    yield moto_endpoint
    reset_moto(moto_endpoint)


@pytest.fixture
async def aws_clients(aws: str) -> AsyncIterator[AwsClients]:
    """Clients on the emulator for one test, closed at its end."""
    async with AsyncExitStack() as stack:
        yield AwsClients(AwsOptions(region=REGION, endpoint_url=aws, max_attempts=2), stack)


def user_pool(cognito: Any, name: str) -> tuple[str, str]:
    """A Cognito pool like Ursa's (email user names, a ``customer_id`` attribute, the
    ``customer_admins`` group) and a password-auth app client: (pool id, client id)."""
    pool_id = cognito.create_user_pool(
        PoolName=name,
        UsernameAttributes=["email"],
        Schema=[{"Name": "customer_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=name,
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    cognito.create_group(UserPoolId=pool_id, GroupName="customer_admins")
    return pool_id, client_id
