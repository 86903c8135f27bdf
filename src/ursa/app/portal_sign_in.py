"""What the portal's email + password sign-in takes from the app: the identity ports and the
shared ``auth`` rate limit (``web`` may not import ``ursa.app``; it declares the shape it needs
as ``ursa.web.controllers.password_sign_in.PasswordSignIn``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.datastructures import State

from ursa.app.container import Container
from ursa.app.deps import container_of
from ursa.app.rate_limits import AUTH, client_address, spend
from ursa.app.settings import Settings
from ursa.domain.errors import Unavailable
from ursa.domain.ports import ActionThrottle, IdentityProvider, PasswordAuth


@dataclass(frozen=True, slots=True)
class PasswordSignInPorts:
    """A dataclass, because Litestar validates an injected value against its annotation."""

    passwords: PasswordAuth
    identity: IdentityProvider | None
    throttle: ActionThrottle

    async def spend_attempt(self, request: Request[Any, Any, Any]) -> None:
        """Every attempt costs one unit, successful or not: the throttle can only count, and
        counting failures alone would let a guesser past the limit test one more password
        each time and be let in by the right one."""
        await spend(self.throttle, request, AUTH, client_address(request))


async def provide_password_sign_in(state: State) -> PasswordSignInPorts:
    container = container_of(state)
    if container.passwords is None:  # mounted only with a PasswordAuth; never expected
        raise Unavailable("password sign-in is not configured")
    return PasswordSignInPorts(
        passwords=container.passwords, identity=container.identity, throttle=container.throttle
    )


def password_sign_in_enabled(settings: Settings, container: Container | None) -> bool:
    """Email + password sign-in is mounted when the container has a ``PasswordAuth`` or, for a
    container built at start-up (``build_aws``), when a Cognito app client id is configured;
    never instead of the dev picker."""
    if settings.dev_sign_in:
        return False
    if container is not None:
        return container.passwords is not None
    return settings.cognito_client_id is not None
