"""Shared portal dependencies: the session key and the signed-in viewer for the layout."""

from __future__ import annotations

from ursa.domain.principals import Principal
from ursa.domain.services.context import Ports
from ursa.web.presenters_session import Viewer, present_viewer

SESSION_USER = "user_id"
"""The session key holding the signed-in user id; ``ursa.app.deps`` reads the same key."""


async def provide_viewer(ports: Ports, principal: Principal) -> Viewer:
    """Who is signed in, for the header's user menu (name, role and organisation)."""
    user = await ports.directory.get_user(principal.user_id)
    customer = (
        await ports.directory.get_customer(principal.customer_id) if principal.customer_id else None
    )
    return present_viewer(user, customer)
