"""Retry as a clone (§3.5, T4) on the in-memory product: the clone re-takes its input pins and
carries a fresh quote of its own, an input that vanished refuses it (naming the sample and
the object), and a replay of the same key returns the same clone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

import pytest

from builders import ACME, ACME_USER
from service_world import LAB_BUCKET, MANIFEST, World
from ursa.domain.enums import SampleState, WorksetState
from ursa.domain.errors import Conflict, GuardFailed, InvalidInput
from ursa.domain.ports import WorksetQuery
from ursa.domain.services import lifecycle, retry
from ursa.domain.services.submit import SubmitRequest, submit_workset
from ursa.domain.worksets import Workset

pytestmark = pytest.mark.anyio
RequestFor = Callable[..., SubmitRequest]
GIB = 2**30
ROWS = [line.split("\t") for line in MANIFEST.decode().splitlines()[1:]]


def _key(sample: str, read: int, lane: int = 1) -> str:
    """The fixture object of one sample's read (R1/R2) in one lane."""
    column = 10 if read == 1 else 11
    (uri,) = [r[column] for r in ROWS if r[1] == sample and f"_L00{lane}_" in r[column]]
    return uri.removeprefix(f"s3://{LAB_BUCKET}/")


async def _ended(world: World, request_for: RequestFor) -> Workset:
    """A submitted, then canceled workset (cloneable); its inputs are as submitted."""
    ports = world.container.ports
    ws = (await submit_workset(ports, ACME_USER, request_for())).workset
    world.clock.advance(60)
    return (await lifecycle.cancel_workset(ports, ACME_USER, ws.workset_id)).workset


async def _worksets(world: World) -> set[str]:
    page = await world.container.ports.worksets.list(WorksetQuery(include_archived=True))
    return {w.workset_id for w in page.items}


async def _set_states(world: World, workset_id: str, **states: SampleState) -> None:
    worksets = world.container.ports.worksets
    samples = await worksets.samples(workset_id)
    await worksets.save_samples(
        workset_id, [replace(s, state=states.get(s.sample_id, s.state)) for s in samples]
    )


async def test_the_clone_re_takes_its_pins_and_carries_a_fresh_quote(
    world: World, request_for: RequestFor
) -> None:
    ports, objects = world.container.ports, world.container.objects
    assert objects is not None
    original = await _ended(world, request_for)
    old_quote = await ports.quotes.get(original.quote_id or "")
    objects.seed_object(LAB_BUCKET, _key("HG003", 1), 45 * GIB)  # re-uploaded since
    world.clock.advance(60)
    clone, replayed = await retry.retry_as_clone(
        ports, ACME_USER, original.workset_id, idempotency_key="clone-pins-0001"
    )
    assert not replayed and clone.state is WorksetState.READY
    before = {p.uri: p for p in original.input_pins}
    after = {p.uri: p for p in clone.input_pins}
    assert set(after) == set(before)
    changed = {uri for uri in after if after[uri] != before[uri]}
    assert changed == {f"s3://{LAB_BUCKET}/{_key('HG003', 1)}"}
    (uri,) = changed
    assert after[uri].size == 45 * GIB and after[uri].etag != before[uri].etag
    quote = await ports.quotes.get(clone.quote_id or "")
    assert quote.workset_id == clone.workset_id and quote.created_at == world.clock.now()
    assert clone.quote_id != original.quote_id and clone.cost_estimate == quote.point
    assert quote.point > old_quote.point  # priced on the bigger input
    assert clone.cost_cap == original.cost_cap  # the approval is inherited
    samples = {s.sample_id: s for s in await ports.worksets.samples(clone.workset_id)}
    assert samples["HG003"].input_bytes == 75 * GIB
    assert sum(s.cost_estimate for s in samples.values()) == sum(
        line.amount for line in quote.lines
    )
    assert await ports.worksets.get(original.workset_id) == original  # untouched
    assert await ports.quotes.get(original.quote_id or "") == old_quote


async def test_a_vanished_input_refuses_the_retry_and_writes_nothing(
    world: World, request_for: RequestFor
) -> None:
    ports, objects = world.container.ports, world.container.objects
    assert objects is not None
    original = await _ended(world, request_for)
    existing = await _worksets(world)
    audit = await ports.audit.head(ACME)
    await ports.objects.delete(LAB_BUCKET, _key("HG004", 2))
    with pytest.raises(InvalidInput) as refused:
        await retry.retry_as_clone(
            ports, ACME_USER, original.workset_id, idempotency_key="clone-gone-0001"
        )
    (issue,) = refused.value.issues
    assert (issue.field, issue.row, issue.code) == ("R2_FQ", 5, "INPUT_NOT_FOUND")
    assert "sample HG004" in issue.message and _key("HG004", 2) in issue.message
    assert await _worksets(world) == existing and await ports.audit.head(ACME) == audit
    # The key was given back: once the object is there again, the same key clones.
    objects.seed_object(LAB_BUCKET, _key("HG004", 2), 30 * GIB)
    clone, replayed = await retry.retry_as_clone(
        ports, ACME_USER, original.workset_id, idempotency_key="clone-gone-0001"
    )
    assert not replayed and clone.retried_from == original.workset_id


async def test_a_replay_returns_the_same_clone_and_quotes_once(
    world: World, request_for: RequestFor
) -> None:
    ports = world.container.ports
    original = await _ended(world, request_for)
    first, _ = await retry.retry_as_clone(
        ports, ACME_USER, original.workset_id, idempotency_key="clone-twice-001", reason="x"
    )
    world.clock.advance(5)
    again, replayed = await retry.retry_as_clone(
        ports, ACME_USER, original.workset_id, idempotency_key="clone-twice-001", reason="x"
    )
    assert replayed and again == first
    assert await _worksets(world) == {original.workset_id, first.workset_id}


async def test_retry_failed_pins_and_prices_only_the_samples_it_runs(
    world: World, request_for: RequestFor
) -> None:
    ports = world.container.ports
    original = await _ended(world, request_for)
    await _set_states(
        world, original.workset_id, HG002=SampleState.SUCCEEDED, HG003=SampleState.FAILED
    )
    await ports.objects.delete(LAB_BUCKET, _key("HG002", 1))  # cleaned up after success
    clone, _ = await retry.retry_failed_samples(
        ports, ACME_USER, original.workset_id, idempotency_key="clone-failed-001"
    )
    assert not any("HG002" in p.uri for p in clone.input_pins)
    assert {p.uri.rsplit("/", 1)[1][:5] for p in clone.input_pins} == {"HG003", "HG004"}
    quote = await ports.quotes.get(clone.quote_id or "")
    assert {line.sample_id for line in quote.lines} == {"HG003", "HG004"}
    samples = {s.sample_id: s for s in await ports.worksets.samples(clone.workset_id)}
    assert samples["HG002"].state is SampleState.SKIPPED
    assert samples["HG002"].cost_estimate == Decimal(0)
    assert {samples[s].state for s in ("HG003", "HG004")} == {SampleState.PENDING}
    # Retrying every sample needs HG002's inputs again.
    with pytest.raises(InvalidInput) as refused:
        await retry.retry_as_clone(
            ports, ACME_USER, original.workset_id, idempotency_key="clone-all-00001"
        )
    assert {i.code for i in refused.value.issues} == {"INPUT_NOT_FOUND"}
    assert all("sample HG002" in i.message for i in refused.value.issues)


async def test_nothing_to_retry_when_every_sample_succeeded(
    world: World, request_for: RequestFor
) -> None:
    ports = world.container.ports
    original = await _ended(world, request_for)
    done = dict.fromkeys(("HG002", "HG003", "HG004"), SampleState.SUCCEEDED)
    await _set_states(world, original.workset_id, **done)
    with pytest.raises(GuardFailed) as refused:
        await retry.retry_failed_samples(
            ports, ACME_USER, original.workset_id, idempotency_key="clone-none-0001"
        )
    assert refused.value.code == "NOTHING_TO_RETRY"
    assert await _worksets(world) == {original.workset_id}


async def test_a_manifest_changed_in_the_folder_is_not_cloned(
    world: World, request_for: RequestFor
) -> None:
    ports = world.container.ports
    original = await _ended(world, request_for)
    shorter = b"\n".join(MANIFEST.split(b"\n")[:-2]) + b"\n"  # the last row dropped
    await ports.objects.put(original.bucket, original.manifest.key, shorter)
    with pytest.raises(Conflict) as refused:
        await retry.retry_as_clone(
            ports, ACME_USER, original.workset_id, idempotency_key="clone-edit-0001"
        )
    assert refused.value.code == "MANIFEST_CHANGED"
    assert await _worksets(world) == {original.workset_id}
