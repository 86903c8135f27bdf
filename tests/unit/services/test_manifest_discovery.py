"""Validate without saving, and generate a draft from an S3 prefix (§4.7)."""

from __future__ import annotations

import pytest

from builders import ACME, ACME_USER, GLOBEX_ADMIN, PROVIDER
from service_world import LAB_BUCKET, MANIFEST, World
from ursa.adapters.memory.objects import InMemoryObjectStore
from ursa.domain.errors import InvalidInput
from ursa.domain.pairing import ManifestDefaults
from ursa.domain.saved_manifests import MAX_DISCOVERED_OBJECTS
from ursa.domain.services.manifest_discovery import (
    GenerateRequest,
    generate_manifest,
    validate_manifest,
)

pytestmark = pytest.mark.anyio
RUN = "sequencing/20260121_LH00123_0042_A22FJ7LLT3/fastq/"
READY = ManifestDefaults(run_id="NVX0042", experiment_id="x1", n_x=1, n_y=1)


def _objects(world: World) -> InMemoryObjectStore:
    assert world.container.objects is not None
    return world.container.objects


async def test_a_valid_manifest_reports_its_samples(world: World) -> None:
    report = await validate_manifest(world.container.ports, ACME_USER, MANIFEST)
    assert report.valid and report.issues == () and report.row_count == 4
    assert report.sample_count == 3 and [s.sample_id for s in report.samples] == [
        "HG002",
        "HG003",
        "HG004",
    ]


async def test_an_invalid_manifest_reports_every_issue_instead_of_failing(world: World) -> None:
    broken = MANIFEST.replace(b"\tblood\t", b"\tblod\t")
    report = await validate_manifest(world.container.ports, ACME_USER, broken)
    assert not report.valid and report.sample_count is None and report.row_count == 4
    assert {(i.row, i.field, i.code) for i in report.issues} == {
        (row, "SAMPLE_TYPE", "BAD_VALUE") for row in (2, 3, 4, 5)
    }
    empty = await validate_manifest(world.container.ports, ACME_USER, b"")
    assert not empty.valid and empty.issues[0].code == "EMPTY_REQUIRED"


async def test_inputs_outside_the_callers_buckets_make_it_invalid(world: World) -> None:
    ports = world.container.ports
    elsewhere = MANIFEST.replace(LAB_BUCKET.encode(), b"someone-elses-bucket")
    report = await validate_manifest(ports, ACME_USER, elsewhere)
    assert not report.valid and report.sample_count == 3
    assert {i.code for i in report.issues} == {"INPUT_NOT_ALLOWED"}
    # A provider admin naming no customer gets the format rules only.
    assert (await validate_manifest(ports, PROVIDER, elsewhere)).valid
    named = await validate_manifest(ports, PROVIDER, elsewhere, customer_id=ACME)
    assert not named.valid


async def test_generate_pairs_a_run_folder_into_a_valid_draft(world: World) -> None:
    ports = world.container.ports
    await ports.objects.put(LAB_BUCKET, f"{RUN}HG005_S4_L001_R1_001.fastq.gz", b"only R1")
    await ports.objects.put(LAB_BUCKET, f"{RUN}SampleSheet.csv", b"x")
    result = await generate_manifest(
        ports, ACME_USER, GenerateRequest(bucket=LAB_BUCKET, prefix=RUN, defaults=READY)
    )
    assert result.listed == 10 and len(result.pairing.pairs) == 4
    assert [u.key for u in result.pairing.unpaired] == [f"{RUN}HG005_S4_L001_R1_001.fastq.gz"]
    assert len(result.pairing.ignored) == 1 and result.issues == ()
    assert result.manifest is not None and result.manifest.sample_ids == ("HG002", "HG003", "HG004")
    assert result.saved is None and (await ports.manifests.list(ACME)).items == ()
    lines = result.tsv.decode().splitlines()
    assert len(lines) == 5 and all(f"s3://{LAB_BUCKET}/{RUN}" in line for line in lines[1:])


async def test_a_draft_without_the_required_choices_lists_what_is_missing(world: World) -> None:
    ports = world.container.ports
    result = await generate_manifest(
        ports, ACME_USER, GenerateRequest(bucket=LAB_BUCKET, prefix=RUN)
    )
    assert result.manifest is None
    assert {i.field for i in result.issues} >= {"RUN_ID", "EXPERIMENTID", "N_X", "N_Y"}
    with pytest.raises(InvalidInput) as caught:
        await generate_manifest(
            ports,
            ACME_USER,
            GenerateRequest(bucket=LAB_BUCKET, prefix=RUN, save=True, name="Draft"),
        )
    assert caught.value.issues == result.issues
    assert (await ports.manifests.list(ACME)).items == ()


async def test_generate_saves_a_valid_draft_when_asked(world: World) -> None:
    ports = world.container.ports
    with pytest.raises(InvalidInput, match="name is required"):
        await generate_manifest(
            ports, ACME_USER, GenerateRequest(bucket=LAB_BUCKET, prefix=RUN, save=True)
        )
    result = await generate_manifest(
        ports,
        ACME_USER,
        GenerateRequest(bucket=LAB_BUCKET, prefix=RUN, defaults=READY, save=True, name="Run 42"),
    )
    assert result.saved is not None and result.saved.sample_count == 3
    assert await ports.objects.get(result.saved.bucket, result.saved.key) == result.tsv
    assert (await ports.manifests.list(ACME)).items == (result.saved,)


async def test_only_the_customers_own_or_linked_buckets_are_listed(world: World) -> None:
    ports = world.container.ports
    _objects(world).seed_object("another-lab", f"{RUN}X_R1.fastq.gz", 10)
    for bucket in ("another-lab", "globex-bio-ursa"):
        with pytest.raises(InvalidInput) as caught:
            await generate_manifest(ports, ACME_USER, GenerateRequest(bucket=bucket, prefix=""))
        assert caught.value.issues[0].code == "INPUT_NOT_ALLOWED"
    with pytest.raises(InvalidInput, match="must name the customer"):
        await generate_manifest(ports, PROVIDER, GenerateRequest(bucket=LAB_BUCKET, prefix=RUN))
    on_behalf = await generate_manifest(
        ports, PROVIDER, GenerateRequest(bucket=LAB_BUCKET, prefix=RUN), customer_id=ACME
    )
    assert len(on_behalf.pairing.pairs) == 4
    # Globex has the lab bucket linked as well; naming Acme changes nothing for a customer.
    globex = await generate_manifest(
        ports, GLOBEX_ADMIN, GenerateRequest(bucket=LAB_BUCKET, prefix=RUN), customer_id=ACME
    )
    assert len(globex.pairing.pairs) == 4


async def test_bad_buckets_and_prefixes_are_refused_before_listing(world: World) -> None:
    ports = world.container.ports
    for bucket, prefix in (("Bad_Bucket", ""), (LAB_BUCKET, "../up/"), (LAB_BUCKET, "/abs")):
        with pytest.raises(InvalidInput):
            await generate_manifest(ports, ACME_USER, GenerateRequest(bucket=bucket, prefix=prefix))


async def test_too_many_objects_ask_for_a_narrower_prefix(world: World) -> None:
    ports = world.container.ports
    for n in range(MAX_DISCOVERED_OBJECTS + 1):
        _objects(world).seed_object(LAB_BUCKET, f"bulk/{n:06d}.txt", 1)
    with pytest.raises(InvalidInput) as caught:
        await generate_manifest(
            ports, ACME_USER, GenerateRequest(bucket=LAB_BUCKET, prefix="bulk/")
        )
    assert caught.value.issues[0].code == "TOO_MANY_OBJECTS"
    assert "narrow the prefix" in caught.value.message
    _objects(world).seed_object(LAB_BUCKET, "bulk2/x.txt", 1)
    small = await generate_manifest(
        ports, ACME_USER, GenerateRequest(bucket=LAB_BUCKET, prefix="bulk2/")
    )
    assert small.listed == 1 and small.pairing.pairs == ()
