"""The in-memory twin of Cognito: a real local identity provider.

Users with scrypt-hashed passwords, temporary passwords (``NewPasswordRequired``), refresh
tokens, reset codes and disabling. It issues RS256 JWTs with Cognito's claims, signed by a
locally generated key, and verifies them with the same ``CognitoTokenVerifier`` the real pool
uses: only the key set and the issuer differ. Messages Cognito would email (invitations, reset
codes) land in ``outbox``. Time comes from the injected clock.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from ursa.adapters.cognito.verifier import CognitoTokenVerifier, Profile
from ursa.adapters.memory.identity_keys import (
    LocalSigningKeys,
    PasswordHasher,
    check_password,
    generate_temporary_password,
)
from ursa.domain.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from ursa.domain.identity import (
    CUSTOMER_ID_ATTRIBUTE,
    check_new_user,
    group_for_role,
    normalise_email,
)
from ursa.domain.ports.identity import NewPasswordRequired, SignInResult, Tokens
from ursa.domain.ports.system import Clock
from ursa.domain.principals import Principal, Role

LOCAL_ISSUER = "https://identity.ursa.invalid/local"
LOCAL_CLIENT_ID = "ursa-local-client"
_BAD_CREDENTIALS = "incorrect email or password"
_BAD_CODE = ("code", "INVALID_CODE", "the code is wrong or has expired")


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxMessage:
    kind: Literal["invitation", "reset_code"]
    email: str
    secret: str = field(repr=False)


@dataclass(slots=True, kw_only=True)
class _User:
    sub: str
    email: str
    customer_id: str | None
    password: bytes
    status: Literal["FORCE_CHANGE_PASSWORD", "CONFIRMED"] = "FORCE_CHANGE_PASSWORD"
    enabled: bool = True
    groups: set[str] = field(default_factory=set)
    reset: tuple[str, datetime] | None = None


class InMemoryIdentity:
    """Implements ``IdentityProvider``, ``PasswordAuth`` and ``IdentityAdmin`` (and the
    verifier's ``ProfileSource``)."""

    def __init__(
        self,
        *,
        clock: Clock,
        issuer: str = LOCAL_ISSUER,
        client_id: str = LOCAL_CLIENT_ID,
        keys: LocalSigningKeys | None = None,
        token_ttl_s: int = 3600,
        session_ttl_s: int = 180,
        code_ttl_s: int = 3600,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.clock = clock
        self.issuer = issuer
        self.client_id = client_id
        self.keys = keys or LocalSigningKeys()
        self.outbox: list[OutboxMessage] = []
        self._token_ttl = token_ttl_s
        self._session_ttl = timedelta(seconds=session_ttl_s)
        self._code_ttl = timedelta(seconds=code_ttl_s)
        self._hasher = hasher or PasswordHasher()
        self._users: dict[str, _User] = {}
        self._sessions: dict[str, tuple[str, datetime]] = {}
        self._refresh: dict[str, str] = {}
        self.verifier = CognitoTokenVerifier(
            keys=self.keys, issuer=issuer, client_id=client_id, clock=clock, profiles=self
        )

    # IdentityProvider and ProfileSource
    async def verify(self, bearer: str) -> Principal:
        return await self.verifier.verify(bearer)

    async def profile(self, *, subject: str, access_token: str) -> Profile:
        user = self._by_sub(subject)
        if user is None or not user.enabled:
            raise Unauthenticated("invalid token: the user is gone or disabled")
        return Profile(email=user.email, customer_id=user.customer_id)

    def rotate_keys(self, *, retire_previous: bool = False) -> str:
        """Signs new tokens with a new key; returns its ``kid``."""
        return self.keys.rotate(retire_previous=retire_previous)

    def last_secret(self, email: str, kind: Literal["invitation", "reset_code"]) -> str | None:
        """The newest invitation password or reset code sent to ``email``."""
        found = [
            m.secret for m in self.outbox if m.kind == kind and m.email == normalise_email(email)
        ]
        return found[-1] if found else None

    # PasswordAuth
    async def sign_in(self, email: str, password: str) -> SignInResult:
        user = self._users.get(normalise_email(email))
        matches = self._hasher.matches(password, user.password if user else None)
        if user is None or not matches:
            raise Unauthenticated(_BAD_CREDENTIALS)
        if not user.enabled:
            raise Unauthenticated("the user is disabled")
        if user.status == "FORCE_CHANGE_PASSWORD":
            now, session = self.clock.now(), secrets.token_urlsafe(48)
            self._sessions = {s: e for s, e in self._sessions.items() if e[1] > now}
            self._sessions[session] = (user.sub, now + self._session_ttl)
            return NewPasswordRequired(session=session, email=user.email)
        return self._issue(user, secrets.token_urlsafe(48))

    async def respond_new_password(self, email: str, session: str, new_password: str) -> Tokens:
        entry = self._sessions.get(session)
        user = self._by_sub(entry[0]) if entry else None
        if entry is None or user is None or entry[1] <= self.clock.now() or not user.enabled:
            raise Unauthenticated("the sign-in session has expired, sign in again")
        if user.email != normalise_email(email):
            raise Unauthenticated("the sign-in session has expired, sign in again")
        check_password(new_password)
        del self._sessions[session]
        user.password, user.status = self._hasher.hash(new_password), "CONFIRMED"
        return self._issue(user, secrets.token_urlsafe(48))

    async def refresh(self, refresh_token: str) -> Tokens:
        subject = self._refresh.get(refresh_token)
        user = self._by_sub(subject) if subject else None
        if user is None or not user.enabled:
            raise Unauthenticated("the session has expired, sign in again")
        return self._issue(user, refresh_token)

    async def forgot_password(self, email: str) -> None:
        user = self._users.get(normalise_email(email))
        if user is None or not user.enabled:
            return  # never reveal whether the account exists
        code = f"{secrets.randbelow(10**6):06d}"
        user.reset = (code, self.clock.now() + self._code_ttl)
        self.outbox.append(OutboxMessage(kind="reset_code", email=user.email, secret=code))

    async def confirm_forgot_password(self, email: str, code: str, new_password: str) -> None:
        user = self._users.get(normalise_email(email))
        reset = user.reset if user else None
        if user is None or reset is None or reset[1] <= self.clock.now():
            raise InvalidInput.single(*_BAD_CODE)
        if not hmac.compare_digest(reset[0].encode(), code.encode()):
            raise InvalidInput.single(*_BAD_CODE)
        check_password(new_password)
        user.password, user.status, user.reset = self._hasher.hash(new_password), "CONFIRMED", None

    async def change_password(
        self, access_token: str, old_password: str, new_password: str
    ) -> None:
        claims = await self.verifier.verified_claims(access_token.strip())
        user = self._by_sub(str(claims["sub"]))
        if claims["token_use"] != "access" or user is None or not user.enabled:  # noqa: S105
            raise Unauthenticated("change the password: not authorized")
        check_password(new_password)
        if not self._hasher.matches(old_password, user.password):
            raise Unauthenticated("change the password: not authorized")
        user.password = self._hasher.hash(new_password)

    # IdentityAdmin
    async def create_user(
        self,
        email: str,
        *,
        customer_id: str | None,
        role: Role = Role.CUSTOMER_USER,
        temporary_password: str | None = None,
    ) -> str:
        check_new_user(customer_id, role)
        key = normalise_email(email)
        if "@" not in key.strip("@") or any(c.isspace() for c in key):
            raise InvalidInput.single("email", "INVALID_EMAIL", "the user name must be an email")
        if key in self._users:
            raise Conflict("create the user: the user already exists")
        password = temporary_password
        if password is None:
            password = generate_temporary_password()
            self.outbox.append(OutboxMessage(kind="invitation", email=key, secret=password))
        else:
            check_password(password)
        user = _User(
            sub=str(uuid.uuid4()),
            email=key,
            customer_id=customer_id or None,
            password=self._hasher.hash(password),
        )
        self._users[key] = user
        await self.grant_role(key, role)
        return user.sub

    async def set_password(self, email: str, password: str, *, permanent: bool) -> None:
        user = self._user(email)
        check_password(password)
        user.password = self._hasher.hash(password)
        user.status = "CONFIRMED" if permanent else "FORCE_CHANGE_PASSWORD"

    async def grant_role(self, email: str, role: Role) -> None:
        user, group = self._user(email), group_for_role(role)
        if group is not None:
            user.groups.add(group)

    async def revoke_role(self, email: str, role: Role) -> None:
        user, group = self._user(email), group_for_role(role)
        if group is not None:
            user.groups.discard(group)

    async def disable_user(self, email: str) -> None:
        user = self._user(email)
        user.enabled = False
        self._refresh = {t: s for t, s in self._refresh.items() if s != user.sub}

    async def enable_user(self, email: str) -> None:
        self._user(email).enabled = True

    # internals
    def _user(self, email: str) -> _User:
        user = self._users.get(normalise_email(email))
        if user is None:
            raise NotFound("no such user")
        return user

    def _by_sub(self, subject: str) -> _User | None:
        return next((u for u in self._users.values() if u.sub == subject), None)

    def _issue(self, user: _User, refresh_token: str) -> Tokens:
        self._refresh[refresh_token] = user.sub
        now = int(self.clock.now().timestamp())
        common: dict[str, Any] = {
            "sub": user.sub,
            "iss": self.issuer,
            "iat": now,
            "auth_time": now,
            "exp": now + self._token_ttl,
            "origin_jti": str(uuid.uuid4()),
        }
        if user.groups:
            common["cognito:groups"] = sorted(user.groups)
        id_claims = {
            **common,
            "aud": self.client_id,
            "token_use": "id",
            "jti": str(uuid.uuid4()),
            "cognito:username": user.sub,
            "email": user.email,
            "email_verified": True,
        }
        if user.customer_id:
            id_claims[CUSTOMER_ID_ATTRIBUTE] = user.customer_id
        access_claims = {
            **common,
            "client_id": self.client_id,
            "token_use": "access",
            "jti": str(uuid.uuid4()),
            "scope": "aws.cognito.signin.user.admin",
            "username": user.sub,
        }
        return Tokens(
            id_token=self.keys.sign(id_claims),
            access_token=self.keys.sign(access_claims),
            refresh_token=refresh_token,
            expires_in_s=self._token_ttl,
        )
