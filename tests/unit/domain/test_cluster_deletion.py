"""The pure parts of cluster deletion: the plan digest, the confirmation token, the worksets
that block a deletion and the final check."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from builders import NOW, make_workset
from ursa.domain.cluster_deletion import (
    CONFIRMATION_TTL,
    TOKEN_FIELD,
    BlockingWorkset,
    blocking_worksets,
    check_deletable,
    issue_token,
    plan_digest,
    read_token,
)
from ursa.domain.enums import ProgressStep, WorksetState
from ursa.domain.errors import Conflict, InvalidInput
from ursa.domain.ports.cluster import ClusterInfo, ClusterStatus
from ursa.domain.run_record import HeadNodeRef, Run
from ursa.domain.worksets import Workset

KEY = b"k" * 32
REGION, NAME, ADMIN = "us-west-2", "ursa-usw2-202611231015", "u-pa"
INFO = ClusterInfo(
    name=NAME,
    region=REGION,
    status=ClusterStatus.READY,
    head_node=HeadNodeRef(host="203.0.113.10", instance_id="i-0head"),
    tags={"ursa:managed": "true"},
    fsx_id="fs-0123456789abcdef0",
)
EXPIRES = NOW + CONFIRMATION_TTL


def _token(**changes: object) -> str:
    args: dict[str, object] = {
        "region": REGION,
        "name": NAME,
        "principal_id": ADMIN,
        "digest": plan_digest(INFO),
        "expires_at": EXPIRES,
    }
    args.update(changes)
    return issue_token(KEY, **args)  # type: ignore[arg-type]


def _read(
    token: str | None,
    *,
    key: bytes = KEY,
    now: datetime = NOW,
    region: str = REGION,
    name: str = NAME,
    principal_id: str = ADMIN,
) -> str:
    return read_token(token, key, now=now, region=region, name=name, principal_id=principal_id)


def _issue(error: InvalidInput) -> tuple[str, str]:
    (issue,) = error.issues
    return issue.field, issue.code


# --- the digest ------------------------------------------------------------------------------


def test_the_digest_names_what_is_removed_not_what_moves() -> None:
    digest = plan_digest(INFO)
    assert len(digest) == 32 and int(digest, 16) >= 0
    assert plan_digest(replace(INFO, tags={})) == digest  # tags may change freely
    changed = [
        replace(INFO, status=ClusterStatus.DELETING),
        replace(INFO, head_node=HeadNodeRef(host="203.0.113.10", instance_id="i-0other")),
        replace(INFO, head_node=None),
        replace(INFO, fsx_id="fs-0fedcba9876543210"),
        replace(INFO, fsx_id=None),
        replace(INFO, static=True),
        replace(INFO, name="ursa-usw2-202611231016"),
        replace(INFO, region="us-east-1"),
    ]
    digests = {plan_digest(c) for c in changed}
    assert digest not in digests and len(digests) == len(changed)


# --- the token -------------------------------------------------------------------------------


def test_a_token_reads_back_as_its_digest_until_it_expires() -> None:
    token = _token()
    assert token.startswith(f"v1.{int(EXPIRES.timestamp())}.")
    assert _read(token) == plan_digest(INFO)
    assert _read(token, now=EXPIRES - timedelta(seconds=1)) == plan_digest(INFO)
    with pytest.raises(Conflict) as expired:
        _read(token, now=EXPIRES)
    assert expired.value.code == "CONFIRMATION_EXPIRED"


@pytest.mark.parametrize("token", [None, ""])
def test_no_token_is_required(token: str | None) -> None:
    with pytest.raises(InvalidInput) as caught:
        _read(token)
    assert _issue(caught.value) == (TOKEN_FIELD, "REQUIRED")


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "v2.1.0.0",
        f"v1.x.{'0' * 32}.{'A' * 43}",
        f"v1.1.{'0' * 31}.{'A' * 43}",
        f"v1.1.{'G' * 32}.{'A' * 43}",
        f"v1.1.{'0' * 32}.{'A' * 42}",
        f"v1.1.{'0' * 32}.{'A' * 43}.extra",
        f"v1.1234567890123.{'0' * 32}.{'A' * 43}",
    ],
)
def test_a_malformed_token_is_refused(token: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        _read(token)
    assert _issue(caught.value) == (TOKEN_FIELD, "MALFORMED")


@pytest.mark.parametrize(
    ("region", "name", "principal_id"),
    [("us-east-1", NAME, ADMIN), (REGION, "ursa-usw2-other", ADMIN), (REGION, NAME, "u-other")],
)
def test_a_token_is_bound_to_its_cluster_and_principal(
    region: str, name: str, principal_id: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _read(_token(), region=region, name=name, principal_id=principal_id)
    assert _issue(caught.value) == (TOKEN_FIELD, "NOT_YOURS")


def test_a_token_cannot_be_stretched_or_moved_to_another_plan_or_key() -> None:
    _, expires, digest, mac = _token().split(".")
    tampered = [
        f"v1.{int(expires) + 3600}.{digest}.{mac}",
        f"v1.{expires}.{'0' * 32}.{mac}",
        f"v1.{expires}.{digest}.{'A' * 43}",
    ]
    for token in tampered:
        with pytest.raises(InvalidInput):
            _read(token)
    with pytest.raises(InvalidInput):
        _read(_token(), key=b"j" * 32)


def test_keys_and_times_are_checked() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        issue_token(
            b"short",
            region=REGION,
            name=NAME,
            principal_id=ADMIN,
            digest=plan_digest(INFO),
            expires_at=EXPIRES,
        )
    with pytest.raises(ValueError, match="32 bytes"):
        _read(_token(), key=b"short")
    with pytest.raises(ValueError, match="timezone-aware"):
        _token(expires_at=EXPIRES.replace(tzinfo=None))
    with pytest.raises(ValueError, match="32 hex"):
        _token(digest="abc")


def test_odd_names_cannot_forge_another_clusters_token() -> None:
    """The MAC input is JSON, so no choice of region and name runs into the next field."""
    token = _token(region="us-west-2", name="a\nb")
    with pytest.raises(InvalidInput):
        _read(token, region="us-west-2\na", name="b")
    assert _read(token, name="a\nb")


# --- blocking worksets -----------------------------------------------------------------------


def _running(workset_id: str, *, cluster: str = NAME, region: str | None = REGION) -> Workset:
    run = Run(
        run_id=f"{workset_id}-r1",
        attempt=1,
        started_at=NOW,
        cluster_name=cluster,
        region=region,
    )
    return make_workset(
        workset_id=workset_id,
        state=WorksetState.IN_PROGRESS,
        current_run_id=run.run_id,
        run=run,
        attempts=1,
        progress_step=ProgressStep.PIPELINE_RUNNING,
    )


def test_worksets_in_progress_on_the_cluster_block_it() -> None:
    on_it = _running("acme-b-00000002")
    no_region = _running("acme-a-00000001", region=None)
    elsewhere = _running("acme-c-00000003", cluster="ursa-usw2-other")
    other_region = _running("acme-d-00000004", region="us-east-1")
    ready = make_workset(workset_id="acme-e-00000005", run=on_it.run)
    found = blocking_worksets([on_it, no_region, elsewhere, other_region, ready], REGION, NAME)
    assert [b.workset_id for b in found] == ["acme-a-00000001", "acme-b-00000002"]
    assert found[1] == BlockingWorkset(
        workset_id="acme-b-00000002",
        name="acme trio",
        customer_id=on_it.customer_id,
        state=WorksetState.IN_PROGRESS,
        progress_step=ProgressStep.PIPELINE_RUNNING,
    )


# --- the final check -------------------------------------------------------------------------


def _blocker(n: int) -> BlockingWorkset:
    return BlockingWorkset(
        workset_id=f"acme-{n:02d}-0000000{n % 10}",
        name="x",
        customer_id="acme",
        state=WorksetState.IN_PROGRESS,
        progress_step=None,
    )


def test_check_deletable_in_order_stale_deleting_in_use() -> None:
    digest = plan_digest(INFO)
    check_deletable(INFO, digest, ())
    with pytest.raises(Conflict) as stale:
        check_deletable(replace(INFO, fsx_id=None), digest, ())
    assert stale.value.code == "CONFIRMATION_STALE"
    deleting = replace(INFO, status=ClusterStatus.DELETING)
    with pytest.raises(Conflict) as again:
        check_deletable(deleting, plan_digest(deleting), (_blocker(1),))
    assert again.value.code == "CLUSTER_DELETING"
    with pytest.raises(Conflict) as busy:
        check_deletable(INFO, digest, tuple(_blocker(n) for n in range(12)))
    assert busy.value.code == "CLUSTER_IN_USE"
    assert "12 workset(s)" in busy.value.message and "and 2 more" in busy.value.message
    assert _blocker(9).workset_id in busy.value.message
    assert _blocker(10).workset_id not in busy.value.message


def test_now_must_be_aware() -> None:
    with pytest.raises(TypeError):
        _read(_token(), now=datetime(2026, 11, 23, 10, 15))
    assert _read(_token(), now=datetime(2026, 11, 23, 10, 15, tzinfo=UTC)) == plan_digest(INFO)
