"""Signing in and out of the portal. The dev sign-in lists seeded users; in production people
sign in with email and password (``password_sign_in.py``) when the identity provider is
configured, and only the explanatory page is mounted when it is not."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from ursa.domain.services.auth import principal_for_user
from ursa.web.controllers.common import SESSION_USER, PortsDep, start_session
from ursa.web.forms import parse_sign_in
from ursa.web.presenters_session import present_sign_in

FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
HOME = "/worksets"
SIGN_IN = "/sign-in"


@get("/", name="portal-home")
async def home() -> Redirect:
    return Redirect(path=HOME, status_code=303)


@get(SIGN_IN, name="sign-in-dev")
async def dev_sign_in_page(ports: PortsDep) -> Template:
    """Every seeded user as a one-click button, grouped by customer."""
    groups = present_sign_in(
        await ports.directory.list_users(), await ports.directory.list_customers()
    )
    return Template(template_name="sign_in.html", context={"groups": groups, "dev": True})


@get(SIGN_IN, name="sign-in-idp")
async def idp_sign_in_page() -> Template:
    return Template(template_name="sign_in.html", context={"groups": (), "dev": False})


@post(SIGN_IN, name="sign-in-submit")
async def sign_in_as(request: Request[Any, Any, Any], ports: PortsDep, data: FormData) -> Redirect:
    """Checks the user exists and is enabled, then starts a fresh session."""
    principal = await principal_for_user(ports, parse_sign_in(data))
    start_session(request, {SESSION_USER: principal.user_id})
    return Redirect(path=HOME, status_code=303)


@post("/sign-out", name="sign-out")
async def sign_out(request: Request[Any, Any, Any]) -> Redirect:
    request.clear_session()
    return Redirect(path=SIGN_IN, status_code=303)
