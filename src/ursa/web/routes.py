"""Portal routes (stub; the portal is built out in ursa.web.controllers)."""

from __future__ import annotations

from litestar import Router


def portal_router(*, dev_sign_in: bool) -> Router:
    return Router(path="/", route_handlers=[], include_in_schema=False)
