"""The matrix's rows for the portal (session cookies; CSRF tokens on posts): sign-in and
sign-out, the worksets pages and the cancel dialog, with their bodies and checks."""

from __future__ import annotations

import httpx
from matrix_core import subject_canceled_only_if_allowed
from matrix_vocabulary import (
    BY_NAME,
    OK,
    UNAUTHORIZED,
    After,
    Expect,
    F,
    H,
    Payload,
    Row,
    Rows,
    S,
    cells,
    everyone,
    see,
)
from tenancy_world import ANONYMOUS, EMAILS, OWNER, PASSWORD, SIGN_IN, World

SESSION_COOKIE = "session"
WORKSET = "/worksets/{workset_id:str}"


def cancel_form(world: World, principal: str) -> Payload:
    return Payload(form={"reason": f"matrix: {principal}"})


def sign_in_as_owner(world: World, principal: str) -> Payload:
    return Payload(form={"user_id": world.user_id(OWNER)})


def empty_form(world: World, principal: str) -> Payload:
    return Payload(form={})


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


# Columns: anonymous, owner, customer_admin, colleague, other_tenant, provider_admin.
PORTAL_ROWS: Rows = {
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
}
