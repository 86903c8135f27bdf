"""The ``stores`` fixture: every persistence port, either the in-memory twins or the DynamoDB
adapters on the moto server (with the counting layer, which must never see a Scan)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest

from aws_support import REGION, reset_moto
from ursa.adapters.aws.clients import AwsClients, AwsOptions
from ursa.adapters.dynamodb.calls import CallLog, CountingClient
from ursa.adapters.dynamodb.directory import DynamoCustomerDirectory, DynamoTokenStore
from ursa.adapters.dynamodb.manifests import DynamoManifestStore
from ursa.adapters.dynamodb.records import (
    DynamoAuditLog,
    DynamoIdempotencyStore,
    DynamoLedger,
    DynamoQuoteRepository,
)
from ursa.adapters.dynamodb.table import ensure_table
from ursa.adapters.dynamodb.worksets import DynamoWorksetRepository
from ursa.adapters.memory.directory import InMemoryCustomerDirectory, InMemoryTokenStore
from ursa.adapters.memory.manifests import InMemoryManifestStore
from ursa.adapters.memory.records import (
    InMemoryAuditLog,
    InMemoryIdempotencyStore,
    InMemoryLedger,
    InMemoryQuoteRepository,
)
from ursa.adapters.memory.worksets import InMemoryWorksetRepository
from ursa.domain.ports import (
    AuditLog,
    CustomerDirectory,
    IdempotencyStore,
    LedgerRepository,
    ManifestStore,
    QuoteRepository,
    TokenStore,
    WorksetRepository,
)

TABLE = "ursa-test"
CURSOR_KEY = b"contract-cursor-key"


@dataclass
class Stores:
    kind: str
    worksets: WorksetRepository
    directory: CustomerDirectory
    tokens: TokenStore
    idempotency: IdempotencyStore
    quotes: QuoteRepository
    ledger: LedgerRepository
    audit: AuditLog
    manifests: ManifestStore
    calls: CallLog | None = None


def memory_stores() -> Stores:
    return Stores(
        kind="memory",
        worksets=InMemoryWorksetRepository(cursor_key=CURSOR_KEY),
        directory=InMemoryCustomerDirectory(),
        tokens=InMemoryTokenStore(),
        idempotency=InMemoryIdempotencyStore(),
        quotes=InMemoryQuoteRepository(),
        ledger=InMemoryLedger(),
        audit=InMemoryAuditLog(),
        manifests=InMemoryManifestStore(cursor_key=CURSOR_KEY),
    )


def dynamo_stores(client: Any) -> Stores:
    counting = CountingClient(client)
    return Stores(
        kind="dynamodb",
        worksets=DynamoWorksetRepository(counting, TABLE, CURSOR_KEY),
        directory=DynamoCustomerDirectory(counting, TABLE),
        tokens=DynamoTokenStore(counting, TABLE),
        idempotency=DynamoIdempotencyStore(counting, TABLE),
        quotes=DynamoQuoteRepository(counting, TABLE),
        ledger=DynamoLedger(counting, TABLE),
        audit=DynamoAuditLog(counting, TABLE),
        manifests=DynamoManifestStore(counting, TABLE, CURSOR_KEY),
        calls=counting.log,
    )


@pytest.fixture(params=["memory", "dynamodb"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[Stores]:
    if request.param == "memory":
        yield memory_stores()
        return
    endpoint = request.getfixturevalue("moto_endpoint")
    async with AsyncExitStack() as stack:
        clients = AwsClients(AwsOptions(region=REGION, endpoint_url=endpoint), stack)
        client = await clients.client("dynamodb")
        await ensure_table(client, TABLE)
        world = dynamo_stores(client)
        try:
            yield world
        finally:
            reset_moto(endpoint)
        assert world.calls is not None
        assert world.calls.ops["scan"] == 0, "a request path issued a Scan"
