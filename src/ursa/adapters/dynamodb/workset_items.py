"""Workset-partition items (``WS#<id>``): the aggregate, its samples, history and events,
and the index attributes that serve every listing and the claim queue."""

from __future__ import annotations

from ursa.adapters.dynamodb.items import dump_doc, sortable
from ursa.adapters.dynamodb.store import DocItem, IndexKeys
from ursa.domain.enums import WorksetState
from ursa.domain.events import DomainEvent
from ursa.domain.samples import Sample
from ursa.domain.worksets import HistoryEntry, Workset

ALL_WORKSETS = "WS#ALL"
QUEUE_READY = "QUEUE#ready"
QUEUE_RETRYING = "QUEUE#retrying"
QUEUE_LEASED = "QUEUE#leased"


def workset_pk(workset_id: str) -> str:
    return f"WS#{workset_id}"


def customer_pk(customer_id: str) -> str:
    return f"CUST#{customer_id}"


def customer_state_pk(customer_id: str, state: WorksetState) -> str:
    return f"CUST#{customer_id}#{state.value}"


def owner_pk(user_id: str) -> str:
    return f"OWNER#{user_id}"


def newest_first_sk(ws: Workset) -> str:
    return f"WS#{sortable(ws.created_at)}#{ws.workset_id}"


class WorksetItem(IndexKeys, kw_only=True):
    pk: str
    sk: str = "META"
    kind: str = "workset"
    schema: int = 1
    doc: str
    state: str
    version: int
    lease_token: int = 0
    lease_owner: str | None = None
    lease_expires_at: str | None = None
    customer_id: str
    owner_user_id: str
    priority: str
    workset_type: str
    search: str


def _queue(ws: Workset) -> tuple[str | None, str | None]:
    """Claimable worksets and running ones (for takeover) are in the sparse queue index."""
    if ws.state is WorksetState.READY:
        return QUEUE_READY, f"{ws.priority.rank:02d}#{sortable(ws.updated_at)}#{ws.workset_id}"
    if ws.state is WorksetState.RETRYING and ws.next_attempt_at is not None:
        return QUEUE_RETRYING, f"{sortable(ws.next_attempt_at)}#{ws.workset_id}"
    if ws.state is WorksetState.IN_PROGRESS:  # a released lease sorts first: take it over now
        expiry = sortable(ws.lease_expires_at) if ws.lease_expires_at else ""
        return QUEUE_LEASED, f"{expiry}#{ws.workset_id}"
    return None, None


def workset_item(ws: Workset) -> WorksetItem:
    order = newest_first_sk(ws)
    queue_pk, queue_sk = _queue(ws)
    return WorksetItem(
        pk=workset_pk(ws.workset_id),
        doc=dump_doc(ws),
        state=ws.state.value,
        version=ws.version,
        lease_token=ws.lease_token,
        lease_owner=ws.lease_owner,
        lease_expires_at=sortable(ws.lease_expires_at) if ws.lease_expires_at else None,
        customer_id=ws.customer_id,
        owner_user_id=ws.owner_user_id,
        priority=ws.priority.value,
        workset_type=ws.workset_type.value,
        search=f"{ws.name.lower()}\n{ws.workset_id}",
        gsi1pk=customer_pk(ws.customer_id),
        gsi1sk=order,
        gsi2pk=customer_state_pk(ws.customer_id, ws.state),
        gsi2sk=order,
        gsi3pk=owner_pk(ws.owner_user_id),
        gsi3sk=order,
        gsi4pk=ALL_WORKSETS,
        gsi4sk=order,
        gsi5pk=queue_pk,
        gsi5sk=queue_sk,
    )


def sample_item(position: int, sample: Sample) -> DocItem:
    return DocItem(
        pk=workset_pk(sample.workset_id),
        sk=f"SAMPLE#{position:06d}",
        kind="sample",
        doc=dump_doc(sample),
    )


def history_item(workset_id: str, entry: HistoryEntry) -> DocItem:
    return DocItem(
        pk=workset_pk(workset_id), sk=f"HIST#{entry.seq:08d}", kind="history", doc=dump_doc(entry)
    )


def event_item(workset_id: str, event: DomainEvent) -> DocItem:
    return DocItem(
        pk=workset_pk(workset_id), sk=f"EVT#{event.event_id}", kind="event", doc=dump_doc(event)
    )
