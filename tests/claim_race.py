"""Claimers for the race test: each reads the workset, waits a random moment and tries the
domain's claim through the DynamoDB adapter. Runs in the test process and in worker processes."""

from __future__ import annotations

import asyncio
import os
import random
from contextlib import AsyncExitStack
from multiprocessing.connection import Connection

from ursa.adapters.aws.clients import AwsClients, AwsOptions
from ursa.adapters.dynamodb.worksets import DynamoWorksetRepository
from ursa.domain import runs
from ursa.domain.errors import Conflict
from ursa.domain.ports import Clock, WorksetRepository
from ursa.domain.principals import ENGINE
from ursa.domain.worksets import Workset

REGION = "us-east-1"


async def claim_once(
    repo: WorksetRepository, clock: Clock, ws: Workset, owner: str, jitter_s: float
) -> str:
    """Returns won:<token> or conflict; anything else is a bug the test reports. Every
    claimer starts from the same READY snapshot, as engines that polled the queue together."""
    await asyncio.sleep(random.uniform(0, jitter_s))
    try:
        transition = runs.claim(ws, actor=ENGINE, owner=owner, now=clock.now())
        await repo.commit(transition)
    except Conflict:
        return "conflict"
    return f"won:{transition.workset.lease_token}"


async def _serve(conn: Connection, endpoint: str, table: str, claimers: int) -> None:
    from ursa.adapters.memory.system import SystemClock

    async with AsyncExitStack() as stack:
        clients = AwsClients(AwsOptions(region=REGION, endpoint_url=endpoint), stack)
        repo = DynamoWorksetRepository(await clients.client("dynamodb"), table, b"race")
        clock = SystemClock()
        conn.send("ready")
        while True:
            message = await asyncio.to_thread(conn.recv)
            if message is None:
                return
            workset_id, jitter_s = message
            owners = [f"proc-{os.getpid()}/{i}" for i in range(claimers)]
            snapshot = await repo.get(workset_id)
            results = await asyncio.gather(
                *(claim_once(repo, clock, snapshot, o, jitter_s) for o in owners)
            )
            conn.send(results)


def worker(conn: Connection, endpoint: str, table: str, claimers: int) -> None:
    """Process entry: answer each (workset_id, jitter) with the outcomes of its claimers."""
    asyncio.run(_serve(conn, endpoint, table, claimers))
