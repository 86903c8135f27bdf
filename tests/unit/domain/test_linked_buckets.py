"""Linked-bucket rules: identity, challenge, field checks, prefix restriction, read-only,
edits, the 422 they raise, and who may do what."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from builders import ACME, ACME_ADMIN, ACME_USER, GLOBEX, GLOBEX_ADMIN, NOW, PROVIDER
from ursa.domain.buckets import BucketProbe, Probe, ProbeResult, bucket_report
from ursa.domain.errors import Forbidden, InvalidInput, NotFound
from ursa.domain.linked_buckets import (
    BucketType,
    LinkAction,
    LinkedBucket,
    LinkEdit,
    LinkValidation,
    apply_edit,
    authorize_link,
    browse_prefix,
    challenge_key,
    check_new_link,
    linked_bucket_id,
    needs_probe,
    not_usable,
    object_key,
    require_writable,
    tenant_for,
    validate_description,
    validate_display_name,
    validate_link_prefix,
)
from ursa.domain.principals import Scope


def make_link(**overrides: object) -> LinkedBucket:
    link = LinkedBucket(
        bucket_id=linked_bucket_id(ACME, "lab-inputs"),
        customer_id=ACME,
        bucket="lab-inputs",
        region="us-west-2",
        display_name="Lab inputs",
        bucket_type=BucketType.INPUT,
        prefix="runs/",
        validation=LinkValidation(at=NOW, ok=True, region="us-west-2", results=()),
        linked_by="u-ca",
        created_at=NOW,
        updated_at=NOW,
    )
    return replace(link, **overrides)  # type: ignore[arg-type]


def codes(exc: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {i.code for i in exc.value.issues}


def test_ids_are_deterministic_per_customer_and_bucket() -> None:
    first = linked_bucket_id(ACME, "lab-inputs")
    assert first == linked_bucket_id(ACME, "lab-inputs")
    assert first.startswith("lb-") and len(first) == 19
    assert first != linked_bucket_id(GLOBEX, "lab-inputs")
    assert first != linked_bucket_id(ACME, "lab-inputs2")


def test_the_challenge_key_sits_in_the_prefix_and_differs_per_customer() -> None:
    key = challenge_key(ACME, "lab-inputs", "runs/")
    assert key.startswith("runs/ursa-link-challenge-") and len(key) == len("runs/") + 44
    assert key != challenge_key(GLOBEX, "lab-inputs", "runs/")
    assert challenge_key(ACME, "lab-inputs", "").startswith("ursa-link-challenge-")


@pytest.mark.parametrize(
    ("given", "normal"),
    [("", ""), ("runs", "runs/"), ("runs/", "runs/"), ("a/b.c/d-1/", "a/b.c/d-1/")],
)
def test_prefixes_are_normalised_to_one_trailing_slash(given: str, normal: str) -> None:
    assert validate_link_prefix(given) == normal


@pytest.mark.parametrize(
    "bad",
    ["/runs", "runs//", "a//b", "../x", "a/./b", "runs/*", "r?", "x/${aws:username}", "a\\b",
     "a%2fb", "\u202eevil", "x" * 600],
)  # fmt: skip
def test_unsafe_prefixes_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_link_prefix(bad)
    assert exc.value.issues[0].field == "prefix"


def test_bucket_names_follow_s3_rules() -> None:
    assert check_new_link("lab-inputs", "runs", BucketType.INPUT, False) == "runs/"
    for bad in ("Lab", "ab", "a..b", "192.168.1.1", "xn--abc", "x-s3alias"):
        with pytest.raises(InvalidInput):
            check_new_link(bad, "", BucketType.INPUT, False)


@pytest.mark.parametrize("bucket_type", [BucketType.DELIVERY, BucketType.BOTH])
def test_a_read_only_link_can_only_serve_inputs(bucket_type: BucketType) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_new_link("lab-inputs", "", bucket_type, True)
    assert codes(exc) == {"CONFLICTING_FIELDS"}
    check_new_link("lab-inputs", "", bucket_type, False)
    check_new_link("lab-inputs", "", BucketType.INPUT, True)


def test_names_and_descriptions_are_bounded_and_printable() -> None:
    assert validate_display_name("  Lab inputs ") == "Lab inputs"
    assert validate_description("line one\nline two") == "line one\nline two"
    for bad in ("", "   ", "x" * 81, "tab\there", "bidi\u202e"):
        with pytest.raises(InvalidInput):
            validate_display_name(bad)
    with pytest.raises(InvalidInput):
        validate_description("x" * 501)


def test_keys_must_be_safe_and_inside_the_prefix() -> None:
    link = make_link(prefix="runs/")
    assert object_key(link, "runs/S1_R1.fastq.gz") == "runs/S1_R1.fastq.gz"
    with pytest.raises(InvalidInput) as outside:
        object_key(link, "other/S1_R1.fastq.gz")
    assert codes(outside) == {"OUTSIDE_PREFIX"}
    for bad in ("runs/../other/x", "runs//x", "runs/", "runs/a%2F..%2Fb"):
        with pytest.raises(InvalidInput):
            object_key(link, bad)
    assert object_key(make_link(prefix=""), "anywhere/x") == "anywhere/x"


def test_browsing_stays_inside_the_prefix() -> None:
    link = make_link(prefix="runs/")
    assert browse_prefix(link, "") == "runs/"
    assert browse_prefix(link, "runs/2026") == "runs/2026"
    for bad in ("run", "other/", "runs/../x/"):
        with pytest.raises(InvalidInput):
            browse_prefix(link, bad)


def test_read_only_links_refuse_writes() -> None:
    require_writable(make_link())
    with pytest.raises(Forbidden) as exc:
        require_writable(make_link(read_only=True))
    assert exc.value.code == "READ_ONLY_LINK"


def test_only_validated_input_links_serve_inputs() -> None:
    failed = LinkValidation(at=NOW, ok=False, region=None, results=())
    assert make_link().usable_for_inputs
    assert make_link(bucket_type=BucketType.BOTH).usable_for_inputs
    assert not make_link(bucket_type=BucketType.DELIVERY).usable_for_inputs
    assert not make_link(validation=failed).usable_for_inputs


def test_an_edit_bumps_the_version_and_says_when_to_probe_again() -> None:
    link = make_link()
    later = NOW + timedelta(hours=1)
    renamed = apply_edit(link, LinkEdit(display_name="Runs", description="new"), later)
    assert (renamed.display_name, renamed.description, renamed.version) == ("Runs", "new", 2)
    assert renamed.updated_at == later and not needs_probe(link, renamed)
    moved = apply_edit(link, LinkEdit(prefix="runs/2026"), later)
    assert moved.prefix == "runs/2026/" and needs_probe(link, moved)
    assert needs_probe(link, apply_edit(link, LinkEdit(read_only=True), later))
    with pytest.raises(InvalidInput):
        apply_edit(link, LinkEdit(read_only=True, bucket_type=BucketType.BOTH), later)
    with pytest.raises(InvalidInput):  # the stored type is checked against the new access
        apply_edit(make_link(bucket_type=BucketType.DELIVERY), LinkEdit(read_only=True), later)


def test_a_refusal_names_each_failed_probe_and_the_policy() -> None:
    report = bucket_report(
        BucketProbe(
            bucket="lab-inputs",
            prefix="runs/",
            exists=True,
            region="us-west-2",
            can_list=True,
            can_read=True,
            can_write=False,
        )
    )
    error = not_usable(report, bucket="lab-inputs", prefix="runs/", read_only=False)
    assert [(i.field, i.code) for i in error.issues] == [("probes.write", "PROBE_FAILED")]
    assert "s3:PutObject" in error.issues[0].message
    actions = {a for s in error.policy["Statement"] for a in s["Action"]}
    assert "s3:PutObject" in actions and error.code == "VALIDATION_ERROR"
    challenge = challenge_key(ACME, "lab-inputs", "runs/")
    missing = not_usable(
        None,
        bucket="lab-inputs",
        prefix="runs/",
        read_only=True,
        challenge=challenge,
        challenge_code="CHALLENGE_MISSING",
    )
    assert [i.code for i in missing.issues] == ["CHALLENGE_MISSING"]
    assert challenge in missing.issues[0].message and missing.challenge_key == challenge
    assert all("s3:PutObject" not in s["Action"] for s in missing.policy["Statement"])


def test_probe_results_survive_in_the_record() -> None:
    result = ProbeResult(probe=Probe.LIST, ok=False, remediation="allow s3:ListBucket")
    link = make_link(validation=LinkValidation(at=NOW, ok=False, region=None, results=(result,)))
    assert link.validation.results[0].probe is Probe.LIST


def test_who_may_do_what() -> None:
    link = make_link()
    for action in LinkAction:
        authorize_link(ACME_ADMIN, link, action)
        authorize_link(PROVIDER, link, action)
        with pytest.raises(NotFound):
            authorize_link(GLOBEX_ADMIN, link, action)
    authorize_link(ACME_USER, link, LinkAction.VIEW)
    authorize_link(ACME_USER, link, LinkAction.TRANSFER)
    with pytest.raises(Forbidden):
        authorize_link(ACME_USER, link, LinkAction.MANAGE)
    read_only_token = replace(ACME_ADMIN, scopes=frozenset({Scope.READ}))
    authorize_link(read_only_token, link, LinkAction.VIEW)
    with pytest.raises(Forbidden):
        authorize_link(read_only_token, link, LinkAction.TRANSFER)


def test_the_tenant_comes_from_the_caller() -> None:
    assert tenant_for(ACME_ADMIN, GLOBEX) == ACME
    assert tenant_for(PROVIDER, GLOBEX) == GLOBEX
    with pytest.raises(InvalidInput):
        tenant_for(PROVIDER, None)
