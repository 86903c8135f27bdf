"""The signing keys of a user pool, fetched from its JWKS URL and cached.

Known ``kid`` → cached key, no network. Unknown ``kid`` → one refetch, at most once per
``min_refresh_interval_s`` (a stream of tokens with random ``kid`` values cannot make us hammer
the JWKS endpoint), then ``Unauthenticated`` if the key is still unknown. A fetch that fails or
times out raises ``Unavailable`` (the key set, not the caller, is at fault: a 503, not a 401),
except that a known key keeps being served from a stale cache while the endpoint is down.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

import aiohttp
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet, RSAKey

from ursa.domain.errors import Unauthenticated, Unavailable

log = logging.getLogger(__name__)


def parse_jwks(body: bytes) -> dict[str, Key]:
    """RSA signing keys by ``kid``; other key types and keys without ``kid`` are ignored."""
    data = json.loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError("not a JWK set")
    usable = [
        k
        for k in data["keys"]
        if isinstance(k, dict)
        and k.get("kty") == "RSA"
        and isinstance(k.get("kid"), str)
        and k.get("use", "sig") == "sig"
        and k.get("alg", "RS256") == "RS256"
    ]
    if not usable:
        return {}
    return {str(k.kid): k for k in KeySet.import_key_set({"keys": usable}) if isinstance(k, RSAKey)}


class JwksKeySource:
    """Implements ``SigningKeys`` over an HTTP(S) JWKS URL (one instance per pool)."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 5.0,
        min_refresh_interval_s: float = 60.0,
        max_age_s: float = 6 * 3600.0,
        max_bytes: int = 256 * 1024,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._min_interval = min_refresh_interval_s
        self._max_age = max_age_s
        self._max_bytes = max_bytes
        self._monotonic = monotonic
        self._keys: dict[str, Key] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0
        """How many fetches were attempted (for tests and metrics)."""

    async def key(self, kid: str) -> Key:
        known = self._keys.get(kid)
        if known is not None and not self._stale():
            return known
        async with self._lock:  # concurrent misses share one fetch
            known = self._keys.get(kid)
            if known is not None and not self._stale():
                return known
            if self._may_fetch():
                try:
                    await self._refresh()
                except Unavailable:
                    if known is not None:
                        log.warning("JWKS refresh failed; serving the cached key %s", kid)
                        return known
                    raise
            elif self._fetched_at is None:
                raise Unavailable("the token signing keys are unavailable, try again")
            key = self._keys.get(kid)
        if key is None:
            raise Unauthenticated("invalid token: unknown signing key")
        return key

    def _stale(self) -> bool:
        return self._fetched_at is None or self._monotonic() - self._fetched_at > self._max_age

    def _may_fetch(self) -> bool:
        return (
            self._attempted_at is None
            or self._monotonic() - self._attempted_at >= self._min_interval
        )

    async def _refresh(self) -> None:
        self._attempted_at = self._monotonic()
        self.fetches += 1
        body = await self._fetch()
        try:
            keys = parse_jwks(body)
        except (ValueError, TypeError, JoseError) as exc:
            raise Unavailable("the token signing keys could not be read") from exc
        self._keys = keys
        self._fetched_at = self._monotonic()
        log.info("JWKS refreshed: %d key(s)", len(keys))

    async def _fetch(self) -> bytes:
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout) as session,
                session.get(self._url, allow_redirects=False) as response,
            ):
                if response.status != 200:
                    raise Unavailable(f"the JWKS endpoint answered {response.status}")
                body = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    body += chunk
                    if len(body) > self._max_bytes:
                        raise Unavailable("the JWKS document is too large")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Unavailable("the token signing keys could not be fetched in time") from exc
        return bytes(body)
