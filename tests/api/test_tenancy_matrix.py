"""The tenancy matrix: every route of the app × every kind of caller → the status it answers.

The routes come from the app's own route table, so a new route without a row in ``MATRIX``
fails ``test_every_route_has_a_row``. The subject of every row is one workset owned by an
Acme ``customer_user`` (see ``tenancy_world``). The rules:

* the owner sees and acts on their own worksets, the customer admin on all of the
  customer's, the provider admin on everything;
* a colleague (another ``customer_user`` of the same customer) and another tenant get 404:
  no existence leak, and a refused write changes nothing;
* a visible workset whose action the role lacks (the command log) is 403;
* anonymous callers get 401 on the API; portal pages send them to sign-in (303, or 200 with
  ``HX-Redirect`` for htmx requests).

GET cells share one seeded world (with the simulated engine running, for the cluster
routes); every other cell gets a freshly seeded world of its own, so cells stay independent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from tenancy_world import (
    ANONYMOUS,
    COLLEAGUE,
    CUSTOMER_ADMIN,
    EMAILS,
    OTHER_TENANT,
    OWNER,
    PASSWORD,
    PRINCIPALS,
    PROVIDER_ADMIN,
    SEES_SUBJECT,
    SIGN_IN,
    SUBJECT,
    World,
    open_world,
    route_table_container,
)

from ursa.adapters.memory.identity import InMemoryIdentity
from ursa.adapters.memory.seed_data import LINKS
from ursa.app.factory import create_app
from ursa.domain.customers import Customer, User
from ursa.domain.enums import WorksetState
from ursa.domain.errors import NotFound, Unauthenticated
from ursa.domain.linked_buckets import LinkedBucket, challenge_key
from ursa.domain.principals import Role
from ursa.domain.saved_manifests import SavedManifest

PROBLEM = "application/problem+json"
SESSION_COOKIE = "session"

# -- what a cell expects ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expect:
    status: int
    location: str | None = None
    """A redirect's target: a route template, filled in with the subject's values."""
    hx_redirect: str | None = None
    challenge: bool = False
    """The caller must authenticate (nothing was done, as for a 4xx)."""

    @property
    def allowed(self) -> bool:
        """The request was carried out (a write must then have happened, else not)."""
        return self.status < 400 and not self.challenge


OK = Expect(200)
CREATED = Expect(201)
UNAUTHORIZED = Expect(401)
FORBIDDEN = Expect(403)
HIDDEN = Expect(404)
INVALID = Expect(422)
SIGN_IN_PAGE = Expect(303, location=SIGN_IN, challenge=True)
HX_SIGN_IN = Expect(200, hx_redirect=SIGN_IN, challenge=True)


def see(template: str) -> Expect:
    """A 303 to ``template`` (post/redirect/get, or a plain redirect)."""
    return Expect(303, location=template)


def cells(
    anonymous: Expect,
    owner: Expect,
    customer_admin: Expect,
    colleague: Expect,
    other_tenant: Expect,
    provider_admin: Expect,
) -> dict[str, Expect]:
    return {
        ANONYMOUS: anonymous,
        OWNER: owner,
        CUSTOMER_ADMIN: customer_admin,
        COLLEAGUE: colleague,
        OTHER_TENANT: other_tenant,
        PROVIDER_ADMIN: provider_admin,
    }


def everyone(expect: Expect) -> dict[str, Expect]:
    return dict.fromkeys(PRINCIPALS, expect)


# -- request bodies -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Payload:
    json: Any = None
    form: Mapping[str, str] | None = None
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def submit_into_acme(world: World, principal: str) -> Payload:
    """A valid submission for Acme (the subject's customer), naming Acme explicitly."""
    tag = principal.replace("_", "-")
    return Payload(
        json={
            "name": f"Matrix {tag}",
            "pipeline_type": world.subject.pipeline_type.value,
            "manifest_tsv": world.manifest(tag),
            "customer_id": world.subject.customer_id,
        },
        headers={"Idempotency-Key": f"matrix-submit-{principal}"},
    )


def cancel_reason(world: World, principal: str) -> Payload:
    return Payload(json={"reason": f"matrix: {principal}"})


def cancel_form(world: World, principal: str) -> Payload:
    return Payload(form={"reason": f"matrix: {principal}"})


def sign_in_as_owner(world: World, principal: str) -> Payload:
    return Payload(form={"user_id": world.user_id(OWNER)})


def empty_form(world: World, principal: str) -> Payload:
    return Payload(form={})


def object_body(world: World, principal: str) -> Payload:
    return Payload(content=b"overwritten by " + principal.encode())


# -- what a write must (not) have changed -------------------------------------------------------

After = Callable[[Expect, httpx.Response], None]
Check = Callable[[World, str], After]


def subject_canceled_only_if_allowed(world: World, principal: str) -> After:
    before = world.stored()
    assert before.state is WorksetState.ERROR

    def after(expect: Expect, response: httpx.Response) -> None:
        now = world.stored()
        if expect.allowed:
            assert now.state is WorksetState.CANCELED
        else:
            assert now == before, f"a refused cancel by {principal} changed the workset"

    return after


def submission_lands_in_own_customer(world: World, principal: str) -> After:
    before = set(world.all_worksets())

    def after(expect: Expect, response: httpx.Response) -> None:
        created = [ws for ws_id, ws in world.all_worksets().items() if ws_id not in before]
        if not expect.allowed:
            assert created == [], f"a refused submit by {principal} created a workset"
            if response.status_code == 422:  # refused for the tenant, not for a bad request
                codes = {e["code"] for e in response.json()["errors"]}
                assert codes == {"INPUT_NOT_ALLOWED"}, response.text
            return
        (ws,) = created
        assert ws.customer_id == world.subject.customer_id
        assert ws.owner_user_id == world.user_id(principal)

    return after


def snapshot_only_if_allowed(world: World, principal: str) -> After:
    # The engine takes one snapshot when it starts; wait for it so it cannot race the check.
    deadline = time.monotonic() + 10
    while not world.run(world.container.snapshots.all_latest()):
        assert time.monotonic() < deadline, "the engine took no snapshot at start-up"
        time.sleep(0.02)
    before = world.run(world.container.snapshots.all_latest())

    def after(expect: Expect, response: httpx.Response) -> None:
        now = world.run(world.container.snapshots.all_latest())
        assert (now != before) == expect.allowed

    return after


CLUSTER = "/api/v1/clusters/{region:str}/{name:str}"


def admins_confirmation(world: World, principal: str) -> Payload:
    """The provider admin's delete plan token, whoever sends it (a well-formed stand-in in a
    world without the engine, where there is nothing to plan)."""
    if world.container.engine is None:
        return Payload(headers={"X-Confirmation-Token": f"v1.0.{'0' * 32}.{'A' * 43}"})
    plan = world.call(PROVIDER_ADMIN, "POST", world.url(f"{CLUSTER}/delete-plan"))
    assert plan.status_code == 200, plan.text
    return Payload(headers={"X-Confirmation-Token": plan.json()["confirmation_token"]})


def cluster_deleted_only_if_allowed(world: World, principal: str) -> After:
    """The control plane was asked to delete the cluster exactly when the cell allows a
    DELETE (a plan never deletes)."""
    assert world.container.engine is not None
    gateway, params = world.container.engine.clusters, world.params

    def status() -> str:
        return str(world.run(gateway.describe(params["region"], params["name"])).status)

    assert status() == "ready"

    def after(expect: Expect, response: httpx.Response) -> None:
        deletes = expect.allowed and response.request.method == "DELETE"
        assert status() == ("deleting" if deletes else "ready"), principal

    return after


def object_unchanged_if_refused(world: World, principal: str) -> After:
    params = world.params
    before = world.run(world.objects.head(params["bucket"], params["key"]))
    assert before is not None

    def after(expect: Expect, response: httpx.Response) -> None:
        now = world.run(world.objects.head(params["bucket"], params["key"]))
        assert expect.allowed or now == before

    return after


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


# -- manifests --

MANIFEST_API = "/api/v1/manifests/{manifest_id:str}"


def manifest_for_acme(world: World, principal: str) -> Payload:
    """A valid one-sample manifest in Acme's bucket, naming Acme (customers' naming is
    ignored: Globex is checked against its own buckets)."""
    tag = principal.replace("_", "-")
    return Payload(
        json={
            "name": f"Matrix {tag}",
            "tsv": world.manifest(tag),
            "customer_id": world.subject.customer_id,
        },
        headers={"Idempotency-Key": f"matrix-manifest-{principal}"},
    )


def validate_for_acme(world: World, principal: str) -> Payload:
    body = manifest_for_acme(world, principal).json
    return Payload(json={"tsv": body["tsv"], "customer_id": body["customer_id"]})


def generate_from_acme(world: World, principal: str) -> Payload:
    return Payload(
        json={
            "bucket": world.params["bucket"],
            "prefix": "sequencing/",
            "customer_id": world.subject.customer_id,
        }
    )


def rename_manifest(world: World, principal: str) -> Payload:
    return Payload(json={"name": f"Renamed by {principal.replace('_', '-')}"})


def _manifests(world: World) -> dict[str, SavedManifest]:
    page = world.run(world.container.ports.manifests.list(None, limit=100))
    return {m.manifest_id: m for m in page.items}


def no_manifest_saved(world: World, principal: str) -> After:
    """Validate and generate (without ``save``) store nothing, whoever calls; another
    tenant's view of Acme's bucket is refused (generate) or reported (validate)."""
    before = _manifests(world)
    audit = world.run(world.container.ports.audit.head(world.subject.customer_id))

    def after(expect: Expect, response: httpx.Response) -> None:
        assert _manifests(world) == before, f"a dry run by {principal} saved a manifest"
        assert world.run(world.container.ports.audit.head(world.subject.customer_id)) == audit
        body = response.json()
        if response.status_code == 422:
            assert {e["code"] for e in body["errors"]} == {"INPUT_NOT_ALLOWED"}, body
        elif response.status_code == 200 and "issues" in body and "tsv" not in body:
            assert body["valid"] == (principal != OTHER_TENANT), body

    return after


def manifest_saved_only_if_allowed(world: World, principal: str) -> After:
    before = set(_manifests(world))

    def after(expect: Expect, response: httpx.Response) -> None:
        created = [m for m_id, m in _manifests(world).items() if m_id not in before]
        if not expect.allowed:
            assert created == [], f"a refused save by {principal} stored a manifest"
            if response.status_code == 422:
                assert {e["code"] for e in response.json()["errors"]} == {"INPUT_NOT_ALLOWED"}
            return
        (saved,) = created
        assert saved.customer_id == world.subject.customer_id
        assert saved.owner_user_id == world.user_id(principal)

    return after


def subject_manifest_renamed_only_if_allowed(world: World, principal: str) -> After:
    before = world.subject_manifest

    def after(expect: Expect, response: httpx.Response) -> None:
        now = world.run(world.container.ports.manifests.get(before.manifest_id))
        if expect.allowed:
            assert now.version == before.version + 1 and now.name != before.name
        else:
            assert now == before, f"a refused edit by {principal} changed the manifest"

    return after


def subject_manifest_deleted_only_if_allowed(world: World, principal: str) -> After:
    before = world.subject_manifest

    def after(expect: Expect, response: httpx.Response) -> None:
        left = _manifests(world).get(before.manifest_id)
        stored = world.run(world.objects.head(before.bucket, before.key))
        if expect.allowed:
            assert left is None and stored is None
        else:
            assert left == before and stored is not None, f"a refused delete by {principal}"

    return after


def session_rotated(world: World, principal: str) -> After:
    """Signing in always starts a new session (no fixation), whoever was signed in."""
    old = world.jar(principal).get(SESSION_COOKIE)

    def after(expect: Expect, response: httpx.Response) -> None:
        new = world.client.cookies.get(SESSION_COOKIE)
        assert new and new != old

    return after


def session_ended(world: World, principal: str) -> After:
    """After signing out, the old session cookie no longer signs anybody in."""

    def after(expect: Expect, response: httpx.Response) -> None:
        world.client.cookies = world.jar(principal)
        again = world.client.get("/worksets")
        assert (again.status_code, again.headers.get("location")) == (303, SIGN_IN)

    return after


def new_password_form(world: World, principal: str) -> Payload:
    return Payload(form={"password": "Matrix-New-Pass-2", "confirm": "Matrix-New-Pass-2"})


def nothing_to_complete(world: World, principal: str) -> After:
    """The caller stays signed in (or out) as before and the owner's password still works."""

    def after(expect: Expect, response: httpx.Response) -> None:
        again = world.client.get("/worksets")  # with the cookies the answer left behind
        if principal == ANONYMOUS:
            assert again.status_code == 303
        else:
            assert again.status_code == 200 and EMAILS[principal] in again.text
        assert world.container.passwords is not None
        world.run(world.container.passwords.sign_in(EMAILS[OWNER], PASSWORD))

    return after


# -- me, customers, users, tokens --

ACCOUNTS_CUSTOMER = "/api/v1/customers/{customer_id:str}"
ACCOUNTS_USER = "/api/v1/users/{user_id:str}"
MATRIX_PASSWORD = "Matrix-Passw0rd!"


def _tag(principal: str) -> str:
    return principal.replace("_", "-")


def new_customer(world: World, principal: str) -> Payload:
    return Payload(json={"name": f"Matrix {_tag(principal)}", "bucket": f"mx-{_tag(principal)}"})


def rename_customer(world: World, principal: str) -> Payload:
    return Payload(json={"name": f"Renamed by {_tag(principal)}"})


def invite_user(world: World, principal: str) -> Payload:
    email = f"invited-{_tag(principal)}@acme.example"
    return Payload(json={"email": email, "display_name": "Matrix Invitee"})


def grant_admin(world: World, principal: str) -> Payload:
    return Payload(json={"role": "customer_admin"})


def new_password(world: World, principal: str) -> Payload:
    return Payload(json={"password": MATRIX_PASSWORD, "permanent": True})


def new_token(world: World, principal: str) -> Payload:
    return Payload(json={"name": f"matrix {_tag(principal)}", "scopes": ["read"]})


def _customers(world: World) -> dict[str, Customer]:
    return {c.customer_id: c for c in world.run(world.container.ports.directory.list_customers())}


def _owner(world: World) -> User:
    return world.run(world.container.ports.directory.user_by_email(EMAILS[OWNER]))


def _identity(world: World) -> InMemoryIdentity:
    identity = world.container.ports.identity_admin
    assert isinstance(identity, InMemoryIdentity)
    return identity


def customer_created_only_if_allowed(world: World, principal: str) -> After:
    before = _customers(world)

    def after(expect: Expect, response: httpx.Response) -> None:
        now = _customers(world)
        created = [c for cid, c in now.items() if cid not in before]
        assert len(created) == int(expect.allowed), principal
        assert {cid: now[cid] for cid in before} == before

    return after


def customer_renamed_only_if_allowed(world: World, principal: str) -> After:
    before = _customers(world)[world.subject.customer_id]

    def after(expect: Expect, response: httpx.Response) -> None:
        now = _customers(world)[world.subject.customer_id]
        if expect.allowed:
            assert now.name == f"Renamed by {_tag(principal)}"
            assert now.version == before.version + 1
        else:
            assert now == before, f"a refused edit by {principal} changed the customer"

    return after


def user_added_only_if_allowed(world: World, principal: str) -> After:
    email = f"invited-{_tag(principal)}@acme.example"

    def after(expect: Expect, response: httpx.Response) -> None:
        users = world.run(world.container.ports.directory.list_users())
        added = [u for u in users if u.email == email]
        assert len(added) == int(expect.allowed), principal
        if added:
            assert added[0].customer_id == world.subject.customer_id
            assert _identity(world).last_secret(email, "invitation")

    return after


def owner_role_only_if_allowed(world: World, principal: str) -> After:
    before = _owner(world)
    assert before.role is Role.CUSTOMER_USER

    def after(expect: Expect, response: httpx.Response) -> None:
        now = _owner(world)
        assert now == (replace(before, role=Role.CUSTOMER_ADMIN) if expect.allowed else before)

    return after


def owner_password_only_if_allowed(world: World, principal: str) -> After:
    def after(expect: Expect, response: httpx.Response) -> None:
        try:
            world.run(_identity(world).sign_in(EMAILS[OWNER], MATRIX_PASSWORD))
        except Unauthenticated:
            assert not expect.allowed, principal
        else:
            assert expect.allowed, f"a refused password change by {principal} took effect"

    return after


def owner_disabled_only_if_allowed(world: World, principal: str) -> After:
    before = _owner(world)
    assert not before.disabled

    def after(expect: Expect, response: httpx.Response) -> None:
        assert _owner(world).disabled == expect.allowed, principal

    return after


def owner_enabled_only_if_allowed(world: World, principal: str) -> After:
    """The owner starts disabled (so the owner's own token is refused: 401)."""
    disabled = replace(_owner(world), disabled=True)
    world.run(world.container.ports.directory.put_user(disabled))
    world.run(_identity(world).disable_user(disabled.email))

    def after(expect: Expect, response: httpx.Response) -> None:
        assert _owner(world).disabled == (not expect.allowed), principal

    return after


def _token_counts(world: World) -> dict[str, int]:
    tokens = world.container.ports.tokens
    return {
        p: len(world.run(tokens.for_user(world.user_id(p)))) for p in PRINCIPALS if p != ANONYMOUS
    }


def token_created_only_if_allowed(world: World, principal: str) -> After:
    before = _token_counts(world)

    def after(expect: Expect, response: httpx.Response) -> None:
        grown = {p: n for p, n in _token_counts(world).items() if n != before[p]}
        assert grown == ({principal: before[principal] + 1} if expect.allowed else {})

    return after


def owner_token_revoked_only_if_allowed(world: World, principal: str) -> After:
    token_id = world.owner_token_id

    def after(expect: Expect, response: httpx.Response) -> None:
        token = world.run(world.container.ports.tokens.by_id(token_id))
        assert (token.revoked_at is not None) == expect.allowed, principal

    return after


# -- linked buckets --

BUCKETS_API = "/api/v1/buckets"
BUCKET_API = "/api/v1/buckets/{bucket_id:str}"
LINKED = LINKS[0].bucket
"""Acme's seeded link (the subject's customer), writable and unrestricted."""
LINKED_OBJECT = {"key": challenge_key("acme-genomics-3f9c01ab", LINKED, "")}
"""An object in it: the challenge the seed wrote to prove control."""
MATRIX_KEY = "matrix/upload.fastq.gz"
NO_CONTENT = Expect(204)
_OPEN_UPLOADS: dict[int, str] = {}
"""world → the multipart upload its payload opened (for the abort row's check)."""


def _link(world: World) -> LinkedBucket | None:
    links = world.run(world.container.ports.linked_buckets.list_all())
    return next((lb for lb in links if lb.bucket_id == world.params["bucket_id"]), None)


def _new_bucket(principal: str) -> str:
    return f"matrix-{principal.replace('_', '-')}-inputs"


def link_new_bucket(world: World, principal: str) -> Payload:
    """A fresh bucket with the challenge of every customer in it, linked naming Acme."""
    bucket = _new_bucket(principal)
    world.objects.create_bucket(bucket)
    for customer in world.run(world.container.ports.directory.list_customers()):
        world.objects.seed_object(bucket, challenge_key(customer.customer_id, bucket, ""), 0)
    body = {"bucket": bucket, "display_name": "Matrix", "customer_id": world.subject.customer_id}
    return Payload(json=body)


def link_created_only_if_allowed(world: World, principal: str) -> After:
    """Linked into the caller's own customer (the provider's: the one named), or nothing."""
    before = world.run(world.container.ports.linked_buckets.list_all())

    def after(expect: Expect, response: httpx.Response) -> None:
        now = world.run(world.container.ports.linked_buckets.list_all())
        added = [lb for lb in now if lb not in before]
        if not expect.allowed:
            assert added == [], f"a refused link by {principal} was stored"
            return
        (link,) = added
        caller = world.run(world.container.ports.directory.user_by_email(EMAILS[principal]))
        assert link.bucket == _new_bucket(principal)
        assert link.customer_id == (caller.customer_id or world.subject.customer_id)

    return after


def edit_description(world: World, principal: str) -> Payload:
    return Payload(json={"description": f"matrix: {principal}"})


def link_changed_only_if_allowed(world: World, principal: str) -> After:
    """Edit, revalidate and unlink change the seeded link (a new version, or gone)."""
    before = _link(world)
    audit = world.run(world.container.ports.audit.head(world.subject.customer_id))
    assert before is not None

    def after(expect: Expect, response: httpx.Response) -> None:
        now = _link(world)
        if expect.allowed:
            assert now is None or now.version == before.version + 1, principal
        else:
            assert now == before, f"a refused call by {principal} changed the link"
            assert world.run(world.container.ports.audit.head(world.subject.customer_id)) == audit

    return after


def single_upload(world: World, principal: str) -> Payload:
    return Payload(json={"key": MATRIX_KEY})


def upload_key(world: World, principal: str) -> Payload:
    return Payload(json={"key": MATRIX_KEY, "parts": 1})


def presigning_stores_nothing(world: World, principal: str) -> After:
    before = _link(world)

    def after(expect: Expect, response: httpx.Response) -> None:
        assert _link(world) == before
        assert world.run(world.objects.head(LINKED, MATRIX_KEY)) is None

    return after


def uploaded_part(world: World, principal: str) -> Payload:
    """A multipart upload with its one part already uploaded (through its presigned URL)."""
    upload_id = world.run(world.objects.create_multipart(LINKED, MATRIX_KEY))
    url = world.run(world.objects.presign_part(LINKED, MATRIX_KEY, upload_id, 1))
    query = dict(parse_qsl(urlsplit(url).query))
    reply = world.objects.open_presigned("PUT", LINKED, MATRIX_KEY, query, b"matrix part")
    parts = [{"part_number": 1, "etag": reply.etag}]
    return Payload(json={"key": MATRIX_KEY, "upload_id": upload_id, "parts": parts})


def object_stored_only_if_allowed(world: World, principal: str) -> After:
    def after(expect: Expect, response: httpx.Response) -> None:
        stored = world.run(world.objects.head(LINKED, MATRIX_KEY))
        assert (stored is not None) == expect.allowed, principal

    return after


def open_upload(world: World, principal: str) -> Payload:
    upload_id = world.run(world.objects.create_multipart(LINKED, MATRIX_KEY))
    _OPEN_UPLOADS[id(world)] = upload_id
    return Payload(json={"key": MATRIX_KEY, "upload_id": upload_id})


def upload_aborted_only_if_allowed(world: World, principal: str) -> After:
    upload_id = _OPEN_UPLOADS.pop(id(world))

    def after(expect: Expect, response: httpx.Response) -> None:
        try:
            world.run(world.objects.abort_multipart(LINKED, MATRIX_KEY, upload_id))
        except NotFound:
            assert expect.allowed, f"a refused abort by {principal} discarded the upload"
        else:
            assert not expect.allowed, f"an abort by {principal} left the upload open"

    return after


# -- the matrix ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    expect: Mapping[str, Expect]
    """Per caller, for the plain request (the API, or a browser without htmx)."""
    htmx: bool = False
    """Also call the route as htmx does (a partial; errors become toasts)."""
    htmx_answers_post: bool = False
    """Where a plain form post redirects (303), htmx gets 200 and a toast."""
    query: Mapping[str, str] = field(default_factory=dict)
    payload: Callable[[World, str], Payload] | None = None
    check: Check | None = None
    names_subject: bool = False
    """A 200 names the subject exactly when the caller may see it (lists, details)."""
    engine: bool = False
    """A fresh world for this write needs the engine (the cluster control plane)."""
    passwords: bool = False
    """A fresh world for this write signs in as production does (email + password)."""

    def expected(self, principal: str, *, htmx: bool) -> Expect:
        expect = self.expect[principal]
        if not htmx:
            return expect
        if expect == SIGN_IN_PAGE:
            return HX_SIGN_IN
        if self.htmx_answers_post and expect.status == 303:
            return OK
        return expect


U, H, F = UNAUTHORIZED, HIDDEN, FORBIDDEN
S = SIGN_IN_PAGE
WORKSET = "/worksets/{workset_id:str}"
BY_NAME = {"q": SUBJECT}

# Columns: anonymous, owner, customer_admin, colleague, other_tenant, provider_admin.
MATRIX: dict[tuple[str, str], Row] = {
    # -- the JSON API (bearer tokens) --
    ("GET", "/api/v1/worksets"): Row(
        expect=cells(U, OK, OK, OK, OK, OK), query=BY_NAME, names_subject=True
    ),
    ("POST", "/api/v1/worksets"): Row(
        # Tenancy comes from the caller, never the body: Globex naming Acme submits for
        # Globex, whose account Acme's bucket is not linked to.
        expect=cells(U, CREATED, CREATED, CREATED, INVALID, CREATED),
        payload=submit_into_acme,
        check=submission_lands_in_own_customer,
    ),
    ("GET", "/api/v1/worksets/{workset_id:str}"): Row(
        expect=cells(U, OK, OK, H, H, OK), names_subject=True
    ),
    ("GET", "/api/v1/worksets/{workset_id:str}/samples"): Row(expect=cells(U, OK, OK, H, H, OK)),
    ("GET", "/api/v1/worksets/{workset_id:str}/history"): Row(expect=cells(U, OK, OK, H, H, OK)),
    ("GET", "/api/v1/worksets/{workset_id:str}/commands"): Row(expect=cells(U, F, F, H, H, OK)),
    ("POST", "/api/v1/worksets/{workset_id:str}/cancel"): Row(
        expect=cells(U, OK, OK, H, H, OK),
        payload=cancel_reason,
        check=subject_canceled_only_if_allowed,
    ),
    ("GET", "/api/v1/clusters"): Row(expect=cells(U, OK, OK, OK, OK, OK)),
    ("GET", "/api/v1/clusters/{region:str}/{name:str}"): Row(expect=cells(U, OK, OK, OK, OK, OK)),
    ("GET", "/api/v1/clusters/{region:str}/{name:str}/nodes"): Row(expect=cells(U, F, F, F, F, OK)),
    ("POST", "/api/v1/clusters/{region:str}/{name:str}/snapshot"): Row(
        expect=cells(U, F, F, F, F, OK), check=snapshot_only_if_allowed, engine=True
    ),
    ("GET", "/api/v1/engine/leases"): Row(expect=cells(U, F, F, F, F, OK)),
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
    ("GET", f"{WS_API}/results"): Row(expect=cells(U, OK, OK, H, H, OK)),
    ("GET", f"{WS_API}/results/download"): Row(
        # A key outside the subject's results: 422 once the workset is visible, else 404.
        expect=cells(U, INVALID, INVALID, H, H, INVALID),
        query=OUTSIDE_RESULTS,
    ),
    # -- workset list filters --
    # -- manifests --
    ("POST", "/api/v1/manifests/validate"): Row(
        expect=cells(U, OK, OK, OK, OK, OK), payload=validate_for_acme, check=no_manifest_saved
    ),
    ("POST", "/api/v1/manifests/generate"): Row(
        # Globex naming Acme lists for Globex, whose account Acme's bucket is not linked to.
        expect=cells(U, OK, OK, OK, INVALID, OK),
        payload=generate_from_acme,
        check=no_manifest_saved,
    ),
    ("POST", "/api/v1/manifests"): Row(
        expect=cells(U, CREATED, CREATED, CREATED, INVALID, CREATED),
        payload=manifest_for_acme,
        check=manifest_saved_only_if_allowed,
    ),
    ("GET", "/api/v1/manifests"): Row(expect=cells(U, OK, OK, OK, OK, OK)),
    # Shared within the customer: the colleague reads it too, but only the owner and the
    # admins change it.
    ("GET", MANIFEST_API): Row(expect=cells(U, OK, OK, OK, H, OK)),
    ("GET", f"{MANIFEST_API}/download"): Row(expect=cells(U, OK, OK, OK, H, OK)),
    ("PATCH", MANIFEST_API): Row(
        expect=cells(U, OK, OK, F, H, OK),
        payload=rename_manifest,
        check=subject_manifest_renamed_only_if_allowed,
    ),
    ("DELETE", MANIFEST_API): Row(
        expect=cells(U, Expect(204), Expect(204), F, H, Expect(204)),
        check=subject_manifest_deleted_only_if_allowed,
    ),
    # -- me, customers, users, tokens --
    ("GET", "/api/v1/me"): Row(expect=cells(U, OK, OK, OK, OK, OK)),
    ("GET", "/api/v1/customers"): Row(expect=cells(U, OK, OK, OK, OK, OK)),
    ("POST", "/api/v1/customers"): Row(
        expect=cells(U, F, F, F, F, CREATED),
        payload=new_customer,
        check=customer_created_only_if_allowed,
    ),
    ("GET", ACCOUNTS_CUSTOMER): Row(expect=cells(U, OK, OK, OK, H, OK)),
    ("PATCH", ACCOUNTS_CUSTOMER): Row(
        expect=cells(U, F, OK, F, H, OK),
        payload=rename_customer,
        check=customer_renamed_only_if_allowed,
    ),
    ("GET", f"{ACCOUNTS_CUSTOMER}/users"): Row(expect=cells(U, F, OK, F, H, OK)),
    ("POST", f"{ACCOUNTS_CUSTOMER}/users"): Row(
        expect=cells(U, F, CREATED, F, H, CREATED),
        payload=invite_user,
        check=user_added_only_if_allowed,
    ),
    ("POST", f"{ACCOUNTS_USER}/role"): Row(
        expect=cells(U, F, OK, H, H, OK), payload=grant_admin, check=owner_role_only_if_allowed
    ),
    ("POST", f"{ACCOUNTS_USER}/password"): Row(
        expect=cells(U, F, OK, H, H, OK),
        payload=new_password,
        check=owner_password_only_if_allowed,
    ),
    ("POST", f"{ACCOUNTS_USER}/disable"): Row(
        expect=cells(U, F, OK, H, H, OK), check=owner_disabled_only_if_allowed
    ),
    ("POST", f"{ACCOUNTS_USER}/enable"): Row(
        # The owner starts disabled, so the owner's own token is refused.
        expect=cells(U, U, OK, H, H, OK),
        check=owner_enabled_only_if_allowed,
    ),
    ("GET", "/api/v1/tokens"): Row(expect=cells(U, OK, OK, OK, OK, OK)),
    ("POST", "/api/v1/tokens"): Row(
        expect=cells(U, CREATED, CREATED, CREATED, CREATED, CREATED),
        payload=new_token,
        check=token_created_only_if_allowed,
    ),
    ("DELETE", "/api/v1/tokens/{token_id:str}"): Row(
        expect=cells(U, OK, OK, H, H, OK), check=owner_token_revoked_only_if_allowed
    ),
    ("GET", "/api/v1/tokens/{token_id:str}/usage"): Row(expect=cells(U, OK, OK, H, H, OK)),
    # -- linked buckets --
    # Customer admins manage their customer's links, every user of the customer browses and
    # transfers; another tenant's link is 404. Linking goes into the caller's own customer.
    ("GET", BUCKETS_API): Row(expect=cells(U, OK, OK, OK, OK, OK)),
    ("POST", BUCKETS_API): Row(
        expect=cells(U, F, CREATED, F, CREATED, CREATED),
        payload=link_new_bucket,
        check=link_created_only_if_allowed,
    ),
    ("GET", BUCKET_API): Row(expect=cells(U, OK, OK, OK, H, OK)),
    ("PATCH", BUCKET_API): Row(
        expect=cells(U, F, OK, F, H, OK),
        payload=edit_description,
        check=link_changed_only_if_allowed,
    ),
    ("DELETE", BUCKET_API): Row(
        expect=cells(U, F, NO_CONTENT, F, H, NO_CONTENT), check=link_changed_only_if_allowed
    ),
    ("POST", f"{BUCKET_API}/revalidate"): Row(
        expect=cells(U, F, OK, F, H, OK), check=link_changed_only_if_allowed
    ),
    ("GET", f"{BUCKET_API}/objects"): Row(expect=cells(U, OK, OK, OK, H, OK)),
    ("GET", f"{BUCKET_API}/download"): Row(expect=cells(U, OK, OK, OK, H, OK), query=LINKED_OBJECT),
    ("POST", f"{BUCKET_API}/uploads"): Row(
        expect=cells(U, OK, OK, OK, H, OK),
        payload=single_upload,
        check=presigning_stores_nothing,
    ),
    ("POST", f"{BUCKET_API}/multipart"): Row(
        expect=cells(U, CREATED, CREATED, CREATED, H, CREATED),
        payload=upload_key,
        check=presigning_stores_nothing,
    ),
    ("POST", f"{BUCKET_API}/multipart/complete"): Row(
        expect=cells(U, OK, OK, OK, H, OK),
        payload=uploaded_part,
        check=object_stored_only_if_allowed,
    ),
    ("POST", f"{BUCKET_API}/multipart/abort"): Row(
        expect=cells(U, NO_CONTENT, NO_CONTENT, NO_CONTENT, H, NO_CONTENT),
        payload=open_upload,
        check=upload_aborted_only_if_allowed,
    ),
    # -- billing and audit --
    # Customers read their own customer's billing (a customer_user: own worksets, no invoice);
    # naming another customer is 404. Provider admins must name the customer.
    ("GET", "/api/v1/billing/usage"): Row(
        expect=cells(U, OK, OK, OK, H, OK), query={"customer_id": "acme-genomics-3f9c01ab"}
    ),
    ("GET", "/api/v1/billing/worksets"): Row(
        expect=cells(U, OK, OK, OK, H, OK), query={"customer_id": "acme-genomics-3f9c01ab"}
    ),
    ("GET", "/api/v1/worksets/{workset_id:str}/costs"): Row(expect=cells(U, OK, OK, H, H, OK)),
    ("GET", "/api/v1/billing/invoice"): Row(
        expect=cells(U, F, OK, F, H, OK), query={"customer_id": "acme-genomics-3f9c01ab"}
    ),
    ("GET", "/api/v1/billing/export.csv"): Row(
        expect=cells(U, F, OK, F, H, OK), query={"customer_id": "acme-genomics-3f9c01ab"}
    ),
    ("GET", "/api/v1/audit"): Row(
        expect=cells(U, F, OK, F, H, OK), query={"customer_id": "acme-genomics-3f9c01ab"}
    ),
    ("GET", "/api/v1/audit/verify"): Row(
        expect=cells(U, F, OK, F, H, OK), query={"customer_id": "acme-genomics-3f9c01ab"}
    ),
    # -- cluster deletion --
    ("POST", f"{CLUSTER}/delete-plan"): Row(
        expect=cells(U, F, F, F, F, OK), check=cluster_deleted_only_if_allowed, engine=True
    ),
    ("DELETE", CLUSTER): Row(
        # Everyone sends the provider admin's valid token. The seeded runs are in progress on
        # the simulated cluster, so even the admin is refused (409 CLUSTER_IN_USE); the
        # delete itself is in tests/api/test_cluster_delete_api.py.
        expect=cells(U, F, F, F, F, Expect(409)),
        payload=admins_confirmation,
        check=cluster_deleted_only_if_allowed,
        engine=True,
    ),
    # -- the portal (session cookies; CSRF tokens on posts) --
    ("GET", "/"): Row(expect=everyone(see("/worksets"))),
    ("GET", "/sign-in"): Row(expect=everyone(OK)),
    ("POST", "/sign-in"): Row(
        # The dev picker signs anyone in as any user by design; production refuses
        # URSA_DEV_SIGN_IN (its email + password POST /sign-in: test_web_password_sign_in).
        expect=everyone(see("/worksets")),
        payload=sign_in_as_owner,
        check=session_rotated,
    ),
    ("POST", "/sign-out"): Row(
        expect=everyone(see(SIGN_IN)), payload=empty_form, check=session_ended
    ),
    ("POST", "/sign-in/new-password"): Row(
        # Production's sign-in. Only a temporary-password sign-in under way in the caller's
        # own session can be completed; without one everybody is refused, nothing changes.
        expect=everyone(UNAUTHORIZED),
        payload=new_password_form,
        check=nothing_to_complete,
        passwords=True,
    ),
    ("GET", "/worksets"): Row(
        expect=cells(S, OK, OK, OK, OK, OK), htmx=True, query=BY_NAME, names_subject=True
    ),
    ("GET", WORKSET): Row(expect=cells(S, OK, OK, H, H, OK), htmx=True, names_subject=True),
    ("GET", f"{WORKSET}/commands"): Row(expect=cells(S, F, F, H, H, OK), htmx=True),
    ("GET", f"{WORKSET}/cancel"): Row(
        expect=cells(S, OK, OK, H, H, OK), htmx=True, names_subject=True
    ),
    ("POST", f"{WORKSET}/cancel"): Row(
        expect=cells(S, see(WORKSET), see(WORKSET), H, H, see(WORKSET)),
        htmx=True,
        htmx_answers_post=True,
        payload=cancel_form,
        check=subject_canceled_only_if_allowed,
    ),
    # -- health: public --
    ("GET", "/healthz"): Row(expect=everyone(OK)),
    ("GET", "/readyz"): Row(expect=everyone(OK)),
    # -- the in-memory twin's presigned URLs: the signature is the credential, whoever calls;
    #    the cells call without one --
    ("GET", "/_objects/{bucket:str}/{key:path}"): Row(expect=everyone(FORBIDDEN)),
    ("PUT", "/_objects/{bucket:str}/{key:path}"): Row(
        expect=everyone(FORBIDDEN), payload=object_body, check=object_unchanged_if_refused
    ),
}

KNOWN_BUGS: dict[tuple[str, str, str, bool], str] = {}
"""(method, route, caller, htmx) → why the app answers otherwise than the matrix says."""


# -- the route table ----------------------------------------------------------------------------

FRAMEWORK_PATHS = ("/schema", "/static/")
AUTOMATIC_METHODS = frozenset({"HEAD", "OPTIONS"})


def _framework_owned(handler: HTTPRouteHandler) -> bool:
    return str(getattr(handler.fn, "__module__", "")).startswith("litestar.")


def discovered_routes(app: Litestar) -> set[tuple[str, str]]:
    """Every (method, path template) the app serves, except what Litestar itself adds: the
    OpenAPI pages, static files, and automatic HEAD/OPTIONS answers. A handler of Ursa's own
    is never skipped, whatever its path or method."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        handlers = getattr(route, "route_handlers", None)
        if handlers is None:  # a websocket or mounted ASGI app: it needs a row as well
            found.add(("*", route.path))
            continue
        for handler in handlers:
            for method in handler.http_methods:
                skipped = route.path.startswith(FRAMEWORK_PATHS) or method in AUTOMATIC_METHODS
                if not (skipped and _framework_owned(handler)):
                    found.add((method, route.path))
    return found


def all_routes() -> set[tuple[str, str]]:
    """The dev table (dev sign-in, the twin's object URLs) and the production-shaped ones
    (email + password sign-in, or none configured)."""
    shapes = ((True, False), (False, False), (False, True))
    return {
        route
        for dev_sign_in, passwords in shapes
        for route in discovered_routes(
            create_app(route_table_container(dev_sign_in=dev_sign_in, passwords=passwords))
        )
    }


def test_every_route_has_a_row() -> None:
    routes = all_routes()
    missing = sorted(routes - set(MATRIX))
    extra = sorted(set(MATRIX) - routes)
    assert not missing and not extra, (
        f"routes without a row in MATRIX: {missing}; rows without a route: {extra}"
    )


def test_every_row_names_every_caller() -> None:
    for route, row in MATRIX.items():
        assert set(row.expect) == set(PRINCIPALS), route
        # A write's row says what it may (not) change; reads share one world.
        assert route[0] == "GET" or row.check is not None, route
    for method, template, principal, htmx in KNOWN_BUGS:
        assert (method, template) in MATRIX and principal in PRINCIPALS
        assert not htmx or MATRIX[(method, template)].htmx


# -- the cells ----------------------------------------------------------------------------------


def _cells(*, reads: bool) -> list[Any]:
    params = []
    for (method, template), row in MATRIX.items():
        if (method == "GET") != reads:
            continue
        for principal in PRINCIPALS:
            for htmx in (False, True) if row.htmx else (False,):
                reason = KNOWN_BUGS.get((method, template, principal, htmx))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                name = f"{method} {template} {principal}{' htmx' if htmx else ''}"
                params.append(
                    pytest.param((method, template), principal, htmx, id=name, marks=marks)
                )
    return params


def _assert_refusal(world: World, response: httpx.Response, *, api: bool, htmx: bool) -> None:
    """A refusal says nothing about the subject, and is problem+json on the API."""
    text = response.text
    assert SUBJECT not in text and EMAILS[OWNER] not in text, text[:500]
    if api:
        assert response.headers["content-type"].startswith(PROBLEM)
        body = response.json()
        assert body["status"] == response.status_code
        body.pop("instance")  # the path the caller sent, which names the id they sent
        assert world.subject.workset_id not in json.dumps(body)
        return
    assert world.subject.workset_id not in text
    if htmx and response.status_code >= 400:
        assert response.headers.get("hx-reswap") == "none"  # a toast; the page stays


GHOST_ID = "no-such-workset-0badc0de"


def _normalized(response: httpx.Response, *, api: bool) -> object:
    if not api:
        return response.text
    body = response.json()
    for varying in ("instance", "request_id"):
        body.pop(varying, None)
    return body


def _assert_same_as_missing(
    world: World, route: tuple[str, str], principal: str, htmx: bool, hidden: httpx.Response
) -> None:
    """A hidden workset answers exactly as a workset that does not exist."""
    method, template = route
    row = MATRIX[route]
    payload = row.payload(world, principal) if row.payload else Payload()
    url = world.url(template).replace(world.subject.workset_id, GHOST_ID)
    missing = world.call(
        principal,
        method,
        url,
        htmx=htmx,
        params=row.query,
        json=payload.json,
        form=payload.form,
        content=payload.content,
        headers=payload.headers,
    )
    api = template.startswith("/api/")
    assert missing.status_code == hidden.status_code
    assert _normalized(missing, api=api) == _normalized(hidden, api=api)


def run_cell(world: World, route: tuple[str, str], principal: str, htmx: bool) -> None:
    method, template = route
    row = MATRIX[route]
    expect = row.expected(principal, htmx=htmx)
    url = world.url(template)
    payload = row.payload(world, principal) if row.payload else Payload()
    after = row.check(world, principal) if row.check else None
    response = world.call(
        principal,
        method,
        url,
        htmx=htmx,
        params=row.query,
        json=payload.json,
        form=payload.form,
        content=payload.content,
        headers=payload.headers,
    )
    assert response.status_code == expect.status, (
        f"{method} {url} as {principal}: {response.status_code} {response.text[:300]}"
    )
    if expect.location is not None:
        assert response.headers.get("location") == world.url(expect.location)
    if expect.hx_redirect is not None:
        assert response.headers.get("hx-redirect") == expect.hx_redirect
    if not expect.allowed:
        _assert_refusal(world, response, api=template.startswith("/api/"), htmx=htmx)
    if expect == HIDDEN and "{workset_id" in template:
        _assert_same_as_missing(world, route, principal, htmx, response)
    if row.names_subject and response.status_code == 200:
        # By id: a search box echoes the name it was asked for.
        shown = world.subject.workset_id in response.text
        assert shown == (principal in SEES_SUBJECT), f"{url} as {principal}"
    if after is not None:
        after(expect, response)


@pytest.fixture(scope="module")
def shared_world() -> Iterator[World]:
    """One seeded world, engine running, for every read: GETs change nothing a cell sees."""
    with open_world(engine=True) as world:
        yield world


@pytest.mark.parametrize(("route", "principal", "htmx"), _cells(reads=True))
def test_read(shared_world: World, route: tuple[str, str], principal: str, htmx: bool) -> None:
    run_cell(shared_world, route, principal, htmx)


@pytest.mark.parametrize(("route", "principal", "htmx"), _cells(reads=False))
def test_write(route: tuple[str, str], principal: str, htmx: bool) -> None:
    with open_world(engine=MATRIX[route].engine, passwords=MATRIX[route].passwords) as world:
        run_cell(world, route, principal, htmx)


# -- credentials do not cross surfaces ----------------------------------------------------------


def test_sessions_do_not_open_the_api_and_tokens_do_not_open_the_portal() -> None:
    """The API is CSRF-exempt, so a portal session must never authenticate it; and an API
    token is no portal session."""
    with open_world(engine=False) as world:
        for method, template in MATRIX:
            url = world.url(template)
            if template.startswith("/api/"):
                row = MATRIX[(method, template)]
                payload = row.payload(world, PROVIDER_ADMIN) if row.payload else Payload()
                world.client.cookies = world.jar(PROVIDER_ADMIN)
                # The row's whole request (query included), minus the token.
                response = world.client.request(
                    method, url, params=row.query, json=payload.json, headers=payload.headers
                )
                assert response.status_code == 401, (method, url)
            elif MATRIX[(method, template)].expect[ANONYMOUS] == SIGN_IN_PAGE and method == "GET":
                world.client.cookies = world.jar(ANONYMOUS)
                token = {"Authorization": f"Bearer {world.tokens[PROVIDER_ADMIN]}"}
                response = world.client.request(method, url, headers=token)
                assert (response.status_code, response.headers.get("location")) == (303, SIGN_IN)
        assert world.stored() == world.subject
