"""16 claimers (asyncio tasks here plus two OS processes) race for one READY workset on the
moto server, 200 times: exactly one wins each time and the fencing token moves by one."""

from __future__ import annotations

import asyncio
import multiprocessing
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

import pytest

from aws_support import REGION, reset_moto
from builders import USER_ACTOR, make_workset
from claim_race import claim_once, worker
from ursa.adapters.aws.clients import AwsClients, AwsOptions
from ursa.adapters.dynamodb.batches import batch_write
from ursa.adapters.dynamodb.table import ensure_table
from ursa.adapters.dynamodb.worksets import DynamoWorksetRepository
from ursa.adapters.memory.system import SystemClock
from ursa.domain.creation import created

pytestmark = pytest.mark.anyio

TABLE = "ursa-race"
ROUNDS = int(__import__("os").environ.get("RACE_ROUNDS", "200"))
IN_PROCESS = 8
PER_PROCESS = 4
PROCESSES = 2
JITTER_S = 0.004


async def _forget(client: Any, workset_id: str) -> None:
    """moto deep-copies the whole table on every transaction, so keep the table small."""
    found = await client.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"WS#{workset_id}"}},
        ProjectionExpression="pk, sk",
    )
    await batch_write(client, TABLE, deletes=found["Items"])


async def test_exactly_one_claimer_wins_every_round(moto_endpoint: str) -> None:
    context = multiprocessing.get_context("spawn")
    pipes, procs = [], []
    async with AsyncExitStack() as stack:
        clients = AwsClients(AwsOptions(region=REGION, endpoint_url=moto_endpoint), stack)
        client = await clients.client("dynamodb")
        await ensure_table(client, TABLE)
        repo = DynamoWorksetRepository(client, TABLE, b"race")
        try:
            for _ in range(PROCESSES):
                ours, theirs = context.Pipe()
                proc = context.Process(
                    target=worker, args=(theirs, moto_endpoint, TABLE, PER_PROCESS), daemon=True
                )
                proc.start()
                pipes.append(ours)
                procs.append(proc)
            for pipe in pipes:
                assert await asyncio.to_thread(pipe.recv) == "ready"
            clock = SystemClock()
            double_claims = 0
            for round_ in range(ROUNDS):
                ws = make_workset(workset_id=f"race-{round_:04d}-{round_:08x}", lease_token=round_)
                await repo.create(
                    created(ws, event="submit", actor=USER_ACTOR, now=ws.created_at), []
                )
                for pipe in pipes:
                    pipe.send((ws.workset_id, JITTER_S))
                snapshot = await repo.get(ws.workset_id)
                local = asyncio.gather(
                    *(
                        claim_once(repo, clock, snapshot, f"local/{i}", JITTER_S)
                        for i in range(IN_PROCESS)
                    )
                )
                remote = [asyncio.to_thread(pipe.recv) for pipe in pipes]
                outcomes = list(await local)
                for answer in await asyncio.gather(*remote):
                    outcomes += answer
                assert len(outcomes) == IN_PROCESS + PROCESSES * PER_PROCESS == 16
                winners = [o for o in outcomes if o.startswith("won:")]
                assert set(outcomes) <= {*winners, "conflict"}
                double_claims += max(0, len(winners) - 1)
                assert winners == [f"won:{round_ + 1}"], (round_, outcomes)
                stored = await repo.get(ws.workset_id)
                assert stored.lease_token == round_ + 1 and stored.version == ws.version + 1
                assert replace(stored, lease_owner=None).attempts == ws.attempts + 1
                await _forget(client, ws.workset_id)
            assert double_claims == 0
        finally:
            for pipe in pipes:
                pipe.send(None)
            for proc in procs:
                proc.join(timeout=10)
                if proc.is_alive():
                    proc.kill()
            reset_moto(moto_endpoint)
