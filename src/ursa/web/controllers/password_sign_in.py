"""Email + password sign-in (production, when the identity provider is configured).

``POST /sign-in`` asks the provider; a refusal of any kind re-renders the form inline with
one message (401), keeping the email and clearing the password. A user on a temporary
password gets the new-password form; the provider's challenge session stays in the
server-side session, never in the page. Every call to the provider first spends one unit of
the client address's ``auth`` budget, so password guessing is bounded (429 inline)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from ursa.domain.customers import User
from ursa.domain.errors import InvalidInput, RateLimited, Unauthenticated
from ursa.domain.ports import IdentityProvider, PasswordAuth
from ursa.domain.ports.identity import NewPasswordRequired
from ursa.domain.services.password_sign_in import (
    CHALLENGE_EXPIRED,
    choose_new_password,
    sign_in_with_password,
)
from ursa.web import htmx
from ursa.web.controllers.common import SESSION_USER, PortsDep, start_session
from ursa.web.controllers.session import HOME, SIGN_IN, FormData
from ursa.web.forms import parse_new_password, parse_password_sign_in
from ursa.web.presenters_session import (
    SignInStep,
    new_password_step,
    password_rule,
    password_step,
    refusal_message,
    too_many_attempts,
)

AnyRequest = Request[Any, Any, Any]
NEW_PASSWORD = f"{SIGN_IN}/new-password"
PENDING = "_new_password"
"""Session key of a temporary-password challenge: ``{"email": ..., "session": ...}``."""


@runtime_checkable
class PasswordSignIn(Protocol):
    """What the app-wide ``password_sign_in`` dependency offers. The web may not import
    ``ursa.app``; runtime-checkable because Litestar checks injected values."""

    @property
    def passwords(self) -> PasswordAuth: ...

    @property
    def identity(self) -> IdentityProvider | None: ...

    async def spend_attempt(self, request: AnyRequest) -> None:
        """One unit of the client address's ``auth`` budget; ``RateLimited`` when spent."""
        ...


PasswordSignInDep = NamedDependency[PasswordSignIn]


@get(SIGN_IN, name="sign-in-password")
async def password_sign_in_page(request: AnyRequest) -> Template:
    return _render(request, password_step())


@post(SIGN_IN, name="sign-in-password-submit")
async def password_sign_in_submit(
    request: AnyRequest, ports: PortsDep, password_sign_in: PasswordSignInDep, data: FormData
) -> Response[Any]:
    """To ``/worksets`` in a new session, the new-password form, or the form with an error."""
    form = parse_password_sign_in(data)
    if form.error:
        return _render(request, password_step(form.email, form.error), status_code=422)
    gate = password_sign_in
    try:
        await gate.spend_attempt(request)
        result = await sign_in_with_password(
            ports, gate.passwords, gate.identity, email=form.email, password=form.password
        )
    except RateLimited as exc:
        step = password_step(form.email, too_many_attempts(exc.retry_after_s))
        return _limited(request, step, exc)
    except Unauthenticated:
        return _render(request, password_step(form.email, refusal_message(False)), 401)
    if isinstance(result, NewPasswordRequired):
        start_session(request, {PENDING: {"email": result.email, "session": result.session}})
        return _render(request, new_password_step(result.email))
    return _signed_in(request, result)


@post(NEW_PASSWORD, name="sign-in-new-password")
async def new_password_submit(
    request: AnyRequest, ports: PortsDep, password_sign_in: PasswordSignInDep, data: FormData
) -> Response[Any]:
    """Replaces the temporary password, then signs in as :func:`password_sign_in_submit` does."""
    challenge = _pending(request)
    if challenge is None:
        return _render(request, password_step(error=refusal_message(True)), status_code=401)
    form = parse_new_password(data)
    if form.error:
        return _render(request, new_password_step(challenge.email, form.error), 422)
    gate = password_sign_in
    try:
        await gate.spend_attempt(request)
        user = await choose_new_password(
            ports,
            gate.passwords,
            gate.identity,
            challenge=challenge,
            new_password=form.password,
            request_id=_request_id(request),
        )
    except RateLimited as exc:
        step = new_password_step(challenge.email, too_many_attempts(exc.retry_after_s))
        return _limited(request, step, exc)
    except InvalidInput as exc:
        rule = password_rule(exc.issues[0].message if exc.issues else exc.message)
        return _render(request, new_password_step(challenge.email, rule), status_code=422)
    except Unauthenticated as exc:
        request.set_session({k: v for k, v in request.session.items() if k != PENDING})
        expired = exc.code == CHALLENGE_EXPIRED
        return _render(request, password_step(challenge.email, refusal_message(expired)), 401)
    return _signed_in(request, user)


def _signed_in(request: AnyRequest, user: User) -> Response[Any]:
    start_session(request, {SESSION_USER: user.user_id})
    return htmx.navigate(request, HOME)


def _pending(request: AnyRequest) -> NewPasswordRequired | None:
    entry = request.session.get(PENDING) if request.session else None
    if not isinstance(entry, Mapping):
        return None
    email, session = entry.get("email"), entry.get("session")
    if not isinstance(email, str) or not isinstance(session, str):
        return None
    return NewPasswordRequired(email=email, session=session)


def _request_id(request: AnyRequest) -> str | None:
    request_id = request.scope.get("state", {}).get("request_id")
    return request_id if isinstance(request_id, str) else None


def _limited(request: AnyRequest, step: SignInStep, exc: RateLimited) -> Template:
    response = _render(request, step, status_code=429)
    response.headers["Retry-After"] = str(max(exc.retry_after_s, 1))
    return response


def _render(request: AnyRequest, step: SignInStep, status_code: int = 200) -> Template:
    """The ``#sign-in-form`` partial for htmx, the whole sign-in page otherwise."""
    return htmx.render(
        request,
        page="sign_in.html",
        partial=step.partial,
        context={"form": step, "dev": False, "groups": ()},
        status_code=status_code,
    )
