"""Submit gate and retry-as-clone (§3.5): the clone carries every input, the original is
untouched."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from builders import NOW, USER_ACTOR, make_workset
from ursa.domain.creation import (
    ApprovalMode,
    ApprovalPolicy,
    BudgetOutcome,
    clone_for_retry,
    clone_workset_id,
    retry_name,
    submission_state,
)
from ursa.domain.enums import AffinityMode, Origin, Priority, WorksetState, WorksetType
from ursa.domain.errors import BudgetExhausted, GuardFailed
from ursa.domain.estimates import Quote
from ursa.domain.worksets import Affinity, InputPin, RunOptions, Workset

LATER = datetime(2026, 11, 24, 8, 30, 12, tzinfo=UTC)
SUFFIX = "0badf00d"
PIN = InputPin(
    uri="s3://acme-genomics-ursa/seq/HG002_R1.fastq.gz",
    size=7,
    etag="e-new",
    version_id=None,
    region="us-west-2",
)


def _fresh_quote(original: Workset, *, workset_id: str | None = None) -> Quote:
    clone_id = workset_id or clone_workset_id(original, now=LATER, id_suffix=SUFFIX)
    return Quote(
        quote_id=f"q-{clone_id}-1",
        workset_id=clone_id,
        rate_card_version="rc-1",
        estimator_version="est-1",
        inputs_sha256="1" * 64,
        lines=(),
        point=Decimal("31.50"),
        low=Decimal("25.20"),
        high=Decimal("47.25"),
        turnaround_low_h=Decimal(4),
        turnaround_high_h=Decimal(9),
        band_source="default",
        created_at=LATER,
        expires_at=LATER,
    )


CARRIED = {
    "pipeline_type",
    "pipeline_version",
    "reference_genome",
    "genome_build",
    "workset_type",
    "priority",
    "options",
    "manifest",
    "cluster_affinity",
    "customer_id",
    "bucket",
    "bucket_region",
    "max_attempts",
    "approved_quote_id",
    "approved_by",
    "approved_at",
    "cost_cap",
}
RESET = {
    "workset_id",
    "name",
    "owner_user_id",
    "created_by_email",
    "origin",
    "idempotency_key",
    "request_fingerprint",
    "retried_from",
    "retry_reason",
    "retry_overrides",
    "created_at",
    "submitted_at",
    "updated_at",
    "ready_since",
    "completed_at",
    "prefix",
    "state",
    "progress_step",
    "progress_message",
    "progress_pct",
    "pre_archive_state",
    "pre_ignore_state",
    "cancel_requested_at",
    "cancel_requested_by",
    "hold_reason",
    "wait_reason",
    "archived_at",
    "deleted_at",
    "hard_delete",
    "purged_at",
    "version",
    "history_seq",
    "lease_owner",
    "lease_token",
    "lease_acquired_at",
    "lease_expires_at",
    "heartbeat_at",
    "takeovers",
    "attempts",
    "extra_attempts",
    "manual_retry_count",
    "next_attempt_at",
    "first_failed_at",
    "last_attempt_at",
    "last_error_category",
    "last_error_code",
    "last_error_owner",
    "last_error_message",
    "failed_step",
    "resume_from",
    "current_run_id",
    "run",
    "attempt_history",
    "quote_id",
    "cost_estimate",
    "cost_actual",
    "mirrored_version",
    "input_pins",
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("NA12878-trio-20261120T101500", "NA12878-trio-20261124T083012"),
        ("NA12878-trio-20261120T101500-20261121T101500", "NA12878-trio-20261124T083012"),
        ("plain", "plain-20261124T083012"),
        ("x" * 80, "x" * 64 + "-20261124T083012"),
        ("ends with dots...", "ends with dots-20261124T083012"),
        ("-20261120T101500", "workset-20261124T083012"),
    ],
)
def test_retry_name(name: str, expected: str) -> None:
    assert retry_name(name, LATER) == expected


def test_every_field_is_either_carried_or_reset() -> None:
    fields = {f.name for f in dataclasses.fields(make_workset())}
    assert fields == CARRIED | RESET, "a new Workset field needs a §3.5 carry-over decision"


def test_clone_carries_inputs_and_leaves_original_untouched() -> None:
    original = make_workset(
        state=WorksetState.FAILED,
        attempts=3,
        priority=Priority.URGENT,
        workset_type=WorksetType.CLINICAL,
        last_error_code="WS-RES-001",
        cost_cap=Decimal("40"),
        options=RunOptions(
            enable_qc=True, archive_results=True, notification_emails=("lab@acme.example",)
        ),
        cluster_affinity=Affinity(
            mode=AffinityMode.BINDING, cluster_name="ursa-usw2-1", reason="user_selected"
        ),
        approved_quote_id="q-1",
        approved_by="u-ca",
        approved_at=NOW,
    )
    snapshot = dataclasses.replace(original)
    quote = _fresh_quote(original)
    result = clone_for_retry(
        original,
        requester=USER_ACTOR,
        requester_email="cu@acme.example",
        now=LATER,
        id_suffix=SUFFIX,
        state=WorksetState.READY,
        input_pins=(PIN,),
        quote=quote,
        reason="bad node",
    )
    clone = result.workset
    assert original == snapshot
    # Re-taken pins and the fresh quote are the clone's own (§3.5 "not carried over").
    assert clone.input_pins == (PIN,) != original.input_pins
    assert (clone.quote_id, clone.cost_estimate) == (quote.quote_id, quote.point)
    assert quote.workset_id == clone.workset_id and clone.quote_id != original.quote_id
    for name in CARRIED - {"manifest"}:
        assert getattr(clone, name) == getattr(original, name), name
    # The manifest's bytes and digest are carried; the clone reads them from its own folder.
    assert clone.manifest == dataclasses.replace(
        original.manifest, key=f"{clone.prefix}stage_samples.tsv"
    )
    assert clone.workset_id == "acme-trio-20261124t083012-0badf00d"
    assert clone.prefix == f"worksets/{clone.workset_id}/"
    assert (clone.origin, clone.retried_from, clone.state) == (
        Origin.RETRY_CLONE,
        original.workset_id,
        WorksetState.READY,
    )
    assert clone.attempts == 0 and clone.last_error_code is None and clone.version == 1
    assert result.expected_version is None and result.history.event == "clone_retry"
    assert [e.type for e in result.events] == ["workset.submitted", "workset.cloned_for_retry"]


@pytest.mark.parametrize(
    "state", [WorksetState.READY, WorksetState.IN_PROGRESS, WorksetState.AWAITING_APPROVAL]
)
def test_only_ended_worksets_can_be_cloned(state: WorksetState) -> None:
    extra = {"current_run_id": "r1", "attempts": 1} if state is WorksetState.IN_PROGRESS else {}
    original = make_workset(state=state, **extra)
    with pytest.raises(GuardFailed, match="only worksets"):
        clone_for_retry(
            original,
            requester=USER_ACTOR,
            requester_email="x@y.example",
            now=LATER,
            id_suffix=SUFFIX,
            state=WorksetState.READY,
            input_pins=(PIN,),
            quote=_fresh_quote(original),
        )


def test_an_archived_failure_can_be_cloned() -> None:
    ws = make_workset(state=WorksetState.ARCHIVED, pre_archive_state=WorksetState.FAILED)
    clone = clone_for_retry(
        ws,
        requester=USER_ACTOR,
        requester_email="x@y.example",
        now=LATER,
        id_suffix=SUFFIX,
        state=WorksetState.READY,
        input_pins=(PIN,),
        quote=_fresh_quote(ws),
    ).workset
    assert clone.retried_from == ws.workset_id


def test_a_clone_carries_only_a_quote_made_for_it() -> None:
    original = make_workset(state=WorksetState.FAILED)
    with pytest.raises(ValueError, match="is for"):
        clone_for_retry(
            original,
            requester=USER_ACTOR,
            requester_email="x@y.example",
            now=LATER,
            id_suffix=SUFFIX,
            state=WorksetState.READY,
            input_pins=(PIN,),
            quote=_fresh_quote(original, workset_id=original.workset_id),
        )


@pytest.mark.parametrize(
    ("required", "budget", "expected"),
    [
        (False, BudgetOutcome.OK, WorksetState.READY),
        (True, BudgetOutcome.OK, WorksetState.AWAITING_APPROVAL),
        (True, BudgetOutcome.HOLD, WorksetState.AWAITING_APPROVAL),
        (False, BudgetOutcome.HOLD, WorksetState.ON_HOLD),
    ],
)
def test_submission_state(required: bool, budget: BudgetOutcome, expected: WorksetState) -> None:
    assert submission_state(approval_required=required, budget=budget) is expected


def test_reject_new_budget_refuses_submit() -> None:
    with pytest.raises(BudgetExhausted):
        submission_state(approval_required=False, budget=BudgetOutcome.REJECT)


@pytest.mark.parametrize(
    ("policy", "workset_type", "point", "required"),
    [
        (ApprovalPolicy(), WorksetType.RUO, Decimal("1000"), False),
        (ApprovalPolicy(), WorksetType.CLINICAL, Decimal("1"), True),
        (ApprovalPolicy(mode=ApprovalMode.ALWAYS), WorksetType.RUO, Decimal("1"), True),
        (
            ApprovalPolicy(mode=ApprovalMode.ABOVE, threshold=Decimal("30")),
            WorksetType.RUO,
            Decimal("30"),
            False,
        ),
        (
            ApprovalPolicy(mode=ApprovalMode.ABOVE, threshold=Decimal("30")),
            WorksetType.RUO,
            Decimal("30.01"),
            True,
        ),
    ],
)
def test_approval_policy(
    policy: ApprovalPolicy, workset_type: WorksetType, point: Decimal, required: bool
) -> None:
    assert policy.requires_approval(workset_type, point) is required
