"""The tenancy matrix's vocabulary: what a cell expects, the six columns of a row, request
bodies and the checks of what a write must (not) have changed.

Every area's module (``matrix_core``, ``matrix_workset_actions``, ``matrix_manifests``,
``matrix_accounts``, ``matrix_buckets``, ``matrix_portal``) writes its rows in these words;
``matrix_table`` merges them into ``MATRIX``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenancy_world import (
    ANONYMOUS,
    COLLEAGUE,
    CUSTOMER_ADMIN,
    OTHER_TENANT,
    OWNER,
    PRINCIPALS,
    PROVIDER_ADMIN,
    SIGN_IN,
    SUBJECT,
    World,
)

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


# -- what a write must (not) have changed -------------------------------------------------------

After = Callable[[Expect, httpx.Response], None]
Check = Callable[[World, str], After]


# -- a row of the matrix: one route, six callers --------------------------------------------


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
NO_CONTENT = Expect(204)
BY_NAME = {"q": SUBJECT}
"""The query that finds the subject in a list."""

Route = tuple[str, str]
"""(method, path template), as the app's route table names it."""
Rows = dict[Route, Row]


def merged(*sections: Rows) -> Rows:
    """The sections in order as one table; a route in two sections is an error, not an
    override (the later row would silently win)."""
    table: Rows = {}
    for section in sections:
        twice = sorted(set(table) & set(section))
        if twice:
            raise ValueError(f"routes with a row in two sections of the matrix: {twice}")
        table.update(section)
    return table
