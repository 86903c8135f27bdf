"""Which keys are a workset's results, and which sample each belongs to (§4.9, §3.2)."""

from __future__ import annotations

import pytest

from ursa.domain.errors import InvalidInput
from ursa.domain.result_keys import (
    OUTSIDE_RESULTS,
    check_result_key,
    result_object,
    results_prefix,
)

PREFIX = "worksets/acme-trio-7c1e2a9b/"
RESULTS = "worksets/acme-trio-7c1e2a9b/results/"


def test_results_prefix_is_the_export_uri() -> None:
    assert results_prefix(PREFIX) == RESULTS


@pytest.mark.parametrize(
    "key",
    [
        f"{RESULTS}results/day/hg38/HG002/HG002.cram",
        f"{RESULTS}_manifests/acme-trio-7c1e2a9b-r1.json",
        f"{RESULTS}logs/slurm/align/align.HG002.42.err",
        f"{RESULTS}sample..v2.bam",  # '..' inside a name is not traversal
    ],
)
def test_keys_below_the_results_prefix_are_accepted(key: str) -> None:
    assert check_result_key(key, PREFIX) == key


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("worksets/acme-trio-7c1e2a9b/stage_samples.tsv", OUTSIDE_RESULTS),
        ("worksets/acme-trio-7c1e2a9b/daylily.complete", OUTSIDE_RESULTS),
        ("worksets/other-0badc0de/results/x.vcf.gz", OUTSIDE_RESULTS),
        ("worksets/acme-trio-7c1e2a9bX/results/x.vcf.gz", OUTSIDE_RESULTS),
        (RESULTS, "UNSAFE_KEY"),  # a folder, not an object
        (f"{RESULTS}results/day/", "UNSAFE_KEY"),
        (f"{RESULTS}../../other-0badc0de/results/x", "PATH_TRAVERSAL"),
        (f"/{RESULTS}x", None),
        (f"{RESULTS}a//b", None),
        (f"{RESULTS}a%2f..%2fb", None),
        (f"{RESULTS}a\\b", None),
    ],
)
def test_other_keys_are_refused_on_the_key_field(key: str, code: str | None) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_result_key(key, PREFIX)
    assert {i.field for i in refused.value.issues} == {"key"}
    if code is not None:
        assert code in {i.code for i in refused.value.issues}
    if code == OUTSIDE_RESULTS:  # the same words for every workset: no id is echoed
        assert "acme-trio" not in refused.value.message


def test_result_objects_are_attributed_to_samples_by_build_folder() -> None:
    def owner(path: str) -> str | None:
        return result_object(
            key=f"{RESULTS}{path}",
            size=1,
            etag="e",
            storage_class="STANDARD",
            workset_prefix=PREFIX,
            build="hg38",
            sample_ids=("HG002", "HG003"),
        ).sample_id

    assert owner("results/day/hg38/HG002/HG002.cram") == "HG002"
    assert owner("results/day/hg38/HG003/sub/HG003.snv.sort.vcf.gz") == "HG003"
    assert owner("results/day/hg38/other_reports/multiqc.html") is None
    assert owner("results/day/b37/HG002/HG002.cram") is None  # another build
    assert owner("results/day/hg38/HG004/HG004.cram") is None  # not a sample of the workset
    assert owner("logs/slurm/align/align.HG002.42.err") is None
    obj = result_object(
        key=f"{RESULTS}results/day/hg38/HG002/HG002.cram",
        size=7,
        etag="e",
        storage_class="GLACIER_IR",
        workset_prefix=PREFIX,
        build="hg38",
        sample_ids=("HG002",),
    )
    assert obj.path == "results/day/hg38/HG002/HG002.cram" and obj.size == 7
