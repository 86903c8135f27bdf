"""``Notifier`` over SNS: one message per domain event, published in batches of ten.

Message: the event as JSON. Subject: ``Ursa <type> <workset>: <name>`` made SNS-safe (printable
ASCII, no line breaks, at most ``SUBJECT_MAX`` characters). Message attributes (String, only the
ones present) let subscriptions filter: ``workset_id``, ``event_type``, ``state`` and ``priority``
(the last two from the payload). A FIFO topic (ARN ending in ``.fifo``) gets
``MessageGroupId`` = workset id (customer id when there is none) and
``MessageDeduplicationId`` = event id, so SNS drops a republished event within its
five-minute window. Delivery is at least once either way: consumers deduplicate by event id.
A batch with failed entries raises ``Unavailable``; the caller republishes the whole list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from ursa.adapters.aws.clients import AwsClients
from ursa.adapters.aws.errors import translated
from ursa.domain.errors import InvalidInput, Unavailable
from ursa.domain.events import DomainEvent

BATCH = 10
BATCH_BYTES = 240 * 1024  # SNS caps a whole batch at 256 KiB, attributes included
SUBJECT_MAX = 99  # SNS: "less than 100 characters"
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]+")
_SPACES = re.compile(r" {2,}")


def _enc_hook(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def event_message(event: DomainEvent) -> str:
    """The event as JSON (payload mappings become objects, unknown values strings)."""
    return msgspec.json.encode(event, enc_hook=_enc_hook).decode()


def event_subject(event: DomainEvent) -> str:
    name = event.payload.get("name")
    text = f"Ursa {event.type}"
    if event.workset_id:
        text += f" {event.workset_id}"
    if isinstance(name, str) and name.strip():
        text += f": {name}"
    return safe_subject(text)


def safe_subject(text: str) -> str:
    """Printable ASCII only, whitespace runs collapsed, trimmed to ``SUBJECT_MAX``."""
    flat = _SPACES.sub(" ", _NOT_PRINTABLE_ASCII.sub(" ", text)).strip()
    if len(flat) > SUBJECT_MAX:
        flat = flat[: SUBJECT_MAX - 3].rstrip() + "..."
    return flat or "Ursa event"


def event_attributes(event: DomainEvent) -> dict[str, dict[str, str]]:
    values = {
        "workset_id": event.workset_id,
        "event_type": event.type,
        "state": event.payload.get("state"),
        "priority": event.payload.get("priority"),
    }
    return {
        name: {"DataType": "String", "StringValue": str(value)}
        for name, value in values.items()
        if value is not None and str(value) != ""
    }


class SnsNotifier:
    """Implements ``Notifier`` on one topic."""

    def __init__(self, clients: AwsClients, topic_arn: str) -> None:
        self._clients = clients
        self._topic_arn = topic_arn
        self._fifo = topic_arn.endswith(".fifo")

    def _entry(self, index: int, event: DomainEvent) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Id": f"e{index}",
            "Message": event_message(event),
            "Subject": event_subject(event),
            "MessageAttributes": event_attributes(event),
        }
        if self._fifo:
            entry["MessageGroupId"] = event.workset_id or event.customer_id
            entry["MessageDeduplicationId"] = event.event_id[:128]
        return entry

    def _batches(self, events: Sequence[DomainEvent]) -> list[list[dict[str, Any]]]:
        """At most ``BATCH`` entries and ``BATCH_BYTES`` of messages per request."""
        batches: list[list[dict[str, Any]]] = []
        size = 0
        for event in events:
            entry = self._entry(0, event)
            entry_size = len(entry["Message"].encode()) + len(entry["Subject"])
            if entry_size > BATCH_BYTES:
                raise InvalidInput(f"event {event.event_id} is too large for SNS")
            if not batches or len(batches[-1]) == BATCH or size + entry_size > BATCH_BYTES:
                batches.append([])
                size = 0
            entry["Id"] = f"e{len(batches[-1])}"
            batches[-1].append(entry)
            size += entry_size
        return batches

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        if not events:
            return
        sns = await self._clients.client("sns")
        for entries in self._batches(events):
            with translated("publish events"):
                response = await sns.publish_batch(
                    TopicArn=self._topic_arn, PublishBatchRequestEntries=entries
                )
            failed = response.get("Failed") or []
            if failed:
                codes = sorted({str(f.get("Code", "?")) for f in failed})
                raise Unavailable(
                    f"publish events: {len(failed)} not published ({', '.join(codes)})"
                )
