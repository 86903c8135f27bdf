"""The AWS side of the CLI: ``ursa aws setup|status`` and ``ursa dev --aws-emulator``."""

from __future__ import annotations

import asyncio
import json
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import UTC, datetime

from ursa.adapters.aws.clients import AwsClients
from ursa.adapters.dynamodb.table import SetupReport, ensure_table, table_status
from ursa.app.container import Container
from ursa.app.container_aws import aws_options, build_aws
from ursa.app.emulator import AwsEmulator, use_fake_credentials
from ursa.app.emulator_seed import S3DemoObjects, nominal_view
from ursa.app.settings import Settings


async def setup(settings: Settings, *, dry_run: bool) -> SetupReport:
    async with AsyncExitStack() as stack:
        client = await AwsClients(aws_options(settings), stack).client("dynamodb")
        return await ensure_table(client, settings.aws_table, dry_run=dry_run)


async def status(settings: Settings) -> dict[str, object]:
    async with AsyncExitStack() as stack:
        client = await AwsClients(aws_options(settings), stack).client("dynamodb")
        return await table_status(client, settings.aws_table)


def run_setup(settings: Settings, *, dry_run: bool) -> None:
    for line in asyncio.run(setup(settings, dry_run=dry_run)).lines():
        print(line)


def run_status(settings: Settings) -> None:
    print(json.dumps(asyncio.run(status(settings)), indent=2))


async def seeded_aws(
    settings: Settings, stack: AsyncExitStack, now: datetime
) -> tuple[Container, SetupReport]:
    """Set up the table, then play the demo seed through the real adapters."""
    from ursa.adapters.memory.seed import seed_demo

    clients = AwsClients(aws_options(settings), stack)
    report = await ensure_table(await clients.client("dynamodb"), settings.aws_table)
    container = await build_aws(settings, stack)
    demo = S3DemoObjects(await clients.client("s3"), settings.aws_region)
    ports = replace(container.ports, objects=nominal_view(container.ports.objects, demo))
    container.seeded_tokens.update(await seed_demo(ports, demo, now))
    return container, report


async def _seed(settings: Settings) -> dict[str, str]:
    async with AsyncExitStack() as stack:
        container, report = await seeded_aws(settings, stack, datetime.now(UTC))
    for line in report.lines():
        print(line)
    return container.seeded_tokens


def emulated_settings(
    settings: Settings, endpoint_url: str | None
) -> tuple[Settings, AwsEmulator | None]:
    """Start an embedded emulator unless ``endpoint_url`` names one already running."""
    use_fake_credentials()
    emulator = None
    if endpoint_url is None:
        emulator = AwsEmulator()
        endpoint_url = emulator.start()
        print(f"AWS emulator (moto) on {endpoint_url}")
    return replace(settings, store="aws", aws_endpoint_url=endpoint_url), emulator


def seed_emulator(settings: Settings) -> dict[str, str]:
    return asyncio.run(_seed(settings))
