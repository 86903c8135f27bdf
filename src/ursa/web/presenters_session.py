"""View models for the layout (the signed-in viewer, toasts) and the dev sign-in page."""

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
