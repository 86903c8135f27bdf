"""Shared portal dependencies: the session key and the signed-in viewer for the layout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from litestar import Request
from litestar.di import NamedDependency

from ursa.domain.ports.cluster import CommandLogStore
from ursa.domain.principals import Principal
from ursa.domain.services.context import Ports
from ursa.web.presenters_session import Viewer, present_viewer

PortsDep = NamedDependency[Ports]
PrincipalDep = NamedDependency[Principal]


@runtime_checkable
class EngineViews(Protocol):
    """What the app-wide ``engine_views`` dependency offers the portal. The web may not
    import ``ursa.app``, so this is the shape ``ursa.app.deps.EngineViews`` fits; it is
    runtime-checkable because Litestar checks an injected value against its annotation."""

    @property
    def command_log(self) -> CommandLogStore: ...


EngineViewsDep = NamedDependency[EngineViews]
SESSION_USER = "user_id"
"""The session key holding the signed-in user id (``ursa.app.deps`` imports it)."""
ROTATE_SESSION = "_rotate_id"
"""Marks a session whose id must be replaced when it is stored (sign-in; see app/sessions)."""


def start_session(request: Request[Any, Any, Any], data: Mapping[str, object]) -> None:
    """Replace the session with ``data`` under a new id: nothing is carried over from an
    earlier session, and an id known before sign-in never opens the new one (fixation)."""
    request.clear_session()
    request.set_session({**data, ROTATE_SESSION: True})


async def provide_viewer(ports: PortsDep, principal: PrincipalDep) -> Viewer:
    """Who is signed in, for the header's user menu (name, role and organisation)."""
    user = await ports.directory.get_user(principal.user_id)
    customer = (
        await ports.directory.get_customer(principal.customer_id) if principal.customer_id else None
    )
    return present_viewer(user, customer)


ViewerDep = NamedDependency[Viewer]
