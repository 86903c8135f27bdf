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
from dataclasses import dataclass, field
from typing import Any

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
    PRINCIPALS,
    PROVIDER_ADMIN,
    SEES_SUBJECT,
    SIGN_IN,
    SUBJECT,
    World,
    open_world,
    route_table_container,
)

from ursa.app.factory import create_app
from ursa.domain.enums import WorksetState

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


def object_unchanged_if_refused(world: World, principal: str) -> After:
    params = world.params
    before = world.run(world.objects.head(params["bucket"], params["key"]))
    assert before is not None

    def after(expect: Expect, response: httpx.Response) -> None:
        now = world.run(world.objects.head(params["bucket"], params["key"]))
        assert expect.allowed or now == before

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
    # -- workset list filters --
    # -- manifests --
    # -- me, customers, users, tokens --
    # -- linked buckets --
    # -- billing and audit --
    # -- cluster deletion --
    # -- the portal (session cookies; CSRF tokens on posts) --
    ("GET", "/"): Row(expect=everyone(see("/worksets"))),
    ("GET", "/sign-in"): Row(expect=everyone(OK)),
    ("POST", "/sign-in"): Row(
        # The dev picker signs anyone in as any user by design; production refuses
        # URSA_DEV_SIGN_IN and mounts no POST /sign-in.
        expect=everyone(see("/worksets")),
        payload=sign_in_as_owner,
        check=session_rotated,
    ),
    ("POST", "/sign-out"): Row(
        expect=everyone(see(SIGN_IN)), payload=empty_form, check=session_ended
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
    """The dev table (dev sign-in, the twin's object URLs) and the production-shaped one."""
    return {
        route
        for dev_sign_in in (True, False)
        for route in discovered_routes(create_app(route_table_container(dev_sign_in=dev_sign_in)))
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
    with open_world(engine=MATRIX[route].engine) as world:
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
                response = world.client.request(
                    method, url, json=payload.json, headers=payload.headers
                )
                assert response.status_code == 401, (method, url)
            elif MATRIX[(method, template)].expect[ANONYMOUS] == SIGN_IN_PAGE and method == "GET":
                world.client.cookies = world.jar(ANONYMOUS)
                token = {"Authorization": f"Bearer {world.tokens[PROVIDER_ADMIN]}"}
                response = world.client.request(method, url, headers=token)
                assert (response.status_code, response.headers.get("location")) == (303, SIGN_IN)
        assert world.stored() == world.subject
