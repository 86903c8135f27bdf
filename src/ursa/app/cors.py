"""CORS for browser clients of the JSON API on other origins (``URSA_CORS_ORIGINS``).

Off unless origins are configured. Credentials (cookies) are never allowed cross-origin: the
API authenticates with bearer tokens, and the portal's session cookie stays same-site."""

from __future__ import annotations

from collections.abc import Sequence

from litestar.config.cors import CORSConfig
from litestar.types import Method

API_REQUEST_HEADERS = (
    "Authorization",
    "X-API-Key",
    "Idempotency-Key",
    "If-Match",
    "X-Request-ID",
    "X-Confirmation-Token",
    "Content-Type",
)
"""What a browser may send: credentials, idempotency and edit preconditions, the request id,
the cluster deletion confirmation, JSON bodies."""
API_RESPONSE_HEADERS = (
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Retry-After",
    "X-Request-ID",
    "ETag",
    "Idempotent-Replayed",
    "Location",
)
"""What a browser script may read besides the CORS-safelisted response headers."""
METHODS: tuple[Method, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
PREFLIGHT_MAX_AGE_S = 600


def cors_config(origins: Sequence[str]) -> CORSConfig | None:
    """None (no CORS headers, browsers refuse cross-origin reads) without origins."""
    if not origins:
        return None
    return CORSConfig(
        allow_origins=list(origins),
        allow_methods=list(METHODS),
        allow_headers=list(API_REQUEST_HEADERS),
        expose_headers=list(API_RESPONSE_HEADERS),
        allow_credentials=False,
        max_age=PREFLIGHT_MAX_AGE_S,
    )
