"""list_results and result_download: a workset's exported results (§4.9) and presigned
links to fetch them. Reads only; tenancy as for the workset itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ursa.domain.errors import NotFound
from ursa.domain.events import DomainEvent
from ursa.domain.ports import Page
from ursa.domain.principals import Principal
from ursa.domain.result_keys import ResultObject, check_result_key, result_object, results_prefix
from ursa.domain.services.context import Ports
from ursa.domain.services.queries import load_visible

DOWNLOAD_TTL_S = 15 * 60
"""Presigned download links live 15 minutes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Download:
    url: str
    expires_at: datetime
    size: int


async def list_results(
    ports: Ports, principal: Principal, workset_id: str, *, limit: int, cursor: str | None
) -> Page[ResultObject]:
    """One page of the objects under the results prefix, in key order. The cursor is the
    object store's own (signed, bound to this prefix: another one is ``InvalidInput``)."""
    ws = await load_visible(ports, principal, workset_id)
    page = await ports.objects.list(
        ws.bucket, results_prefix(ws.prefix), limit=limit, cursor=cursor
    )
    sample_ids = [s.sample_id for s in await ports.worksets.samples(workset_id)]
    items = tuple(
        result_object(
            key=facts.key,
            size=facts.size,
            etag=facts.etag,
            storage_class=facts.storage_class,
            workset_prefix=ws.prefix,
            build=ws.genome_build,
            sample_ids=sample_ids,
        )
        for facts in page.items
    )
    return Page(items=items, next_cursor=page.next_cursor)


async def result_download(
    ports: Ports, principal: Principal, workset_id: str, key: str
) -> Download:
    """A presigned GET for one result object. The workset is checked first (an invisible
    one is 404 whatever the key), then the key (``InvalidInput`` outside the results
    prefix), then the object (``NotFound`` when it is not there)."""
    ws = await load_visible(ports, principal, workset_id)
    check_result_key(key, ws.prefix)
    facts = await ports.objects.head(ws.bucket, key)
    if facts is None:
        raise NotFound("no such result object")
    now = ports.clock.now()
    expires_at = now + timedelta(seconds=DOWNLOAD_TTL_S)
    url = await ports.objects.presign_get(ws.bucket, key, expires_s=DOWNLOAD_TTL_S)
    # §9.5: until access logs are metered, each issued link estimates one download.
    link = DomainEvent(
        event_id=f"{ws.workset_id}:link:{ports.ids.hex8()}{ports.ids.hex8()}",
        type="delivery.link_issued",
        occurred_at=now,
        customer_id=ws.customer_id,
        actor=principal.actor,
        aggregate_version=ws.version,
        workset_id=ws.workset_id,
        payload={"key": key, "bytes": facts.size, "expires_at": expires_at.isoformat()},
    )
    await ports.notifier.publish((link,))
    return Download(url=url, expires_at=expires_at, size=facts.size)
