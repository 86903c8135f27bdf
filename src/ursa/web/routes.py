"""The portal router: server-rendered pages, htmx partials, real URLs (ARCHITECTURE §5-6)."""

from __future__ import annotations

from litestar import Router
from litestar.plugins.htmx import HTMXRequest
from litestar.types import ControllerRouterHandler

from ursa.web.controllers.session import (
    dev_sign_in_page,
    home,
    idp_sign_in_page,
    sign_in_as,
    sign_out,
)
from ursa.web.controllers.worksets import WorksetController


def portal_router(*, dev_sign_in: bool) -> Router:
    """``/``, ``/sign-in``, ``/sign-out`` and ``/worksets/...``.

    The app factory adds the ``principal`` dependency; ``POST /sign-in`` (pick a seeded user)
    exists only when ``dev_sign_in`` is on."""
    handlers: list[ControllerRouterHandler] = [home, sign_out, WorksetController]
    handlers += [dev_sign_in_page, sign_in_as] if dev_sign_in else [idp_sign_in_page]
    return Router(
        path="/", route_handlers=handlers, include_in_schema=False, request_class=HTMXRequest
    )
