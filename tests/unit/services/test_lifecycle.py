"""List, get, cancel, archive, delete, clone-retry and approve on the in-memory product."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from builders import ACME_ADMIN, ACME_COLLEAGUE, ACME_USER, GLOBEX_ADMIN, PROVIDER
from service_world import World
from ursa.domain import runs
from ursa.domain.diagnostics import Evidence
from ursa.domain.enums import SampleState, WorksetState
from ursa.domain.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from ursa.domain.ports import WorksetQuery
from ursa.domain.principals import ENGINE, Principal
from ursa.domain.samples import apply_sample
from ursa.domain.services import lifecycle, queries, quotes, retry
from ursa.domain.services.context import commit
from ursa.domain.services.run_outcomes import record_failure
from ursa.domain.services.submit import SubmitRequest, submit_workset
from ursa.domain.worksets import Workset

pytestmark = pytest.mark.anyio
RequestFor = Callable[..., SubmitRequest]


async def _submit(
    world: World, request_for: RequestFor, n: int = 1, principal: Principal = ACME_USER
) -> list[Workset]:
    out = []
    for i in range(n):
        world.clock.advance(60)
        result = await submit_workset(
            world.container.ports,
            principal,
            request_for(key=f"key-{principal.user_id}-{i:04d}", name=f"batch {i}"),
        )
        out.append(result.workset)
    return out


async def test_listing_is_tenant_scoped_and_paged(world: World, request_for: RequestFor) -> None:
    ports = world.container.ports
    mine = await _submit(world, request_for, 5)
    await _submit(world, request_for, 2, principal=ACME_COLLEAGUE)
    await _submit(world, request_for, 1, principal=GLOBEX_ADMIN)
    first = await queries.list_worksets(ports, ACME_USER, WorksetQuery(limit=3))
    second = await queries.list_worksets(
        ports, ACME_USER, WorksetQuery(limit=3, cursor=first.next_cursor)
    )
    ids = [w.workset_id for w in first.items + second.items]
    assert ids == [w.workset_id for w in reversed(mine)] and second.next_cursor is None
    assert len((await queries.list_worksets(ports, ACME_ADMIN, WorksetQuery())).items) == 7
    assert len((await queries.list_worksets(ports, PROVIDER, WorksetQuery())).items) == 8
    spoofed = WorksetQuery(customer_id="globex-bio-7d20e4c1")
    assert len((await queries.list_worksets(ports, ACME_ADMIN, spoofed)).items) == 7
    with pytest.raises(InvalidInput, match="cursor"):
        await queries.list_worksets(ports, ACME_USER, WorksetQuery(cursor="forged"))


async def test_other_tenants_get_not_found(world: World, request_for: RequestFor) -> None:
    (ws,) = await _submit(world, request_for)
    for outsider in (GLOBEX_ADMIN, ACME_COLLEAGUE):
        with pytest.raises(NotFound):
            await queries.get_workset(world.container.ports, outsider, ws.workset_id)
        with pytest.raises(NotFound):
            await lifecycle.cancel_workset(world.container.ports, outsider, ws.workset_id)


async def test_cancel_queued_work_is_immediate_and_idempotent(
    world: World, request_for: RequestFor
) -> None:
    ports = world.container.ports
    (ws,) = await _submit(world, request_for)
    result = await lifecycle.cancel_workset(ports, ACME_USER, ws.workset_id, reason="dup")
    assert result.outcome is lifecycle.CancelOutcome.CANCELED
    samples = await ports.worksets.samples(ws.workset_id)
    assert {s.state for s in samples} == {SampleState.CANCELED}
    again = await lifecycle.cancel_workset(ports, ACME_USER, ws.workset_id)
    assert again.outcome is lifecycle.CancelOutcome.ALREADY
    assert len(await ports.worksets.history(ws.workset_id)) == 2


async def test_cancel_running_work_asks_the_engine(world: World, request_for: RequestFor) -> None:
    ports = world.container.ports
    (ws,) = await _submit(world, request_for)
    await commit(ports, runs.claim(ws, actor=ENGINE, owner="h/1/x", now=world.clock.now()))
    result = await lifecycle.cancel_workset(ports, ACME_ADMIN, ws.workset_id, reason="wrong ref")
    assert result.outcome is lifecycle.CancelOutcome.STOPPING
    assert (await ports.worksets.history(ws.workset_id))[-1].reason == "wrong ref"
    assert result.workset.state is WorksetState.IN_PROGRESS and result.workset.cancel_pending
    again = await lifecycle.cancel_workset(ports, ACME_ADMIN, ws.workset_id)
    assert again.outcome is lifecycle.CancelOutcome.ALREADY


async def test_archive_restore_delete(world: World, request_for: RequestFor) -> None:
    ports = world.container.ports
    (ws,) = await _submit(world, request_for)
    with pytest.raises(IllegalTransition):
        await lifecycle.archive_workset(ports, ACME_USER, ws.workset_id)
    await lifecycle.cancel_workset(ports, ACME_USER, ws.workset_id)
    archived = await lifecycle.archive_workset(ports, ACME_USER, ws.workset_id)
    assert archived.state is WorksetState.ARCHIVED
    assert (
        await lifecycle.archive_workset(ports, ACME_USER, ws.workset_id)
    ).version == archived.version
    assert (
        await lifecycle.restore_workset(ports, ACME_USER, ws.workset_id)
    ).state is WorksetState.CANCELED
    with pytest.raises(Forbidden):
        await lifecycle.delete_workset(ports, ACME_USER, ws.workset_id, hard=True)
    deleted = (await lifecycle.delete_workset(ports, ACME_USER, ws.workset_id)).workset
    assert deleted.state is WorksetState.DELETED and not deleted.hard_delete


async def _fail_one_sample(world: World, ws: Workset) -> Workset:
    ports = world.container.ports
    transition = runs.claim(ws, actor=ENGINE, owner="h/1/x", now=world.clock.now())
    await commit(ports, transition)
    samples = await ports.worksets.samples(ws.workset_id)
    staged = [apply_sample(apply_sample(s, "run_started"), "staged") for s in samples]
    staged[0] = apply_sample(staged[0], "outputs_verified")
    await ports.worksets.save_samples(ws.workset_id, staged)
    failed, diagnosis = await record_failure(
        ports,
        ws.workset_id,
        token=transition.workset.lease_token,
        evidence=Evidence(log_excerpt="ERROR: sequence and quality have different length"),
        failed_samples=(samples[1].sample_id,),
    )
    assert diagnosis.code == "WS-DAT-001"
    return failed


async def test_data_failure_parks_and_retry_failed_samples_clones(
    world: World, request_for: RequestFor
) -> None:
    ports = world.container.ports
    (ws,) = await _submit(world, request_for)
    failed = await _fail_one_sample(world, ws)
    assert failed.state is WorksetState.ERROR and failed.last_error_owner == "customer"
    clone, replayed = await retry.retry_failed_samples(
        ports, ACME_USER, ws.workset_id, idempotency_key="clone-0001"
    )
    assert not replayed and clone.state is WorksetState.READY
    assert clone.retried_from == ws.workset_id and clone.cost_cap == ws.cost_cap
    states = [s.state for s in await ports.worksets.samples(clone.workset_id)]
    assert states == [SampleState.SKIPPED, SampleState.PENDING, SampleState.PENDING]
    again, replayed = await retry.retry_failed_samples(
        ports, ACME_USER, ws.workset_id, idempotency_key="clone-0001"
    )
    assert replayed and again.workset_id == clone.workset_id
    assert (await ports.worksets.get(ws.workset_id)).version == failed.version
    assert await ports.objects.get(clone.bucket, f"{clone.prefix}stage_samples.tsv")


async def test_approve_quote(world: World, request_for: RequestFor) -> None:
    ports = world.container.ports
    (ws,) = await _submit(world, request_for, principal=GLOBEX_ADMIN)
    quote = await quotes.current_quote(ports, GLOBEX_ADMIN, ws.workset_id)
    approved = await quotes.approve_quote(ports, GLOBEX_ADMIN, ws.workset_id, quote.quote_id)
    assert approved.state is WorksetState.READY and approved.cost_cap == quote.high
    same = await quotes.approve_quote(ports, GLOBEX_ADMIN, ws.workset_id, quote.quote_id)
    assert same.version == approved.version
