"""Pieces of the in-memory identity provider: a rotating RS256 key set, password hashing and
Cognito's default password policy."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from joserfc import jwt
from joserfc.jwk import Key, KeySet, RSAKey

from ursa.domain.errors import InvalidInput, Unauthenticated


def new_signing_key() -> RSAKey:
    """A fresh 2048-bit RS256 key whose ``kid`` is its thumbprint."""
    return RSAKey.generate_key(2048, {"alg": "RS256", "use": "sig"}, auto_kid=True)


class LocalSigningKeys:
    """Implements ``SigningKeys`` in memory. The newest key signs; every published key verifies
    until it is retired, as when Cognito rotates its keys."""

    def __init__(self, key: RSAKey | None = None) -> None:
        self._keys: list[RSAKey] = [key or new_signing_key()]

    @property
    def current_kid(self) -> str:
        return str(self._keys[-1].kid)

    def rotate(self, *, retire_previous: bool = False, key: RSAKey | None = None) -> str:
        """Publishes a new signing key (and drops the old ones if asked); returns its ``kid``."""
        fresh = key or new_signing_key()
        self._keys = [fresh] if retire_previous else [*self._keys, fresh]
        return str(fresh.kid)

    def jwks(self) -> dict[str, Any]:
        """The public JWK set, as a pool publishes it at ``/.well-known/jwks.json``."""
        return dict(KeySet(list(self._keys)).as_dict(private=False))

    def sign(self, claims: dict[str, Any]) -> str:
        current = self._keys[-1]
        header = {"alg": "RS256", "kid": str(current.kid)}
        return jwt.encode(header, claims, current, algorithms=["RS256"])

    async def key(self, kid: str) -> Key:
        for key in self._keys:
            if key.kid == kid:
                return key
        raise Unauthenticated("invalid token: unknown signing key")


_SYMBOLS = re.compile(r"[\^$*.\[\]{}()?\"!@#%&/\\,><':;|_~`=+\- ]")
_RULES = (
    (re.compile(r"[a-z]"), "a lowercase letter"),
    (re.compile(r"[A-Z]"), "an uppercase letter"),
    (re.compile(r"[0-9]"), "a digit"),
    (_SYMBOLS, "a symbol"),
)
MIN_PASSWORD_LENGTH = 8


def check_password(password: str) -> None:
    """Cognito's default policy: 8+ characters with lower, upper, digit and symbol."""
    missing = [name for rule, name in _RULES if not rule.search(password)]
    if len(password) < MIN_PASSWORD_LENGTH or len(password) > 256 or missing:
        raise InvalidInput.single(
            "password",
            "WEAK_PASSWORD",
            f"use at least {MIN_PASSWORD_LENGTH} characters with a lowercase and an uppercase "
            "letter, a digit and a symbol",
        )


def generate_temporary_password() -> str:
    """A random password that satisfies the policy."""
    return f"{secrets.token_urlsafe(12)}-Aa1"


class PasswordHasher:
    """scrypt with a per-password salt; ``n`` is tunable so tests stay fast."""

    def __init__(self, n: int = 2**14) -> None:
        self._n = n

    def hash(self, password: str) -> bytes:
        salt = secrets.token_bytes(16)
        return salt + self._derive(password, salt)

    def matches(self, password: str, stored: bytes | None) -> bool:
        if stored is None:  # still spend the time, so timing does not reveal unknown users
            self._derive(password, b"\0" * 16)
            return False
        return hmac.compare_digest(stored[16:], self._derive(password, stored[:16]))

    def _derive(self, password: str, salt: bytes) -> bytes:
        return hashlib.scrypt(password.encode(), salt=salt, n=self._n, r=8, p=1, dklen=32)
