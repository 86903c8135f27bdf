"""Contract of the ``Notifier`` port: ``RecordingNotifier`` and ``SnsNotifier`` on the moto
server (an SQS queue subscribed to the topic, raw delivery off) deliver the same events.

The SNS envelope (subject, message attributes, FIFO ids) has no equivalent in the recording
twin, so those tests run on SNS only.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest

from aws_support import REGION
from ursa.adapters.aws.clients import AwsClients, AwsOptions
from ursa.adapters.memory.system import RecordingNotifier
from ursa.adapters.sns import SnsNotifier
from ursa.adapters.sns.notifier import SUBJECT_MAX
from ursa.domain.events import DomainEvent
from ursa.domain.ports import Notifier
from ursa.domain.principals import Actor, ActorKind, Role

pytestmark = pytest.mark.anyio

ACME = "acme-genomics-3f9c01ab"
AT = datetime(2026, 11, 23, 10, 15, tzinfo=UTC)
ACTOR = Actor(kind=ActorKind.USER, id="u-cu", role=Role.CUSTOMER_USER)


def event(
    index: int = 0,
    *,
    type: str = "workset.submitted",
    workset_id: str | None = "acme-trio-7c1e2a9b",
    **payload: object,
) -> DomainEvent:
    return DomainEvent(
        event_id=f"{workset_id or ACME}:v1:{index}",
        type=type,
        occurred_at=AT,
        customer_id=ACME,
        actor=ACTOR,
        aggregate_version=1,
        workset_id=workset_id,
        payload=MappingProxyType(dict(payload)),
    )


@dataclass
class Delivered:
    """What a consumer sees, whichever adapter carried it."""

    event_id: str
    type: str
    workset_id: str | None
    customer_id: str
    payload: dict[str, Any]


@dataclass
class NotifierWorld:
    kind: str
    notifier: Notifier
    delivered: Callable[[], Awaitable[list[Delivered]]]


def recording_world() -> NotifierWorld:
    notifier = RecordingNotifier()

    async def delivered() -> list[Delivered]:
        return [
            Delivered(
                event_id=e.event_id,
                type=e.type,
                workset_id=e.workset_id,
                customer_id=e.customer_id,
                payload=dict(e.payload),
            )
            for e in notifier.events
        ]

    return NotifierWorld(kind="memory", notifier=notifier, delivered=delivered)


@dataclass
class Topic:
    arn: str
    queue_url: str
    sqs: Any

    async def drain(self) -> list[dict[str, Any]]:
        """Every message on the queue (SNS envelopes for non-raw delivery)."""
        out: list[dict[str, Any]] = []
        while True:
            response = await self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=0,
                AttributeNames=["All"],
            )
            messages = response.get("Messages", [])
            if not messages:
                return out
            for message in messages:
                out.append({**json.loads(message["Body"]), "_sqs": message.get("Attributes", {})})
                await self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )


async def make_topic(clients: AwsClients, *, fifo: bool = False) -> Topic:
    sns, sqs = await clients.client("sns"), await clients.client("sqs")
    suffix = ".fifo" if fifo else ""
    topic_attrs = {"FifoTopic": "true"} if fifo else {}
    queue_attrs = {"FifoQueue": "true"} if fifo else {}
    arn = (await sns.create_topic(Name=f"ursa-events{suffix}", Attributes=topic_attrs))["TopicArn"]
    queue_url = (
        await sqs.create_queue(QueueName=f"ursa-consumer{suffix}", Attributes=queue_attrs)
    )["QueueUrl"]
    queue_arn = (await sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    await sns.subscribe(
        TopicArn=arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "false"},
    )
    return Topic(arn=arn, queue_url=queue_url, sqs=sqs)


@pytest.fixture
async def clients(aws: str) -> AsyncIterator[AwsClients]:
    async with AsyncExitStack() as stack:
        yield AwsClients(AwsOptions(region=REGION, endpoint_url=aws, max_attempts=2), stack)


@pytest.fixture(params=["memory", "sns"])
async def world(request: pytest.FixtureRequest) -> AsyncIterator[NotifierWorld]:
    if request.param == "memory":
        yield recording_world()
        return
    endpoint = request.getfixturevalue("aws")
    async with AsyncExitStack() as stack:
        clients = AwsClients(
            AwsOptions(region=REGION, endpoint_url=endpoint, max_attempts=2), stack
        )
        topic = await make_topic(clients)

        async def delivered() -> list[Delivered]:
            out = []
            for envelope in await topic.drain():
                body = json.loads(envelope["Message"])
                out.append(
                    Delivered(
                        event_id=body["event_id"],
                        type=body["type"],
                        workset_id=body["workset_id"],
                        customer_id=body["customer_id"],
                        payload=body["payload"],
                    )
                )
            return out

        yield NotifierWorld(
            kind="sns", notifier=SnsNotifier(clients, topic.arn), delivered=delivered
        )


def unique(delivered: list[Delivered]) -> dict[str, Delivered]:
    """What a consumer keeps after deduplicating by event id."""
    return {d.event_id: d for d in delivered}


# --- both adapters ---------------------------------------------------------------------------


async def test_published_events_reach_the_consumer(world: NotifierWorld) -> None:
    first = event(0, name="acme trio", priority="high", sample_count=3)
    second = event(1, type="workset.started", state="running")
    await world.notifier.publish([first, second])
    got = unique(await world.delivered())
    assert got == {
        first.event_id: Delivered(
            event_id=first.event_id,
            type="workset.submitted",
            workset_id="acme-trio-7c1e2a9b",
            customer_id=ACME,
            payload={"name": "acme trio", "priority": "high", "sample_count": 3},
        ),
        second.event_id: Delivered(
            event_id=second.event_id,
            type="workset.started",
            workset_id="acme-trio-7c1e2a9b",
            customer_id=ACME,
            payload={"state": "running"},
        ),
    }


async def test_a_republished_event_is_deduplicated_by_the_consumer(world: NotifierWorld) -> None:
    await world.notifier.publish([event(0)])
    await world.notifier.publish([event(0)])
    delivered = await world.delivered()
    assert 1 <= len(delivered) <= 2  # at least once
    assert list(unique(delivered)) == [event(0).event_id]


async def test_more_than_one_batch_and_nothing(world: NotifierWorld) -> None:
    await world.notifier.publish([])
    events = [event(i) for i in range(23)]
    await world.notifier.publish(events)
    assert set(unique(await world.delivered())) == {e.event_id for e in events}


# --- the SNS envelope ----------------------------------------------------------------------


async def test_sns_message_attributes_subject_and_body(clients: AwsClients) -> None:
    topic = await make_topic(clients)
    notifier = SnsNotifier(clients, topic.arn)
    full = event(0, name="acme trio", state="ready", priority="high")
    bare = event(1, type="customer.budget_exceeded", workset_id=None)
    await notifier.publish([full, bare])
    envelopes = {json.loads(e["Message"])["event_id"]: e for e in await topic.drain()}

    got = envelopes[full.event_id]
    assert got["Type"] == "Notification" and got["TopicArn"] == topic.arn
    assert got["Subject"] == "Ursa workset.submitted acme-trio-7c1e2a9b: acme trio"
    assert got["MessageAttributes"] == {
        "workset_id": {"Type": "String", "Value": "acme-trio-7c1e2a9b"},
        "event_type": {"Type": "String", "Value": "workset.submitted"},
        "state": {"Type": "String", "Value": "ready"},
        "priority": {"Type": "String", "Value": "high"},
    }
    assert json.loads(got["Message"]) == {
        "event_id": full.event_id,
        "type": "workset.submitted",
        "occurred_at": "2026-11-23T10:15:00Z",
        "customer_id": ACME,
        "actor": {"kind": "user", "id": "u-cu", "role": "customer_user"},
        "aggregate_version": 1,
        "workset_id": "acme-trio-7c1e2a9b",
        "sample_id": None,
        "run_id": None,
        "correlation_id": None,
        "payload": {"name": "acme trio", "state": "ready", "priority": "high"},
    }

    lean = envelopes[bare.event_id]
    assert lean["Subject"] == "Ursa customer.budget_exceeded"
    assert lean["MessageAttributes"] == {
        "event_type": {"Type": "String", "Value": "customer.budget_exceeded"}
    }


async def test_sns_subject_is_trimmed_to_printable_ascii(clients: AwsClients) -> None:
    topic = await make_topic(clients)
    name = "Trio\nrun\r\n\tfür Ünïcode — " + "x" * 300
    await SnsNotifier(clients, topic.arn).publish([event(0, name=name)])
    (envelope,) = await topic.drain()
    subject = envelope["Subject"]
    assert len(subject) <= SUBJECT_MAX < 100
    assert subject.isascii() and subject.isprintable() and "\n" not in subject
    assert subject.startswith("Ursa workset.submitted acme-trio-7c1e2a9b: Trio run f r ")
    assert subject.endswith("...")
    assert json.loads(envelope["Message"])["payload"]["name"] == name  # the body keeps it all


async def test_sns_fifo_topic_groups_by_workset_and_dedups_by_event_id(
    clients: AwsClients,
) -> None:
    topic = await make_topic(clients, fifo=True)
    notifier = SnsNotifier(clients, topic.arn)
    await notifier.publish([event(0), event(1)])
    await notifier.publish([event(0)])  # a retried commit republishes the same event
    envelopes = await topic.drain()
    assert sorted(json.loads(e["Message"])["event_id"] for e in envelopes) == [
        event(0).event_id,
        event(1).event_id,
    ]
    for envelope in envelopes:
        assert envelope["_sqs"]["MessageGroupId"] == "acme-trio-7c1e2a9b"
        assert (
            envelope["_sqs"]["MessageDeduplicationId"]
            == json.loads(envelope["Message"])["event_id"]
        )


async def test_large_events_are_split_across_requests(world: NotifierWorld) -> None:
    events = [event(i, blob="x" * 60_000) for i in range(7)]
    await world.notifier.publish(events)
    got = unique(await world.delivered())
    assert set(got) == {e.event_id for e in events}
    assert all(len(str(d.payload["blob"])) == 60_000 for d in got.values())
