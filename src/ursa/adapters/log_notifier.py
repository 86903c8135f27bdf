"""A Notifier for deployments without a topic: one log line per event, nothing kept in memory
(the events are stored with their transition anyway)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ursa.domain.events import DomainEvent

log = logging.getLogger("ursa.events")


class LogNotifier:
    async def publish(self, events: Sequence[DomainEvent]) -> None:
        for event in events:
            log.info(
                "event %s %s workset=%s customer=%s",
                event.type,
                event.event_id,
                event.workset_id,
                event.customer_id,
            )
