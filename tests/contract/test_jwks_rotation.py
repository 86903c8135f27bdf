"""``JwksKeySource`` + ``CognitoTokenVerifier`` against a locally generated key set served over
HTTP (moto signs with one static key, so rotation cannot be tested there).

Decision: a JWKS fetch that fails or times out raises ``Unavailable`` (HTTP 503, retry), not
``Unauthenticated``: the caller's token may be fine, the key set is what is missing. A token whose
``kid`` is still unknown after a successful refresh is ``Unauthenticated``.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import RSAKey

from ursa.adapters.cognito import CognitoTokenVerifier, JwksKeySource
from ursa.adapters.memory.identity_keys import LocalSigningKeys, new_signing_key
from ursa.adapters.memory.system import FixedClock
from ursa.domain.errors import Unauthenticated, Unavailable
from ursa.domain.principals import Principal, Role

pytestmark = pytest.mark.anyio

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_rotation"
CLIENT_ID = "rotation-client"
ACME = "acme-genomics-3f9c01ab"
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class JwksServer:
    """A tiny threaded HTTP server with a JWKS document tests can change."""

    def __init__(self) -> None:
        self.document = b'{"keys": []}'
        self.status = 200
        self.delay_s = 0.0
        self.hits = 0
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                if outer.delay_s:
                    outer.release.wait(outer.delay_s)
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(outer.document)))
                self.end_headers()
                self.wfile.write(outer.document)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that timed out and hung up

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/.well-known/jwks.json"

    def publish(self, keys: LocalSigningKeys) -> None:
        self.document = json.dumps(keys.jwks()).encode()

    def __enter__(self) -> JwksServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class Ticker:
    """A monotonic clock the tests move (the refresh rate limit reads it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[JwksServer]:
    with JwksServer() as running:
        yield running


@pytest.fixture(scope="module")
def keys() -> LocalSigningKeys:
    return LocalSigningKeys()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def id_claims(clock: FixedClock, **extra: Any) -> dict[str, Any]:
    now = int(clock.now().timestamp())
    return {
        "sub": "u-1",
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "token_use": "id",
        "email": "cu@acme.example",
        "custom:customer_id": ACME,
        "iat": now,
        "exp": now + 3600,
        **extra,
    }


def setup(
    server: JwksServer, clock: FixedClock, **options: Any
) -> tuple[JwksKeySource, CognitoTokenVerifier, Ticker]:
    ticker = Ticker()
    source = JwksKeySource(server.url, monotonic=ticker, **options)
    verifier = CognitoTokenVerifier(
        keys=source, issuer=ISSUER, client_id=CLIENT_ID, clock=clock, leeway_s=0
    )
    return source, verifier, ticker


EXPECTED = Principal(
    user_id="u-1", email="cu@acme.example", role=Role.CUSTOMER_USER, customer_id=ACME
)


async def test_a_known_kid_is_served_from_the_cache(
    server: JwksServer, keys: LocalSigningKeys, clock: FixedClock
) -> None:
    server.publish(keys)
    source, verifier, _ = setup(server, clock)
    token = keys.sign(id_claims(clock))
    assert await verifier.verify(token) == EXPECTED
    assert await verifier.verify(token) == EXPECTED
    assert source.fetches == 1 and server.hits == 1


async def test_a_rotated_key_is_fetched_once_and_old_tokens_still_verify(
    server: JwksServer, clock: FixedClock
) -> None:
    keys = LocalSigningKeys()
    server.publish(keys)
    source, verifier, ticker = setup(server, clock, min_refresh_interval_s=60)
    old = keys.sign(id_claims(clock))
    assert await verifier.verify(old) == EXPECTED

    new_kid = keys.rotate()
    server.publish(keys)
    ticker.now += 3600  # rotations come long after the first fetch
    new = keys.sign(id_claims(clock))
    assert jws.extract_compact(new.encode()).headers()["kid"] == new_kid
    assert await verifier.verify(new) == EXPECTED
    assert await verifier.verify(old) == EXPECTED
    assert await verifier.verify(new) == EXPECTED
    assert source.fetches == 2


async def test_a_retired_key_stops_verifying_after_the_next_refresh(
    server: JwksServer, clock: FixedClock
) -> None:
    keys = LocalSigningKeys()
    server.publish(keys)
    _, verifier, ticker = setup(server, clock, max_age_s=600)
    old = keys.sign(id_claims(clock))
    assert await verifier.verify(old) == EXPECTED
    keys.rotate(retire_previous=True)
    server.publish(keys)
    ticker.now += 601  # the cache is stale: the next use refreshes it
    with pytest.raises(Unauthenticated):
        await verifier.verify(old)
    assert await verifier.verify(keys.sign(id_claims(clock))) == EXPECTED


async def test_an_unknown_kid_refetches_at_most_once_per_interval(
    server: JwksServer, keys: LocalSigningKeys, clock: FixedClock
) -> None:
    server.publish(keys)
    source, verifier, ticker = setup(server, clock, min_refresh_interval_s=60)
    assert await verifier.verify(keys.sign(id_claims(clock))) == EXPECTED
    stranger = LocalSigningKeys()  # never published
    with pytest.raises(Unauthenticated):  # just fetched: no refetch yet
        await verifier.verify(stranger.sign(id_claims(clock)))
    assert source.fetches == 1
    ticker.now += 61
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            await verifier.verify(stranger.sign(id_claims(clock)))
    assert source.fetches == 2  # one refresh for the burst, not one per token
    ticker.now += 61
    with pytest.raises(Unauthenticated):
        await verifier.verify(stranger.sign(id_claims(clock)))
    assert source.fetches == 3


async def test_concurrent_misses_share_one_fetch(
    server: JwksServer, keys: LocalSigningKeys, clock: FixedClock
) -> None:
    server.publish(keys)
    source, verifier, _ = setup(server, clock)
    token = keys.sign(id_claims(clock))
    principals = await asyncio.gather(*(verifier.verify(token) for _ in range(8)))
    assert set(principals) == {EXPECTED}
    assert source.fetches == 1


async def test_a_forged_token_with_a_known_kid_is_refused(
    server: JwksServer, keys: LocalSigningKeys, clock: FixedClock
) -> None:
    server.publish(keys)
    source, verifier, ticker = setup(server, clock)
    impostor = LocalSigningKeys()
    # another private key that claims the published kid
    forged_keys = LocalSigningKeys(
        RSAKey.import_key({**new_signing_key().as_dict(private=True), "kid": keys.current_kid})
    )
    with pytest.raises(Unauthenticated):
        await verifier.verify(forged_keys.sign(id_claims(clock)))
    assert source.fetches == 1  # a known kid needs no refetch
    ticker.now += 3600
    with pytest.raises(Unauthenticated):
        await verifier.verify(impostor.sign(id_claims(clock)))
    assert source.fetches == 2  # an unknown one costs one refetch


@pytest.mark.parametrize(
    ("shift_s", "extra"),
    [
        (3601, {}),  # expired
        (0, {"nbf": int(START.timestamp()) + 600}),  # not valid yet
        (0, {"iat": int(START.timestamp()) + 600}),  # issued in the future
        (0, {"exp": int(START.timestamp()) - 1}),  # expired at issue
    ],
)
async def test_tokens_outside_their_validity_window_are_refused(
    server: JwksServer,
    keys: LocalSigningKeys,
    clock: FixedClock,
    shift_s: int,
    extra: dict[str, Any],
) -> None:
    server.publish(keys)
    _, verifier, _ = setup(server, clock)
    token = keys.sign(id_claims(clock, **extra))
    clock.advance(shift_s)
    with pytest.raises(Unauthenticated):
        await verifier.verify(token)


@pytest.mark.parametrize(
    "claims",
    [
        {"token_use": "refresh"},
        {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"},
        {"aud": "another-client"},
        {"sub": None},
        {"cognito:groups": "provider_admins"},
        {"custom:customer_id": None},
        {"email": None},
    ],
)
async def test_tokens_with_wrong_claims_are_refused(
    server: JwksServer, keys: LocalSigningKeys, clock: FixedClock, claims: dict[str, Any]
) -> None:
    server.publish(keys)
    _, verifier, _ = setup(server, clock)
    values = {k: v for k, v in (id_claims(clock) | claims).items() if v is not None}
    with pytest.raises(Unauthenticated):
        await verifier.verify(keys.sign(values))


async def test_an_access_token_needs_a_profile_source(
    server: JwksServer, keys: LocalSigningKeys, clock: FixedClock
) -> None:
    server.publish(keys)
    _, verifier, _ = setup(server, clock)
    claims = id_claims(clock, token_use="access", client_id=CLIENT_ID)
    del claims["aud"]
    with pytest.raises(Unauthenticated):
        await verifier.verify(keys.sign(claims))


async def test_a_fetch_timeout_is_unavailable_and_not_retried_at_once(
    server: JwksServer, keys: LocalSigningKeys, clock: FixedClock
) -> None:
    server.publish(keys)
    server.delay_s = 5.0
    source, verifier, ticker = setup(server, clock, timeout_s=0.2, min_refresh_interval_s=30)
    token = keys.sign(id_claims(clock))
    with pytest.raises(Unavailable):
        await verifier.verify(token)
    with pytest.raises(Unavailable):  # cold and rate-limited: no second fetch yet
        await verifier.verify(token)
    assert source.fetches == 1
    server.delay_s = 0.0
    ticker.now += 31
    assert await verifier.verify(token) == EXPECTED


@pytest.mark.parametrize(
    ("status", "document"),
    [(500, b"{}"), (200, b"not json"), (200, b'{"keys": "nope"}'), (200, b"x" * 300_000)],
)
async def test_a_broken_endpoint_is_unavailable(
    server: JwksServer,
    keys: LocalSigningKeys,
    clock: FixedClock,
    status: int,
    document: bytes,
) -> None:
    server.status, server.document = status, document
    _, verifier, _ = setup(server, clock)
    with pytest.raises(Unavailable):
        await verifier.verify(keys.sign(id_claims(clock)))


async def test_a_stale_cache_keeps_serving_known_keys_while_the_endpoint_is_down(
    server: JwksServer, keys: LocalSigningKeys, clock: FixedClock
) -> None:
    server.publish(keys)
    source, verifier, ticker = setup(server, clock, max_age_s=600, min_refresh_interval_s=60)
    token = keys.sign(id_claims(clock))
    assert await verifier.verify(token) == EXPECTED
    server.status = 503
    ticker.now += 601
    assert await verifier.verify(token) == EXPECTED  # refresh failed, cached key served
    with pytest.raises(Unauthenticated):  # unknown kid, refresh rate-limited
        await verifier.verify(LocalSigningKeys().sign(id_claims(clock)))
    assert source.fetches == 2
