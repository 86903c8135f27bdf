"""The portal router: server-rendered pages, htmx partials, real URLs (ARCHITECTURE §5-6)."""

from __future__ import annotations

from litestar import Router
from litestar.plugins.htmx import HTMXRequest
from litestar.types import ControllerRouterHandler

from ursa.web.controllers.password_sign_in import (
    new_password_submit,
    password_sign_in_page,
    password_sign_in_submit,
)
from ursa.web.controllers.session import (
    dev_sign_in_page,
    home,
    idp_sign_in_page,
    sign_in_as,
    sign_out,
)
from ursa.web.controllers.worksets import WorksetController


def portal_router(*, dev_sign_in: bool, password_sign_in: bool = False) -> Router:
    """``/``, ``/sign-in``, ``/sign-out`` and ``/worksets/...``.

    The app factory adds the ``principal`` dependency (and ``password_sign_in`` when that is
    on). Sign-in is one of three: the dev picker (``POST /sign-in`` picks a seeded user) when
    ``dev_sign_in`` is on; else email + password (``POST /sign-in``,
    ``POST /sign-in/new-password``) when ``password_sign_in`` is on; else a page that
    explains sign-in goes through the operator's identity provider."""
    handlers: list[ControllerRouterHandler] = [home, sign_out, WorksetController]
    if dev_sign_in:
        handlers += [dev_sign_in_page, sign_in_as]
    elif password_sign_in:
        handlers += [password_sign_in_page, password_sign_in_submit, new_password_submit]
    else:
        handlers += [idp_sign_in_page]
    return Router(
        path="/", route_handlers=handlers, include_in_schema=False, request_class=HTMXRequest
    )
