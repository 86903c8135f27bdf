"""The composition root for the real adapters: ``build_aws(settings, stack)`` wires DynamoDB,
S3 and SNS; every client is closed when ``stack`` closes. Call it on the event loop that will
use the ports (aiobotocore clients belong to one loop)."""

from __future__ import annotations

from contextlib import AsyncExitStack

from ursa.adapters.aws.clients import AwsClients, AwsOptions
from ursa.adapters.cognito.admin import CognitoIdentityAdmin
from ursa.adapters.cognito.jwks import JwksKeySource
from ursa.adapters.cognito.passwords import CognitoPasswordAuth
from ursa.adapters.cognito.profiles import CognitoProfiles
from ursa.adapters.cognito.verifier import CognitoTokenVerifier
from ursa.adapters.dynamodb.calls import CountingClient
from ursa.adapters.dynamodb.cluster_records import DynamoClusterSnapshots, DynamoCommandLog
from ursa.adapters.dynamodb.directory import DynamoCustomerDirectory, DynamoTokenStore
from ursa.adapters.dynamodb.linked_buckets import DynamoLinkedBucketStore
from ursa.adapters.dynamodb.manifests import DynamoManifestStore
from ursa.adapters.dynamodb.records import (
    DynamoAuditLog,
    DynamoIdempotencyStore,
    DynamoLedger,
    DynamoQuoteRepository,
)
from ursa.adapters.dynamodb.worksets import DynamoWorksetRepository
from ursa.adapters.log_notifier import LogNotifier
from ursa.adapters.memory.system import SecureIds, SystemClock, SystemRandomSource
from ursa.adapters.s3.objects import S3ObjectStore
from ursa.adapters.sns.notifier import SnsNotifier
from ursa.adapters.throttle import LimitsThrottle
from ursa.app.container import Container
from ursa.app.engine_wiring import engine_config, engine_deps, ssh_shell
from ursa.app.settings import Settings
from ursa.domain.ports import Clock, IdentityProvider, IdGenerator, Notifier
from ursa.domain.ports.cluster import ClusterSnapshotStore, CommandLogStore, RemoteShell
from ursa.domain.services.context import Ports
from ursa.domain.services.engine.deps import EngineDeps


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
    # is lost; they are logged and the engine's relay can publish them later.
    notifier: Notifier = (
        SnsNotifier(clients, settings.sns_topic_arn) if settings.sns_topic_arn else LogNotifier()
    )
    ports = Ports(
        worksets=DynamoWorksetRepository(db, table, settings.session_secret.encode()),
        directory=DynamoCustomerDirectory(db, table),
        tokens=DynamoTokenStore(db, table),
        idempotency=DynamoIdempotencyStore(db, table),
        objects=S3ObjectStore(clients, cursor_key=settings.session_secret.encode()),
        quotes=DynamoQuoteRepository(db, table),
        ledger=DynamoLedger(db, table),
        audit=DynamoAuditLog(db, table),
        linked_buckets=DynamoLinkedBucketStore(db, table),
        manifests=DynamoManifestStore(db, table, settings.session_secret.encode()),
        notifier=notifier,
        clock=clock or SystemClock(),
        ids=ids or SecureIds(),
        random=SystemRandomSource(),
        identity_admin=(
            CognitoIdentityAdmin(clients, user_pool_id=settings.cognito_user_pool_id)
            if settings.cognito_user_pool_id
            else None  # adding users and setting passwords answer 503
        ),
    )
    command_log, snapshots = DynamoCommandLog(db, table), DynamoClusterSnapshots(db, table)
    engine = (
        _engine(settings, ports, command_log, snapshots, clients, stack)
        if settings.engine.enabled
        else None
    )
    return Container(
        settings=settings,
        ports=ports,
        command_log=command_log,
        snapshots=snapshots,
        throttle=LimitsThrottle(settings.rate_limit_storage, settings.rate_budgets),
        engine=engine,
        identity=_cognito(settings, clients, ports.clock),
        passwords=(
            CognitoPasswordAuth(clients, client_id=settings.cognito_client_id)
            if settings.cognito_client_id
            else None  # the portal then shows only the explanatory sign-in page
        ),
        dynamodb_calls=db.log,
    )


def _engine(
    settings: Settings,
    ports: Ports,
    command_log: CommandLogStore,
    snapshots: ClusterSnapshotStore,
    clients: AwsClients,
    stack: AsyncExitStack,
) -> EngineDeps:
    """ParallelCluster needs the AWS clients (FSx export); the other modes do not. SSH
    connections are closed with the rest of the clients."""
    engine = settings.engine
    if engine.cluster_mode != "pcluster":
        deps = engine_deps(ports, command_log, engine, settings.aws_region, snapshots=snapshots)
        _close_with(deps.shell, stack)
        return deps
    from ursa.adapters.direct import DirectStager
    from ursa.adapters.fsx import FsxExporter
    from ursa.adapters.pcluster.gateway import PclusterGateway, PclusterSettings

    shell = ssh_shell(engine)
    _close_with(shell, stack)
    return EngineDeps(
        ports=ports,
        shell=shell,
        clusters=PclusterGateway(
            PclusterSettings(
                pcluster_path=engine.pcluster_path,
                regions=engine.cluster_regions or (settings.aws_region,),
                endpoint_url=settings.aws_endpoint_url,
                ssh_user=engine.head_user,
            )
        ),
        stager=DirectStager(
            shell, ports.objects, max_file_bytes=engine.max_transfer_bytes, timeout_s=600.0
        ),
        exporter=FsxExporter(clients),
        command_log=command_log,
        config=engine_config(engine),
        snapshots=snapshots,
    )


def _close_with(shell: RemoteShell, stack: AsyncExitStack) -> None:
    close = getattr(shell, "aclose", None)
    if close is not None:
        stack.push_async_callback(close)


def _cognito(settings: Settings, clients: AwsClients, clock: Clock) -> IdentityProvider | None:
    issuer, client_id = settings.cognito_issuer, settings.cognito_client_id
    if issuer is None or client_id is None:
        return None
    keys = JwksKeySource(settings.cognito_jwks_url or f"{issuer}/.well-known/jwks.json")
    return CognitoTokenVerifier(
        keys=keys,
        issuer=issuer,
        client_id=client_id,
        clock=clock,
        profiles=CognitoProfiles(clients, clock=clock),
    )
