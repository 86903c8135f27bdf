"""The dry run, the purge of a hard delete, results and the token-owner rules of retry and
approval, on the in-memory product."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from builders import ACME, ACME_ADMIN, ACME_USER, GLOBEX_ADMIN, PROVIDER
from service_world import LAB_BUCKET, MANIFEST, World
from ursa.domain.enums import PipelineType, ReferenceGenome, WorksetState, WorksetType
from ursa.domain.errors import Forbidden, GuardFailed, InvalidInput, NotFound
from ursa.domain.ports import WorksetQuery
from ursa.domain.principals import ActorKind, Principal
from ursa.domain.services import dry_run, lifecycle, quotes, results, retry
from ursa.domain.services.estimate import estimate_workset
from ursa.domain.services.submit import SubmitRequest, submit_workset
from ursa.domain.worksets import Workset

pytestmark = pytest.mark.anyio
RequestFor = Callable[..., SubmitRequest]
SAM_TOKEN = replace(ACME_USER, kind=ActorKind.API_TOKEN, token_id="tok-sam")
FIRST_ROW = MANIFEST.decode().splitlines()[1]


def _dry(**overrides: object) -> dry_run.DryRunRequest:
    fields: dict[str, object] = {
        "name": "GIAB trio",
        "pipeline_type": PipelineType.GERMLINE_WGS_SNV,
        "reference_genome": ReferenceGenome.GRCH38,
        "manifest": MANIFEST,
    }
    fields.update(overrides)
    return dry_run.DryRunRequest(**fields)  # type: ignore[arg-type]


async def _nothing_written(world: World) -> None:
    ports = world.container.ports
    assert (await ports.worksets.list(WorksetQuery(include_archived=True))).items == ()
    assert await ports.audit.head(ACME) is None
    with pytest.raises(NotFound):
        await ports.quotes.get("q-dry-run")


async def test_a_valid_dry_run_prices_like_estimate_and_writes_nothing(world: World) -> None:
    ports = world.container.ports
    report = await dry_run.validate_submission(ports, ACME_USER, _dry())
    assert report.valid and report.issues == ()
    assert (report.sample_count, report.row_count, report.input_bytes) == (3, 4, 8 * 30 * 2**30)
    estimate = await estimate_workset(
        ports,
        ACME_USER,
        manifest=MANIFEST,
        pipeline_type=PipelineType.GERMLINE_WGS_SNV,
        reference_genome=ReferenceGenome.GRCH38,
    )
    assert report.quote is not None and report.quote.point == estimate.quote.point
    assert report.estimate == estimate.estimate
    await _nothing_written(world)


async def test_every_issue_is_collected_not_just_the_first(world: World) -> None:
    missing = FIRST_ROW.replace("HG002_S1_L001_", "NOPE_S1_L001_")
    manifest = MANIFEST.replace(FIRST_ROW.encode(), missing.encode())
    report = await dry_run.validate_submission(
        world.container.ports,
        ACME_USER,
        _dry(
            name="",
            notification_emails=("lab@acme.example", "not-an-email"),
            pipeline_version="bad version!",
            manifest=manifest,
        ),
    )
    assert not report.valid and report.estimate is None
    found = {(i.field, i.code, i.row) for i in report.issues}
    assert ("name", "BAD_VALUE", None) in found
    assert ("notification_emails[1]", "BAD_VALUE", None) in found
    assert ("pipeline_version", "BAD_VALUE", None) in found
    assert {("R1_FQ", "INPUT_NOT_FOUND", 2), ("R2_FQ", "INPUT_NOT_FOUND", 2)} <= found
    assert not any(i.field == "notification_emails[0]" for i in report.issues)
    assert report.sample_count == 3  # the manifest parsed; only an input is missing
    await _nothing_written(world)


async def test_a_manifest_that_does_not_parse_reports_its_rows(world: World) -> None:
    duplicated = MANIFEST + FIRST_ROW.encode() + b"\n"
    report = await dry_run.validate_submission(
        world.container.ports, ACME_USER, _dry(manifest=duplicated)
    )
    assert not report.valid and report.sample_count == report.row_count == 0
    assert "DUPLICATE_ROW" in {i.code for i in report.issues}
    assert all(i.row for i in report.issues if i.code == "DUPLICATE_ROW")
    empty = await dry_run.validate_submission(world.container.ports, ACME_USER, _dry(manifest=b""))
    assert [(i.field, i.code) for i in empty.issues] == [("manifest_tsv", "EMPTY_REQUIRED")]


async def test_quota_is_an_issue_with_the_projected_cost(world: World) -> None:
    ports = world.container.ports
    customer = await ports.directory.get_customer(ACME)
    await ports.directory.put_customer(replace(customer, max_storage_gb=10))
    report = await dry_run.validate_submission(ports, ACME_USER, _dry())
    assert [(i.field, i.code) for i in report.issues] == [("quota", "QUOTA_EXCEEDED")]
    assert report.estimate is not None and report.estimate.result_gib > 10


async def test_provider_admins_name_a_real_customer(world: World) -> None:
    ports = world.container.ports
    unnamed = await dry_run.validate_submission(ports, PROVIDER, _dry())
    assert [(i.field, i.code) for i in unnamed.issues] == [("customer_id", "EMPTY_REQUIRED")]
    unknown = await dry_run.validate_submission(
        ports, PROVIDER, _dry(customer_id="nobody-0badc0de")
    )
    assert [(i.field, i.code) for i in unknown.issues] == [("customer_id", "NOT_FOUND")]
    named = await dry_run.validate_submission(ports, PROVIDER, _dry(customer_id=ACME))
    assert named.valid


async def _submitted(world: World, request_for: RequestFor, **kw: object) -> Workset:
    world.clock.advance(60)
    principal = kw.pop("principal", ACME_USER)
    assert isinstance(principal, Principal)
    result = await submit_workset(world.container.ports, principal, request_for(**kw))
    return result.workset


async def test_hard_delete_purges_the_folder_in_pages_once(
    world: World, request_for: RequestFor
) -> None:
    ports = world.container.ports
    ws = await _submitted(world, request_for)
    await lifecycle.cancel_workset(ports, ACME_USER, ws.workset_id)
    submitted = len((await ports.objects.list(ws.bucket, ws.prefix)).items)
    for i in range(1203):  # more than one listing page
        await ports.objects.put(ws.bucket, f"{ws.prefix}results/x/{i:05d}.txt", b"x")
    neighbour = f"worksets/{ws.workset_id}x/keep.txt"
    await ports.objects.put(ws.bucket, neighbour, b"not this workset's")
    with pytest.raises(Forbidden):
        await lifecycle.delete_workset(ports, ACME_USER, ws.workset_id, hard=True)
    result = await lifecycle.delete_workset(ports, ACME_ADMIN, ws.workset_id, hard=True)
    assert result.objects_removed == submitted + 1203  # every object, every page
    assert (await ports.objects.list(ws.bucket, ws.prefix)).items == ()
    assert await ports.objects.head(ws.bucket, neighbour) is not None
    assert result.workset.state is WorksetState.DELETED and result.workset.hard_delete
    history = await ports.worksets.history(ws.workset_id)
    assert [h.event for h in history[-2:]] == ["delete", "purge_completed"]
    assert history[-1].details["object_count"] == str(result.objects_removed)
    head = await ports.audit.head(ACME)
    assert head is not None and head.action == "workset.hard_delete"
    again = await lifecycle.delete_workset(ports, PROVIDER, ws.workset_id, hard=True)
    assert again.objects_removed == 0 and again.workset.version == result.workset.version
    assert len(await ports.worksets.history(ws.workset_id)) == len(history)


async def test_a_soft_delete_keeps_the_data_and_may_be_purged_later(
    world: World, request_for: RequestFor
) -> None:
    ports = world.container.ports
    ws = await _submitted(world, request_for)
    await lifecycle.cancel_workset(ports, ACME_USER, ws.workset_id)
    soft = await lifecycle.delete_workset(ports, ACME_USER, ws.workset_id)
    assert soft.objects_removed == 0 and not soft.workset.hard_delete
    assert (await ports.objects.list(ws.bucket, ws.prefix)).items
    hard = await lifecycle.delete_workset(ports, PROVIDER, ws.workset_id, hard=True)
    assert hard.objects_removed == 3 and hard.workset.hard_delete  # manifest, info, .hold


async def test_only_the_provider_purges_clinical_data(
    world: World, request_for: RequestFor
) -> None:
    ports = world.container.ports
    ws = await _submitted(world, request_for, workset_type=WorksetType.CLINICAL, key="clin-0001")
    await lifecycle.cancel_workset(ports, ACME_ADMIN, ws.workset_id)
    with pytest.raises(Forbidden, match="provider"):
        await lifecycle.delete_workset(ports, ACME_ADMIN, ws.workset_id, hard=True)
    assert (await lifecycle.delete_workset(ports, PROVIDER, ws.workset_id, hard=True)).workset


async def test_a_clone_keeps_its_manifest_when_the_original_is_purged(
    world: World, request_for: RequestFor
) -> None:
    ports = world.container.ports
    ws = await _submitted(world, request_for)
    await lifecycle.cancel_workset(ports, ACME_USER, ws.workset_id)
    clone, _ = await retry.retry_as_clone(
        ports, SAM_TOKEN, ws.workset_id, idempotency_key="clone-0001"
    )
    assert clone.owner_user_id == ACME_USER.user_id  # the user, not the token
    assert clone.manifest.key == f"{clone.prefix}stage_samples.tsv"
    await lifecycle.delete_workset(ports, ACME_ADMIN, ws.workset_id, hard=True)
    assert await ports.objects.get(clone.bucket, clone.manifest.key) == MANIFEST


async def test_results_list_in_pages_and_download_links_stay_inside(
    world: World, request_for: RequestFor
) -> None:
    ports = world.container.ports
    ws = await _submitted(world, request_for)
    base = f"{ws.prefix}results/results/day/hg38/"
    for key in ("HG002/HG002.cram", "HG003/HG003.cram", "other_reports/multiqc.html"):
        await ports.objects.put(ws.bucket, base + key, b"data")
    first = await results.list_results(ports, ACME_USER, ws.workset_id, limit=2, cursor=None)
    rest = await results.list_results(
        ports, ACME_USER, ws.workset_id, limit=2, cursor=first.next_cursor
    )
    listed = [*first.items, *rest.items]
    assert [o.sample_id for o in listed] == ["HG002", "HG003", None] and rest.next_cursor is None
    link = await results.result_download(ports, ACME_USER, ws.workset_id, listed[0].key)
    assert link.url and link.size == 4
    assert (link.expires_at - world.clock.now()).total_seconds() == results.DOWNLOAD_TTL_S
    issued = [e for e in ports.notifier.events if e.type == "delivery.link_issued"]  # type: ignore[attr-defined]
    assert [e.payload["key"] for e in issued] == [listed[0].key]
    with pytest.raises(InvalidInput) as outside:
        await results.result_download(ports, ACME_USER, ws.workset_id, ws.manifest.key)
    assert outside.value.issues[0].field == "key"
    with pytest.raises(NotFound):
        await results.result_download(ports, ACME_USER, ws.workset_id, f"{base}HG004/x.cram")
    with pytest.raises(NotFound):  # the workset first: another tenant learns nothing
        await results.result_download(ports, GLOBEX_ADMIN, ws.workset_id, ws.manifest.key)


async def test_a_submitter_token_cannot_approve_its_own_clinical_quote(
    world: World, request_for: RequestFor
) -> None:
    ports = world.container.ports
    ws = await _submitted(world, request_for, workset_type=WorksetType.CLINICAL, key="clin-0002")
    assert ws.state is WorksetState.AWAITING_APPROVAL and ws.quote_id is not None
    with pytest.raises(GuardFailed) as own:
        await quotes.approve_quote(ports, SAM_TOKEN, ws.workset_id, ws.quote_id)
    assert own.value.code == "APPROVAL_REQUIRED"
    with pytest.raises(GuardFailed) as stale:
        await quotes.approve_quote(ports, ACME_ADMIN, ws.workset_id, "q-someone-else-1")
    assert stale.value.code == "QUOTE_SUPERSEDED"
    approved = await quotes.approve_quote(ports, ACME_ADMIN, ws.workset_id, ws.quote_id)
    assert approved.state is WorksetState.READY


async def test_the_dry_run_sees_only_the_callers_buckets(world: World) -> None:
    ports = world.container.ports
    customer = await ports.directory.get_customer(ACME)
    await ports.directory.put_customer(replace(customer, linked_buckets=()))
    report = await dry_run.validate_submission(ports, ACME_USER, _dry())
    assert {i.code for i in report.issues} == {"INPUT_NOT_ALLOWED"}
    assert all(LAB_BUCKET in i.message for i in report.issues)
