"""submit_workset on the in-memory product."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from builders import ACME_USER, GLOBEX_ADMIN, PROVIDER
from service_world import LAB_BUCKET, MANIFEST, World
from ursa.domain.enums import PipelineType, ReferenceGenome, SampleState, WorksetState
from ursa.domain.errors import IdempotencyConflict, InvalidInput, QuotaExceeded
from ursa.domain.ports import WorksetQuery
from ursa.domain.services.estimate import estimate_workset
from ursa.domain.services.submit import SubmitRequest, submit_workset

pytestmark = pytest.mark.anyio


async def test_submit_validates_pins_quotes_and_queues(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    ports = world.container.ports
    result = await submit_workset(ports, ACME_USER, request_for())
    ws = result.workset
    assert not result.replayed and ws.state is WorksetState.READY
    assert ws.manifest.sample_count == 3 and ws.manifest.row_count == 4
    assert len(ws.input_pins) == 8 and ws.genome_build == "hg38"
    assert ws.cost_estimate > 0 and ws.cost_cap is not None and ws.cost_cap > ws.cost_estimate
    samples = await ports.worksets.samples(ws.workset_id)
    assert [s.sample_id for s in samples] == ["HG002", "HG003", "HG004"]
    assert all(s.state is SampleState.PENDING for s in samples)
    assert sum(s.cost_estimate for s in samples) == ws.cost_estimate
    stored = await ports.objects.get(ws.bucket, ws.manifest.key)
    assert stored == MANIFEST
    assert await ports.objects.head(ws.bucket, f"{ws.prefix}daylily_info.yaml") is not None
    history = await ports.worksets.history(ws.workset_id)
    assert [(h.event, h.to_state) for h in history] == [("submit", WorksetState.READY)]
    quote = await ports.quotes.get(ws.quote_id or "")
    assert quote.point == ws.cost_estimate


async def test_same_key_same_body_replays(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    ports = world.container.ports
    first = await submit_workset(ports, ACME_USER, request_for())
    again = await submit_workset(ports, ACME_USER, request_for())
    assert again.replayed and again.workset.workset_id == first.workset.workset_id
    page = await ports.worksets.list(WorksetQuery())
    assert len(page.items) == 1


async def test_same_key_other_body_conflicts(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    ports = world.container.ports
    await submit_workset(ports, ACME_USER, request_for())
    with pytest.raises(IdempotencyConflict):
        await submit_workset(ports, ACME_USER, request_for(name="Another name"))


async def test_failed_submit_frees_the_key(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    ports = world.container.ports
    with pytest.raises(InvalidInput):
        await submit_workset(ports, ACME_USER, request_for(reference_genome=ReferenceGenome.GRCM39))
    assert (await submit_workset(ports, ACME_USER, request_for())).replayed is False


async def test_missing_and_foreign_inputs_are_reported_per_row(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    assert world.container.objects is not None
    await world.container.ports.objects.delete(
        LAB_BUCKET, MANIFEST.decode().splitlines()[2].split("\t")[10].split("/", 3)[3]
    )
    foreign = MANIFEST.replace(f"s3://{LAB_BUCKET}/".encode(), b"s3://someone-else/")
    with pytest.raises(InvalidInput) as missing:
        await submit_workset(world.container.ports, ACME_USER, request_for())
    assert [(i.code, i.row, i.field) for i in missing.value.issues] == [
        ("INPUT_NOT_FOUND", 3, "R1_FQ")
    ]
    with pytest.raises(InvalidInput) as not_allowed:
        await submit_workset(
            world.container.ports, ACME_USER, request_for(key="key-00000002", manifest=foreign)
        )
    assert {i.code for i in not_allowed.value.issues} == {"INPUT_NOT_ALLOWED"}
    assert len(not_allowed.value.issues) == 8


async def test_invalid_manifest_lists_every_issue(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    bad = MANIFEST.replace(b"\tILMN\t", b"\tILLUMINA\t")
    with pytest.raises(InvalidInput) as raised:
        await submit_workset(world.container.ports, ACME_USER, request_for(manifest=bad))
    assert len(raised.value.issues) == 4
    assert all("use ILMN" in i.message for i in raised.value.issues)


async def test_approval_policy_holds_for_approval(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    result = await submit_workset(world.container.ports, GLOBEX_ADMIN, request_for())
    assert result.workset.state is WorksetState.AWAITING_APPROVAL
    assert result.workset.cost_cap is None


async def test_provider_must_name_the_customer(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    with pytest.raises(InvalidInput, match="must name the customer"):
        await submit_workset(world.container.ports, PROVIDER, request_for())


async def test_storage_quota_is_enforced_at_submit(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    ports = world.container.ports
    customer = await ports.directory.get_customer(ACME_USER.customer_id or "")
    await ports.directory.put_customer(replace(customer, max_storage_gb=10))
    with pytest.raises(QuotaExceeded, match="storage quota of 10 GiB"):
        await submit_workset(ports, ACME_USER, request_for())


async def test_estimate_is_a_dry_run(
    world: World, request_for: Callable[..., SubmitRequest]
) -> None:
    ports = world.container.ports
    result = await estimate_workset(
        ports,
        ACME_USER,
        manifest=MANIFEST,
        pipeline_type=PipelineType.GERMLINE_WGS_SNV,
        reference_genome=ReferenceGenome.GRCH38,
    )
    assert result.sample_count == 3 and result.input_bytes == 8 * 30 * 2**30
    assert result.quote.low < result.quote.point < result.quote.high
    submitted = await submit_workset(ports, ACME_USER, request_for())
    assert submitted.workset.cost_estimate == result.quote.point
    assert len((await ports.worksets.list(WorksetQuery())).items) == 1
