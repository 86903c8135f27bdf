"""Saved manifests: ids, names and descriptions, edits, the bucket rule, the validation
report, and the shared-within-a-customer tenancy rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from builders import ACME, ACME_ADMIN, ACME_COLLEAGUE, ACME_USER, GLOBEX_ADMIN, NOW, PROVIDER
from ursa.domain.errors import Forbidden, InvalidInput, NotFound
from ursa.domain.manifests import parse_manifest
from ursa.domain.principals import Scope
from ursa.domain.saved_manifests import (
    MAX_DESCRIPTION,
    SavedManifest,
    check_prefix,
    edited,
    input_bucket_issues,
    invalid_report,
    is_manifest_id,
    manifest_key,
    new_manifest_id,
    one_manifest_source,
    saved_manifest,
    valid_report,
    validate_description,
    validate_manifest_name,
)
from ursa.domain.tenancy import Action, authorize_shared, can_see_shared

FIXTURE = Path(__file__).parents[2] / "fixtures" / "manifests" / "stage_samples.tsv"
MANIFEST = parse_manifest(FIXTURE.read_bytes())
LAB_BUCKET = "ursa-demo-lab-a"


def _saved(**overrides: Any) -> SavedManifest:
    base = saved_manifest(
        manifest_id="mf-trio-0a1b2c3d",
        customer_id=ACME,
        owner_user_id=ACME_USER.user_id,
        name="Trio",
        description="",
        bucket="acme-genomics-ursa",
        manifest=MANIFEST,
        now=NOW,
    )
    return replace(base, **overrides)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("NA12878 Trio!", "mf-na12878-trio-0a1b2c3d"),
        ("___", "mf-manifest-0a1b2c3d"),
        ("x" * 90, f"mf-{'x' * 40}-0a1b2c3d"),
    ],
)
def test_new_ids_are_slugged_and_accepted(name: str, expected: str) -> None:
    manifest_id = new_manifest_id(name, "0a1b2c3d")
    assert manifest_id == expected and is_manifest_id(manifest_id)


def test_an_id_needs_a_hex_suffix_and_odd_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="8 lowercase hex"):
        new_manifest_id("trio", "XYZ")
    for bad in ("", "mf-", "mf-trio", "trio-0a1b2c3d", "mf-Trio-0a1b2c3d", "mf-trio-0a1b2c3d\n"):
        assert not is_manifest_id(bad), bad
    assert is_manifest_id("mf-a-00000000")


def test_the_file_lives_under_the_manifest_folder() -> None:
    assert manifest_key("mf-trio-0a1b2c3d") == "manifests/mf-trio-0a1b2c3d/stage_samples.tsv"


def test_names_follow_the_name_rule() -> None:
    assert validate_manifest_name("  Trio template ") == "Trio template"
    for bad in ("", " ", "-lead", "a" * 81, "tab\there"):
        with pytest.raises(InvalidInput):
            validate_manifest_name(bad)


def test_descriptions_are_bounded_and_printable() -> None:
    assert validate_description("  two\nlines\tand a tab ") == "two\nlines\tand a tab"
    assert validate_description("x" * MAX_DESCRIPTION) == "x" * MAX_DESCRIPTION
    with pytest.raises(InvalidInput) as long:
        validate_description("x" * (MAX_DESCRIPTION + 1))
    assert long.value.issues[0].field == "description"
    for bad in ("bell\x07!", "nul\x00!", "c1\x85!"):
        with pytest.raises(InvalidInput, match="control character"):
            validate_description(bad)


def test_a_record_carries_the_manifest_figures() -> None:
    saved = _saved()
    assert saved.sha256 == MANIFEST.sha256 and saved.size == len(MANIFEST.raw)
    assert (saved.sample_count, saved.row_count, saved.version) == (3, 4, 1)
    assert saved.key == "manifests/mf-trio-0a1b2c3d/stage_samples.tsv"


def test_an_edit_bumps_the_version_and_keeps_what_it_does_not_name() -> None:
    saved = _saved(description="old")
    later = NOW + timedelta(hours=1)
    renamed = edited(saved, name="New", description=None, now=later)
    assert (renamed.name, renamed.description, renamed.version) == ("New", "old", 2)
    assert renamed.updated_at == later and renamed.created_at == NOW
    described = edited(renamed, name=None, description="", now=later)
    assert (described.name, described.description, described.version) == ("New", "", 3)


def test_inputs_outside_the_readable_buckets_are_each_an_issue() -> None:
    assert input_bucket_issues(MANIFEST, {LAB_BUCKET}) == ()
    issues = input_bucket_issues(MANIFEST, {"acme-genomics-ursa"})
    assert len(issues) == 8 and {i.code for i in issues} == {"INPUT_NOT_ALLOWED"}
    assert {i.field for i in issues} == {"R1_FQ", "R2_FQ"}
    assert sorted({i.row for i in issues if i.row is not None}) == [2, 3, 4, 5]
    assert LAB_BUCKET in issues[0].message


def test_prefixes_are_safe_keys_or_empty() -> None:
    assert check_prefix("") == ""
    assert check_prefix("sequencing/run1/") == "sequencing/run1/"
    assert check_prefix("sequencing/run1_S") == "sequencing/run1_S"
    for bad in ("/abs", "a//b/", "../up/", "a/%2e%2e/", "a\\b"):
        with pytest.raises(InvalidInput):
            check_prefix(bad)


def test_reports_count_rows_whether_or_not_the_file_is_valid() -> None:
    good = valid_report(MANIFEST)
    assert good.valid and good.sample_count == 3 and good.row_count == 4 and len(good.samples) == 3
    flagged = valid_report(MANIFEST, input_bucket_issues(MANIFEST, set()))
    assert not flagged.valid and flagged.sample_count == 3
    bad = invalid_report(b"H\r\nrow1\r\n\r\nrow2\n\n", ())
    assert not bad.valid and bad.row_count == 2 and bad.sample_count is None and bad.sha256 is None


def test_manifests_are_shared_within_the_customer_and_hidden_outside() -> None:
    saved = _saved()
    for who in (ACME_USER, ACME_ADMIN, ACME_COLLEAGUE, PROVIDER):
        assert can_see_shared(who, saved)
        authorize_shared(who, saved, Action.VIEW, what="manifest")
    assert not can_see_shared(GLOBEX_ADMIN, saved)
    for action in (Action.VIEW, Action.EDIT, Action.DELETE):
        with pytest.raises(NotFound, match=r"^manifest not found$"):
            authorize_shared(GLOBEX_ADMIN, saved, action, what="manifest")


def test_only_the_owner_and_admins_change_a_manifest() -> None:
    saved = _saved()
    for who in (ACME_USER, ACME_ADMIN, PROVIDER):
        for action in (Action.EDIT, Action.DELETE):
            authorize_shared(who, saved, action, what="manifest")
    for action in (Action.EDIT, Action.DELETE):
        with pytest.raises(Forbidden, match="owner or a customer admin"):
            authorize_shared(ACME_COLLEAGUE, saved, action, what="manifest")


def test_a_read_only_token_may_look_but_not_change() -> None:
    saved = _saved()
    reader = replace(ACME_USER, scopes=frozenset({Scope.READ}))
    authorize_shared(reader, saved, Action.VIEW, what="manifest")
    with pytest.raises(Forbidden, match="scope"):
        authorize_shared(reader, saved, Action.EDIT, what="manifest")


def test_a_submit_names_its_manifest_exactly_once() -> None:
    assert one_manifest_source(b"tsv", None) == b"tsv"
    assert one_manifest_source(b"", None) == b""  # given, if empty: the parser says so
    assert one_manifest_source(None, "mf-x-0a1b2c3d") == "mf-x-0a1b2c3d"
    for tsv, manifest_id, code in (
        (b"tsv", "mf-x-0a1b2c3d", "BAD_VALUE"),
        (None, None, "EMPTY_REQUIRED"),
    ):
        with pytest.raises(InvalidInput) as refused:
            one_manifest_source(tsv, manifest_id)
        fields = {(i.field, i.code) for i in refused.value.issues}
        assert fields == {("manifest_tsv", code), ("manifest_id", code)}
