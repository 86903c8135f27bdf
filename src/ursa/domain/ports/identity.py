"""Identity ports: password sign-in and user administration.

``IdentityProvider`` (verify a bearer token → ``Principal``) stays in ``ports.system``. These two
ports cover getting tokens and managing users. Emails are case-insensitive user names. Every
method may raise ``Unavailable`` when the provider does not answer in time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ursa.domain.principals import Role


@dataclass(frozen=True, slots=True, kw_only=True)
class Tokens:
    """A signed-in session. ``id_token`` and ``access_token`` are JWTs that
    ``IdentityProvider.verify`` accepts; ``refresh_token`` is opaque."""

    id_token: str = field(repr=False)
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in_s: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NewPasswordRequired:
    """The password was right but temporary: call ``respond_new_password`` with ``session``."""

    session: str = field(repr=False)
    email: str


SignInResult = Tokens | NewPasswordRequired


class PasswordAuth(Protocol):
    """Password sign-in for people. Errors never reveal whether an account exists:
    an unknown email, a wrong password and a disabled user all raise ``Unauthenticated``.

    A password that breaks the pool's policy raises ``InvalidInput`` (field ``password``,
    code ``WEAK_PASSWORD``)."""

    async def sign_in(self, email: str, password: str) -> SignInResult:
        """Tokens, or ``NewPasswordRequired`` for a user still on a temporary password.
        ``Unauthenticated`` for bad credentials, a disabled user, or an account that must
        reset its password first (code ``PASSWORD_RESET_REQUIRED``)."""
        ...

    async def respond_new_password(self, email: str, session: str, new_password: str) -> Tokens:
        """Completes a ``NewPasswordRequired`` sign-in. ``Unauthenticated`` for an unknown or
        expired session; ``InvalidInput`` for a weak password."""
        ...

    async def refresh(self, refresh_token: str) -> Tokens:
        """New ID and access tokens (the refresh token is kept). ``Unauthenticated`` for an
        unknown or revoked refresh token, or a disabled user."""
        ...

    async def forgot_password(self, email: str) -> None:
        """Sends a confirmation code to the user. Succeeds silently for an unknown email."""
        ...

    async def confirm_forgot_password(self, email: str, code: str, new_password: str) -> None:
        """Sets ``new_password`` when ``code`` is the one sent. ``InvalidInput`` (field
        ``code``) for a wrong or expired code, (field ``password``) for a weak password."""
        ...

    async def change_password(
        self, access_token: str, old_password: str, new_password: str
    ) -> None:
        """``Unauthenticated`` when the access token is invalid or ``old_password`` is wrong;
        ``InvalidInput`` for a weak new password."""
        ...


class IdentityAdmin(Protocol):
    """User administration by an operator. ``NotFound`` for an unknown email."""

    async def create_user(
        self,
        email: str,
        *,
        customer_id: str | None,
        role: Role = Role.CUSTOMER_USER,
        temporary_password: str | None = None,
    ) -> str:
        """Creates the user in ``FORCE_CHANGE_PASSWORD`` and returns its stable subject id
        (the ``sub`` of its tokens). Without ``temporary_password`` the provider generates one
        and sends an invitation; with one, no message is sent and the caller passes it on.
        ``Conflict`` if the email exists; ``InvalidInput`` when a customer role has no
        ``customer_id`` or the temporary password is weak."""
        ...

    async def set_password(self, email: str, password: str, *, permanent: bool) -> None:
        """A permanent password confirms the user; a temporary one forces a change at the next
        sign-in. ``InvalidInput`` for a weak password."""
        ...

    async def grant_role(self, email: str, role: Role) -> None:
        """Adds the group for ``role`` (no-op for ``customer_user``). Tokens issued from now on
        carry it; tokens already issued keep their claims until they expire."""
        ...

    async def revoke_role(self, email: str, role: Role) -> None:
        """Removes the group for ``role``; a no-op when the user is not in it."""
        ...

    async def disable_user(self, email: str) -> None:
        """The user can no longer sign in or refresh. Idempotent."""
        ...

    async def enable_user(self, email: str) -> None:
        """Undoes ``disable_user``. Idempotent."""
        ...
