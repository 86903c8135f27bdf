"""Password sign-in for the portal: the identity provider checks the password, the directory
says who the person is in Ursa.

Every refusal looks the same (``Unauthenticated`` with code ``SIGN_IN_REFUSED``): a wrong
password, an unknown email, a disabled user, an account the directory does not know and a
token that does not verify are never told apart, so the answer reveals no account."""

from __future__ import annotations

from ursa.domain.audit import PROVIDER_TENANT, AuditAction
from ursa.domain.customers import User
from ursa.domain.errors import InvalidInput, NotFound, Unauthenticated
from ursa.domain.ports import IdentityProvider, PasswordAuth
from ursa.domain.ports.identity import NewPasswordRequired, Tokens
from ursa.domain.services import audit
from ursa.domain.services.context import Ports

REFUSED = "SIGN_IN_REFUSED"
CHALLENGE_EXPIRED = "SIGN_IN_EXPIRED"


def refused() -> Unauthenticated:
    return Unauthenticated("email or password is wrong", code=REFUSED)


async def sign_in_with_password(
    ports: Ports,
    passwords: PasswordAuth,
    identity: IdentityProvider | None,
    *,
    email: str,
    password: str,
) -> User | NewPasswordRequired:
    """The signed-in user, or the provider's challenge for a temporary password."""
    try:
        result = await passwords.sign_in(email, password)
    except (Unauthenticated, InvalidInput):  # malformed input is refused like a bad password
        raise refused() from None
    if isinstance(result, NewPasswordRequired):
        return result
    return await user_for_tokens(ports, identity, result, email=email)


async def choose_new_password(
    ports: Ports,
    passwords: PasswordAuth,
    identity: IdentityProvider | None,
    *,
    challenge: NewPasswordRequired,
    new_password: str,
    request_id: str | None = None,
) -> User:
    """Completes a temporary-password sign-in. ``Unauthenticated`` (``SIGN_IN_EXPIRED``) when
    the challenge is gone; ``InvalidInput`` (field ``password``) for a weak password, with the
    challenge still usable. The new password is audited as the user's own change."""
    try:
        tokens = await passwords.respond_new_password(
            challenge.email, challenge.session, new_password
        )
    except Unauthenticated:
        raise Unauthenticated(
            "the sign-in has expired; sign in again", code=CHALLENGE_EXPIRED
        ) from None
    user = await user_for_tokens(ports, identity, tokens, email=challenge.email)
    await audit.record(
        ports,
        actor=user.principal(),
        customer_id=user.customer_id or PROVIDER_TENANT,
        action=AuditAction.USER_PASSWORD,
        target=f"user:{user.user_id}",
        after={"reason": "temporary password replaced at sign-in"},
        request_id=request_id,
    )
    return user


async def user_for_tokens(
    ports: Ports, identity: IdentityProvider | None, tokens: Tokens, *, email: str
) -> User:
    """The directory user behind ``tokens``. With an identity provider the email comes from
    the verified ID token (not from what was typed); otherwise from the typed email."""
    if identity is not None:
        try:
            email = (await identity.verify(tokens.id_token)).email
        except Unauthenticated:
            raise refused() from None
    try:
        user = await ports.directory.user_by_email(email)
    except NotFound:
        raise refused() from None
    if user.disabled:
        raise refused()
    return user
