"""View models for the layout (the signed-in viewer, toasts) and the sign-in pages (the dev
picker and the email + password form)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ursa.domain.customers import Customer, User
from ursa.domain.principals import ROLE_RANK
from ursa.web import formatting as fmt

PROVIDER_GROUP = "Ursa (provider)"

# --- layout -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Viewer:
    user_id: str
    name: str
    email: str
    role_label: str
    organisation: str
    initials: str


def present_viewer(user: User, customer: Customer | None) -> Viewer:
    words = [w for w in user.display_name.split() if w] or [user.email]
    return Viewer(
        user_id=user.user_id,
        name=user.display_name or user.email,
        email=user.email,
        role_label=fmt.role_label(user.role),
        organisation=customer.name if customer else PROVIDER_GROUP,
        initials="".join(w[0] for w in words[:2]).upper(),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Toast:
    level: str
    title: str
    message: str


# --- sign-in ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SignInUser:
    user_id: str
    name: str
    email: str
    role_label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignInGroup:
    title: str
    users: tuple[SignInUser, ...]


def present_sign_in(
    users: Iterable[User], customers: Iterable[Customer]
) -> tuple[SignInGroup, ...]:
    """Users grouped by customer (alphabetical), provider staff last; disabled users omitted."""
    names = {c.customer_id: c.name for c in customers}
    groups: dict[str, list[SignInUser]] = {}
    ranked = sorted(
        (u for u in users if not u.disabled), key=lambda u: (-ROLE_RANK[u.role], u.display_name)
    )
    for user in ranked:
        title = names.get(user.customer_id or "", PROVIDER_GROUP)
        groups.setdefault(title, []).append(
            SignInUser(
                user_id=user.user_id,
                name=user.display_name,
                email=user.email,
                role_label=fmt.role_label(user.role),
            )
        )
    provider_last = sorted(groups, key=lambda t: (t == PROVIDER_GROUP, t))
    return tuple(SignInGroup(title=t, users=tuple(groups[t])) for t in provider_last)


# --- password sign-in -------------------------------------------------------------------

SIGN_IN_REFUSED = "Email or password is wrong."
SIGN_IN_EXPIRED = "Your sign-in has expired. Sign in again."
PASSWORD_PARTIAL = "sign_in/_password.html"  # noqa: S105  (a template name)
NEW_PASSWORD_PARTIAL = "sign_in/_new_password.html"  # noqa: S105  (a template name)


@dataclass(frozen=True, slots=True, kw_only=True)
class SignInStep:
    """The ``#sign-in-form`` region: the email + password form, or the new-password form of a
    user still on a temporary password. The password fields always render empty."""

    partial: str
    email: str = ""
    error: str = ""


def password_step(email: str = "", error: str = "") -> SignInStep:
    return SignInStep(partial=PASSWORD_PARTIAL, email=email, error=error)


def new_password_step(email: str, error: str = "") -> SignInStep:
    return SignInStep(partial=NEW_PASSWORD_PARTIAL, email=email, error=error)


def refusal_message(expired: bool) -> str:
    return SIGN_IN_EXPIRED if expired else SIGN_IN_REFUSED


def too_many_attempts(retry_after_s: int) -> str:
    wait = max(retry_after_s, 1)
    when = f"{wait} seconds" if wait < 120 else f"{(wait + 59) // 60} minutes"
    return f"Too many sign-in attempts from your network. Try again in {when}."


def password_rule(message: str) -> str:
    """The identity provider's password-policy message as a sentence."""
    text = message.strip().rstrip(".") or "the password does not meet the password policy"
    return f"{text[0].upper()}{text[1:]}."
