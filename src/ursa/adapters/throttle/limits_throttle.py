"""Moving-window budgets per (category, key) on ``limits``. With an ``async+redis://``
storage every app process shares one budget (redis-py client: ``implementation="redispy"``,
so the project needs no second Redis client). Every call is bounded by ``timeout_s``; when
the store does not answer the request is let through and the failure logged, because an
outage of the limiter must not become an outage of the API."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Mapping

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from redis.exceptions import RedisError

from ursa.domain.ports.system import ThrottleResult

log = logging.getLogger("ursa.throttle")


class LimitsThrottle:
    def __init__(
        self,
        storage_uri: str,
        budgets: Mapping[str, str],
        *,
        key_prefix: str = "ursa-rl",
        timeout_s: float = 2.0,
    ) -> None:
        """``budgets`` maps a category to a ``limits`` string such as ``"600/minute"``."""
        options: dict[str, float | str | bool] = {}
        if "redis" in storage_uri.split("://", 1)[0]:
            options = {
                "implementation": "redispy",
                "key_prefix": key_prefix,
                "socket_timeout": timeout_s,
                "socket_connect_timeout": timeout_s,
            }
        try:
            storage = storage_from_string(storage_uri, **options)
        except ConfigurationError as exc:
            raise ValueError(f"rate-limit storage {storage_uri!r}: {exc}") from exc
        self._limiter = MovingWindowRateLimiter(storage)
        self._items: dict[str, RateLimitItem] = {c: parse(b) for c, b in budgets.items()}
        self._timeout_s = timeout_s

    async def reachable(self) -> bool:
        try:
            async with asyncio.timeout(self._timeout_s):
                return bool(await self._limiter.storage.check())
        except (OSError, TimeoutError, RedisError):
            return False

    async def hit(self, category: str, key: str) -> ThrottleResult:
        item = self._items[category]
        try:
            async with asyncio.timeout(self._timeout_s):
                allowed = await self._limiter.hit(item, category, key)
                stats = await self._limiter.get_window_stats(item, category, key)
        except (OSError, TimeoutError, RedisError) as exc:
            log.warning("rate-limit store unavailable (%s); letting %s through", exc, category)
            return ThrottleResult(
                allowed=True, limit=item.amount, remaining=item.amount, reset_after_s=0
            )
        reset = max(0, math.ceil(stats.reset_time - time.time()))
        return ThrottleResult(
            allowed=allowed, limit=item.amount, remaining=stats.remaining, reset_after_s=reset
        )
