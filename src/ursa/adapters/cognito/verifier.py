"""Cognito-style JWT verification: the one code path for the real pool and the in-memory twin.

A token is accepted when all of these hold, and refused with ``Unauthenticated`` otherwise:
RS256 signature by a key of the pool (looked up by ``kid``), ``iss`` equal to the pool's issuer,
``token_use`` ``id`` (with ``aud`` = client id) or ``access`` (with ``client_id`` = client id),
``exp`` in the future and ``nbf``/``iat`` not in the future, against the injected clock with
``leeway_s`` of tolerance for clock skew.

Claims → ``Principal``: ``sub`` → user id, ``cognito:groups`` → role (highest wins),
``email`` and ``custom:customer_id`` from an ID token. Access tokens carry neither, so their
profile comes from a ``ProfileSource``. A non-provider principal without a customer id is
refused. Messages are short and safe; the token itself is never logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from joserfc import jws, jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError
from joserfc.jwk import Key
from joserfc.jwt import ClaimsOption

from ursa.domain.errors import Unauthenticated
from ursa.domain.identity import CUSTOMER_ID_ATTRIBUTE, role_from_groups
from ursa.domain.ports.system import Clock
from ursa.domain.principals import Principal, Role

log = logging.getLogger(__name__)

ALGORITHMS = ("RS256",)
MAX_TOKEN_CHARS = 16 * 1024
TOKEN_USES = frozenset({"id", "access"})


class SigningKeys(Protocol):
    """The pool's public signing keys. ``Unauthenticated`` for an unknown ``kid``;
    ``Unavailable`` when the key set cannot be obtained."""

    async def key(self, kid: str) -> Key: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    email: str
    customer_id: str | None


class ProfileSource(Protocol):
    """The profile behind a verified access token. ``Unauthenticated`` when the user is gone,
    disabled or the token was revoked."""

    async def profile(self, *, subject: str, access_token: str) -> Profile: ...


def _refuse(reason: str, *, code: str | None = None) -> Unauthenticated:
    log.info("bearer token refused: %s", reason)
    return Unauthenticated(f"invalid token: {reason}", code=code)


class CognitoTokenVerifier:
    """Implements ``IdentityProvider`` for Cognito user-pool tokens (ID and access)."""

    def __init__(
        self,
        *,
        keys: SigningKeys,
        issuer: str,
        client_id: str,
        clock: Clock,
        profiles: ProfileSource | None = None,
        leeway_s: int = 30,
        token_uses: frozenset[str] = TOKEN_USES,
    ) -> None:
        if not issuer or not client_id:
            raise ValueError("the verifier needs an issuer and a client id")
        self._keys = keys
        self._issuer = issuer
        self._client_id = client_id
        self._clock = clock
        self._profiles = profiles
        self._leeway = leeway_s
        self._token_uses = token_uses & TOKEN_USES

    async def verify(self, bearer: str) -> Principal:
        token = bearer.strip()
        claims = await self.verified_claims(token)
        return await self._principal(token, claims)

    async def verified_claims(self, token: str) -> dict[str, Any]:
        """The claims of a token that passed every check above (before the profile step)."""
        kid = _kid(token)
        key = await self._keys.key(kid)
        try:
            claims = jwt.decode(token, key, algorithms=list(ALGORITHMS)).claims
        except (JoseError, ValueError, TypeError):
            raise _refuse("bad signature") from None
        use = claims.get("token_use")
        if use not in self._token_uses:
            raise _refuse("wrong token use")
        try:
            self._registry(str(use)).validate(claims)
        except ExpiredTokenError:
            raise _refuse("expired", code="TOKEN_EXPIRED") from None
        except ClaimError as exc:
            raise _refuse(f"claim {exc.claim} rejected") from None
        except JoseError:
            raise _refuse("claims rejected") from None
        return claims

    def _registry(self, use: str) -> jwt.JWTClaimsRegistry:
        essential: dict[str, ClaimsOption] = {
            "iss": {"essential": True, "value": self._issuer},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "token_use": {"essential": True, "value": use},
        }
        if use == "id":
            essential["aud"] = {"essential": True, "value": self._client_id}
        else:
            essential["client_id"] = {"essential": True, "value": self._client_id}
        return jwt.JWTClaimsRegistry(now=self._now, leeway=self._leeway, **essential)

    def _now(self) -> int:
        return int(self._clock.now().timestamp())

    async def _principal(self, token: str, claims: dict[str, Any]) -> Principal:
        subject = str(claims["sub"])
        groups = claims.get("cognito:groups", [])
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise _refuse("malformed groups")
        role = role_from_groups(groups)
        if claims["token_use"] == "id":  # noqa: S105  (a claim value)
            email, customer_id = claims.get("email"), claims.get(CUSTOMER_ID_ATTRIBUTE)
        elif self._profiles is None:
            raise _refuse("access tokens are not accepted here")
        else:
            profile = await self._profiles.profile(subject=subject, access_token=token)
            email, customer_id = profile.email, profile.customer_id
        if not isinstance(email, str) or not email:
            raise _refuse("no email")
        if customer_id is not None and not isinstance(customer_id, str):
            raise _refuse("malformed customer id")
        if role is not Role.PROVIDER_ADMIN and not customer_id:
            raise _refuse("the user belongs to no customer")
        return Principal(user_id=subject, email=email, role=role, customer_id=customer_id or None)


def _kid(token: str) -> str:
    if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise _refuse("malformed")
    try:
        headers = jws.extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, TypeError, KeyError):
        raise _refuse("malformed") from None
    kid = headers.get("kid")
    if headers.get("alg") not in ALGORITHMS or not isinstance(kid, str) or not kid:
        raise _refuse("unsupported signing algorithm or key id")
    return kid
