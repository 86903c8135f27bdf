"""undelete_workset (T27) on the in-memory product: provider admins only, inside 30 days of the
delete and never once a purge started; a refusal writes nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from builders import ACME, ACME_ADMIN, ACME_USER, GLOBEX_ADMIN, PROVIDER
from service_world import World
from ursa.domain.enums import WorksetState
from ursa.domain.errors import Forbidden, GuardFailed, NotFound
from ursa.domain.services import lifecycle
from ursa.domain.services.submit import SubmitRequest, submit_workset
from ursa.domain.worksets import Workset

pytestmark = pytest.mark.anyio
RequestFor = Callable[..., SubmitRequest]
DAY = 86400


async def _deleted(world: World, request_for: RequestFor, *, hard: bool = False) -> Workset:
    ports = world.container.ports
    ws = (await submit_workset(ports, ACME_USER, request_for())).workset
    await lifecycle.cancel_workset(ports, ACME_USER, ws.workset_id)
    world.clock.advance(60)
    deleted = await lifecycle.delete_workset(ports, ACME_ADMIN, ws.workset_id, hard=hard)
    return deleted.workset


async def test_undelete_inside_the_window_only(world: World, request_for: RequestFor) -> None:
    ports = world.container.ports
    ws = await _deleted(world, request_for)
    for principal, error in ((ACME_USER, Forbidden), (ACME_ADMIN, Forbidden)):
        with pytest.raises(error):
            await lifecycle.undelete_workset(ports, principal, ws.workset_id, reason="x")
    with pytest.raises(NotFound):
        await lifecycle.undelete_workset(ports, GLOBEX_ADMIN, ws.workset_id, reason="x")
    world.clock.advance(30 * DAY)  # exactly 30 days after the delete: closed
    with pytest.raises(GuardFailed) as late:
        await lifecycle.undelete_workset(ports, PROVIDER, ws.workset_id, reason="too late")
    assert late.value.code == "UNDELETE_WINDOW_CLOSED"
    assert await ports.worksets.get(ws.workset_id) == ws


async def test_undelete_brings_it_back_archived_and_audited(
    world: World, request_for: RequestFor
) -> None:
    ports = world.container.ports
    ws = await _deleted(world, request_for)
    world.clock.advance(29 * DAY)
    back = await lifecycle.undelete_workset(ports, PROVIDER, ws.workset_id, reason="oops")
    assert back.state is WorksetState.ARCHIVED and back.deleted_at is None
    assert await ports.worksets.get(ws.workset_id) == back
    head = await ports.audit.head(ACME)
    assert head is not None and head.action == "workset.undelete"
    restored = await lifecycle.restore_workset(ports, ACME_USER, ws.workset_id)
    assert restored.state is WorksetState.CANCELED


async def test_no_undelete_after_a_hard_delete(world: World, request_for: RequestFor) -> None:
    ports = world.container.ports
    ws = await _deleted(world, request_for, hard=True)
    assert ws.hard_delete and ws.purged_at == world.clock.now()
    with pytest.raises(GuardFailed) as refused:
        await lifecycle.undelete_workset(ports, PROVIDER, ws.workset_id, reason="please")
    assert refused.value.code == "PURGE_STARTED"
    assert await ports.worksets.get(ws.workset_id) == ws
