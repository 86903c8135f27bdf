"""The matrix's rows for the workset actions (dry runs, quotes, retries, archive, delete and
purge, results), with their bodies and checks."""

from __future__ import annotations

import httpx
from matrix_core import cancel_reason, submit_into_acme
from matrix_vocabulary import (
    CREATED,
    INVALID,
    OK,
    After,
    Check,
    Expect,
    F,
    H,
    Payload,
    Row,
    Rows,
    U,
    cells,
)
from tenancy_world import OTHER_TENANT, World

from ursa.domain.enums import WorksetState

# -- workset actions: estimate, quote, retry, archive, delete, results --

WS_API = "/api/v1/worksets/{workset_id:str}"
OUTSIDE_RESULTS = {"key": "worksets/elsewhere-0badc0de/results/x.vcf.gz"}


def retry_reason(world: World, principal: str) -> Payload:
    return Payload(
        json={"reason": f"matrix: {principal}"},
        headers={"Idempotency-Key": f"matrix-retry-{principal}"},
    )


def approve_current_quote(world: World, principal: str) -> Payload:
    return Payload(json={"quote_id": world.subject.quote_id})


def dry_run_creates_nothing(world: World, principal: str) -> After:
    """Validate and estimate write nothing, whoever calls; tenancy comes from the caller, so
    Globex naming Acme is checked against Globex's buckets (Acme's is not linked to it)."""
    before = world.all_worksets()
    audit = world.run(world.container.ports.audit.head(world.subject.customer_id))

    def after(expect: Expect, response: httpx.Response) -> None:
        assert world.all_worksets() == before, f"a dry run by {principal} changed worksets"
        assert world.run(world.container.ports.audit.head(world.subject.customer_id)) == audit
        body = response.json()
        if response.status_code == 422:
            assert {e["code"] for e in body["errors"]} == {"INPUT_NOT_ALLOWED"}, body
        elif response.status_code == 200 and "valid" in body:
            assert body["valid"] == (principal != OTHER_TENANT), body
            assert body["valid"] or {i["code"] for i in body["issues"]} == {"INPUT_NOT_ALLOWED"}

    return after


def clone_only_if_allowed(world: World, principal: str) -> After:
    before = set(world.all_worksets())

    def after(expect: Expect, response: httpx.Response) -> None:
        assert world.stored() == world.subject, "a retry wrote the original"
        created = [ws for ws_id, ws in world.all_worksets().items() if ws_id not in before]
        if not expect.allowed:
            assert created == [], f"a refused retry by {principal} created a workset"
            return
        (clone,) = created
        assert clone.retried_from == world.subject.workset_id
        assert clone.owner_user_id == world.user_id(principal)
        assert response.json()["workset_id"] == clone.workset_id

    return after


def subject_becomes(state: WorksetState | None) -> Check:
    """An allowed call moves the subject to ``state`` (None: a no-op); a refused one leaves
    it exactly as it was."""

    def check(world: World, principal: str) -> After:
        before = world.stored()

        def after(expect: Expect, response: httpx.Response) -> None:
            now = world.stored()
            if expect.allowed and state is not None:
                assert now.state is state, principal
            else:
                assert now == before, f"{principal} changed the workset"

        return after

    return check


def purged_only_if_allowed(world: World, principal: str) -> After:
    before = world.stored()
    folder = world.run(world.objects.list(before.bucket, before.prefix)).items
    assert folder

    def after(expect: Expect, response: httpx.Response) -> None:
        now = world.stored()
        left = world.run(world.objects.list(before.bucket, before.prefix)).items
        if expect.allowed:
            assert now.state is WorksetState.DELETED and now.hard_delete and not left
            assert response.json()["objects_removed"] == len(folder)
        else:
            assert now == before and left == folder, f"a refused purge by {principal}"

    return after


# Columns: anonymous, owner, customer_admin, colleague, other_tenant, provider_admin.
ACTION_ROWS: Rows = {
    # -- workset actions: estimate, quote, retry, archive, delete, results --
    ("POST", "/api/v1/worksets/validate"): Row(
        expect=cells(U, OK, OK, OK, OK, OK),
        payload=submit_into_acme,
        check=dry_run_creates_nothing,
    ),
    ("POST", "/api/v1/worksets/estimate"): Row(
        expect=cells(U, OK, OK, OK, INVALID, OK),
        payload=submit_into_acme,
        check=dry_run_creates_nothing,
    ),
    ("GET", f"{WS_API}/quote"): Row(expect=cells(U, OK, OK, H, H, OK)),
    ("POST", f"{WS_API}/quote/approve"): Row(
        # The subject is in error, past approval: visible callers get 409.
        expect=cells(U, Expect(409), Expect(409), H, H, Expect(409)),
        payload=approve_current_quote,
        check=subject_becomes(None),
    ),
    ("POST", f"{WS_API}/retry"): Row(
        expect=cells(U, CREATED, CREATED, H, H, CREATED),
        payload=retry_reason,
        check=clone_only_if_allowed,
    ),
    ("POST", f"{WS_API}/retry-failed"): Row(
        expect=cells(U, CREATED, CREATED, H, H, CREATED),
        payload=retry_reason,
        check=clone_only_if_allowed,
    ),
    ("POST", f"{WS_API}/archive"): Row(
        expect=cells(U, OK, OK, H, H, OK), check=subject_becomes(WorksetState.ARCHIVED)
    ),
    ("POST", f"{WS_API}/restore"): Row(
        # Not archived: a no-op for those who may restore it.
        expect=cells(U, OK, OK, H, H, OK),
        check=subject_becomes(None),
    ),
    ("DELETE", WS_API): Row(
        # Hard delete (the purge): customer admins for non-clinical work, not the owner.
        expect=cells(U, F, OK, H, H, OK),
        query={"hard": "true"},
        check=purged_only_if_allowed,
    ),
    ("POST", f"{WS_API}/undelete"): Row(
        # Provider admins only (T27). The subject is in error, not deleted: 409 for them.
        expect=cells(U, F, F, H, H, Expect(409)),
        payload=cancel_reason,
        check=subject_becomes(None),
    ),
    ("GET", f"{WS_API}/results"): Row(expect=cells(U, OK, OK, H, H, OK)),
    ("GET", f"{WS_API}/results/download"): Row(
        # A key outside the subject's results: 422 once the workset is visible, else 404.
        expect=cells(U, INVALID, INVALID, H, H, INVALID),
        query=OUTSIDE_RESULTS,
    ),
}
