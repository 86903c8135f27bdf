"""Portal sessions: server-side, in the ``sessions`` store (memory in dev, Redis when
``URSA_SESSION_STORE=redis``, required in production), rotating their id on sign-in (no
session fixation), with HttpOnly, SameSite=Lax and (production) Secure cookies.

Litestar's backend keeps the id it got from the cookie, so an anonymous session id would
survive sign-in. When the portal marks a session with ``ROTATE_SESSION``, this backend drops
the old entry and stores the data under a fresh id. An empty session is never stored: a
visitor who is not signed in costs the store nothing, and a cookie naming an empty or
unknown session is cleared."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.stores.base import Store
from litestar.stores.redis import RedisStore
from litestar.types import Empty, Message, ScopeSession
from redis.asyncio import Redis
from redis.exceptions import RedisError

from ursa.app.settings import Environment, Settings
from ursa.domain.errors import Unavailable
from ursa.web.controllers.common import ROTATE_SESSION

SESSION_STORE = "sessions"
"""The name the session config looks its store up by in ``Litestar(stores=...)``."""
SESSION_COOKIE = "session"
REDIS_TIMEOUT_S = 2.0
"""Connect and socket timeout of every call to the session Redis."""
REDIS_NAMESPACE = "ursa-session"
_STORE_DOWN = "the session store did not answer; try again in a moment"


class RotatingSessionBackend(ServerSideSessionBackend):
    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        rotate = isinstance(scope_session, dict) and scope_session.pop(ROTATE_SESSION, False)
        if not rotate:
            if isinstance(scope_session, dict) and not scope_session:
                if not connection.cookies.get(self.config.key):
                    return  # nothing to keep and no cookie to clear
                scope_session = Empty  # drop the entry, expire the cookie
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


class SessionRedisStore(RedisStore):
    """``RedisStore`` whose failures are ``Unavailable`` (503), not a traceback."""

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        try:
            return await super().get(key, renew_for)
        except (RedisError, OSError, TimeoutError) as exc:
            raise Unavailable(_STORE_DOWN) from exc

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        try:
            await super().set(key, value, expires_in)
        except (RedisError, OSError, TimeoutError) as exc:
            raise Unavailable(_STORE_DOWN) from exc

    async def delete(self, key: str) -> None:
        try:
            await super().delete(key)
        except (RedisError, OSError, TimeoutError) as exc:
            raise Unavailable(_STORE_DOWN) from exc

    async def reachable(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError, TimeoutError):
            return False


def session_stores(settings: Settings) -> dict[str, Store]:
    """``{"sessions": <Redis store>}`` for ``URSA_SESSION_STORE=redis``; empty for memory
    (Litestar then makes a ``MemoryStore`` on first use). The Redis client is closed with
    the app."""
    if settings.session_store != "redis":
        return {}
    if not settings.redis_url:
        raise ValueError("URSA_SESSION_STORE=redis needs URSA_REDIS_URL")
    client = Redis.from_url(
        settings.redis_url.removeprefix("async+"),
        socket_timeout=REDIS_TIMEOUT_S,
        socket_connect_timeout=REDIS_TIMEOUT_S,
    )
    store = SessionRedisStore(client, namespace=REDIS_NAMESPACE, handle_client_shutdown=True)
    return {SESSION_STORE: store}


def session_config(settings: Settings, *, exclude: Sequence[str] = ()) -> RotatingSessionConfig:
    """The portal's session cookie: HttpOnly, SameSite=Lax, Secure in production. Paths in
    ``exclude`` (the API, health, static files) neither read nor write a session."""
    return RotatingSessionConfig(
        store=SESSION_STORE,
        key=SESSION_COOKIE,
        secure=settings.env is Environment.PRODUCTION,
        httponly=True,
        samesite="lax",
        exclude=list(exclude) or None,
    )
