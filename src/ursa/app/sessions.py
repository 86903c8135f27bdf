"""Server-side sessions that rotate their id on sign-in (no session fixation).

Litestar's backend keeps the id it got from the cookie, so an anonymous session id would
survive sign-in. When the portal marks a session with ``ROTATE_SESSION``, this backend drops
the old entry and stores the data under a fresh id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Message, ScopeSession

from ursa.web.controllers.common import ROTATE_SESSION


class RotatingSessionBackend(ServerSideSessionBackend):
    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        rotate = isinstance(scope_session, dict) and scope_session.pop(ROTATE_SESSION, False)
        if not rotate:
            await super().store_in_message(scope_session, message, connection)
            return
        store = self.config.get_store_from_app(connection.scope["app"])
        old_id = connection.cookies.get(self.config.key)
        if old_id:
            await self.delete(old_id, store=store)
        new_id = self.generate_session_id()
        await self.set(new_id, self.serialize_data(scope_session, connection.scope), store=store)
        cookie = Cookie(
            key=self.config.key,
            value=new_id,
            path=self.config.path,
            max_age=self.config.max_age,
            domain=self.config.domain,
            secure=self.config.secure,
            httponly=self.config.httponly,
            samesite=self.config.samesite,
        )
        MutableScopeHeaders.from_message(message).add("Set-Cookie", cookie.to_header(header=""))


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend
