"""The composition root for the real adapters: ``build_aws(settings, stack)`` wires DynamoDB,
S3 and SNS; every client is closed when ``stack`` closes. Call it on the event loop that will
use the ports (aiobotocore clients belong to one loop)."""

from __future__ import annotations

from contextlib import AsyncExitStack

from ursa.adapters.aws.clients import AwsClients, AwsOptions
from ursa.adapters.dynamodb.calls import CountingClient
from ursa.adapters.dynamodb.directory import DynamoCustomerDirectory, DynamoTokenStore
from ursa.adapters.dynamodb.records import (
    DynamoAuditLog,
    DynamoIdempotencyStore,
    DynamoLedger,
    DynamoQuoteRepository,
)
from ursa.adapters.dynamodb.worksets import DynamoWorksetRepository
from ursa.adapters.memory.system import RecordingNotifier, SecureIds, SeededRandom, SystemClock
from ursa.adapters.s3.objects import S3ObjectStore
from ursa.adapters.sns.notifier import SnsNotifier
from ursa.app.container import Container
from ursa.app.settings import Settings
from ursa.domain.ports import Clock, IdGenerator, Notifier
from ursa.domain.services.context import Ports


def aws_options(settings: Settings) -> AwsOptions:
    return AwsOptions(
        region=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
        connect_timeout_s=settings.aws_connect_timeout_s,
        read_timeout_s=settings.aws_read_timeout_s,
        max_attempts=settings.aws_max_attempts,
    )


async def build_aws(
    settings: Settings,
    stack: AsyncExitStack,
    *,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
) -> Container:
    clients = AwsClients(aws_options(settings), stack)
    db = CountingClient(await clients.client("dynamodb"))
    table = settings.aws_table
    # Events are also stored with their transition (EVT# items), so without a topic nothing
    # is lost: the process keeps them for inspection until the engine's relay publishes.
    notifier: Notifier = (
        SnsNotifier(clients, settings.sns_topic_arn)
        if settings.sns_topic_arn
        else RecordingNotifier()
    )
    ports = Ports(
        worksets=DynamoWorksetRepository(db, table, settings.session_secret.encode()),
        directory=DynamoCustomerDirectory(db, table),
        tokens=DynamoTokenStore(db, table),
        idempotency=DynamoIdempotencyStore(db, table),
        objects=S3ObjectStore(clients),
        quotes=DynamoQuoteRepository(db, table),
        ledger=DynamoLedger(db, table),
        audit=DynamoAuditLog(db, table),
        notifier=notifier,
        clock=clock or SystemClock(),
        ids=ids or SecureIds(),
        random=SeededRandom(),
    )
    return Container(settings=settings, ports=ports, dynamodb_calls=db.log)
