"""The one tenancy and role policy (ARCHITECTURE §4 rule 7, DOMAIN §1 role table).

Every use case asks here. Invisible entities raise ``NotFound`` (no existence leak);
visible entities whose action the role lacks raise ``Forbidden``."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from ursa.domain.errors import Forbidden, NotFound
from ursa.domain.principals import ROLE_RANK, Principal, Role, Scope


class Owned(Protocol):
    @property
    def customer_id(self) -> str: ...

    @property
    def owner_user_id(self) -> str: ...


class Action(StrEnum):
    VIEW = "view"
    SUBMIT = "submit"
    CANCEL = "cancel"
    CLONE_RETRY = "clone_retry"
    ARCHIVE = "archive"
    RESTORE = "restore"
    DELETE = "delete"
    HARD_DELETE = "hard_delete"
    APPROVE = "approve"
    IGNORE = "ignore"
    GIVE_UP = "give_up"
    OPERATOR_RETRY = "operator_retry"
    UNDELETE = "undelete"
    """Bring a soft-deleted workset back (T27): provider admins only."""
    ADMIN = "admin"
    EDIT = "edit"
    """Change a customer-shared resource (a saved manifest's name or description)."""


# Actions a customer_user may take on their own worksets (§1 role table).
_OWNER_ACTIONS = frozenset(
    {
        Action.VIEW,
        Action.SUBMIT,
        Action.CANCEL,
        Action.CLONE_RETRY,
        Action.ARCHIVE,
        Action.RESTORE,
        Action.DELETE,
        Action.APPROVE,
    }
)
_CUSTOMER_ADMIN_ACTIONS = _OWNER_ACTIONS | {Action.HARD_DELETE, Action.IGNORE, Action.GIVE_UP}
_READ_ACTIONS = frozenset({Action.VIEW})
_ADMIN_SCOPE_ACTIONS = frozenset(
    {Action.ADMIN, Action.OPERATOR_RETRY, Action.HARD_DELETE, Action.UNDELETE}
)


def can_see(principal: Principal, entity: Owned) -> bool:
    if principal.role is Role.PROVIDER_ADMIN:
        return True
    if principal.customer_id != entity.customer_id:
        return False
    return principal.role is Role.CUSTOMER_ADMIN or principal.user_id == entity.owner_user_id


def require_scope(principal: Principal, action: Action) -> None:
    needed = (
        Scope.READ
        if action in _READ_ACTIONS
        else Scope.ADMIN
        if action in _ADMIN_SCOPE_ACTIONS
        else Scope.WRITE
    )
    if needed not in principal.scopes:
        raise Forbidden(f"this credential lacks the '{needed}' scope", code="SCOPE_MISSING")


def authorize(
    principal: Principal, entity: Owned, action: Action, *, what: str = "workset"
) -> None:
    """Raise NotFound when the entity is invisible, Forbidden when the role lacks the action."""
    if not can_see(principal, entity):
        raise NotFound(f"{what} not found")
    require_scope(principal, action)
    if principal.role is Role.PROVIDER_ADMIN:
        return
    allowed = _CUSTOMER_ADMIN_ACTIONS if principal.role is Role.CUSTOMER_ADMIN else _OWNER_ACTIONS
    if action not in allowed:
        raise Forbidden(f"your role may not {action.value.replace('_', ' ')} this {what}")


def can_see_shared(principal: Principal, entity: Owned) -> bool:
    """Customer-shared resources (saved manifests): every user of the customer sees them."""
    return principal.role is Role.PROVIDER_ADMIN or principal.customer_id == entity.customer_id


def authorize_shared(principal: Principal, entity: Owned, action: Action, *, what: str) -> None:
    """Shared within the customer: anyone there may view (and use) it; only its owner, a
    customer admin or a provider admin may change or delete it. NotFound across tenants."""
    if not can_see_shared(principal, entity):
        raise NotFound(f"{what} not found")
    require_scope(principal, action)
    if action is Action.VIEW or principal.role is not Role.CUSTOMER_USER:
        return
    if principal.user_id != entity.owner_user_id:
        raise Forbidden(f"only its owner or a customer admin may {action.value} this {what}")


def require_role(principal: Principal, minimum: Role) -> None:
    if ROLE_RANK[principal.role] < ROLE_RANK[minimum]:
        raise Forbidden(f"this needs the {minimum.value} role")


def tenant_filter(principal: Principal) -> tuple[str | None, str | None]:
    """(customer_id, owner_user_id) a listing must be restricted to; None means unrestricted."""
    if principal.role is Role.PROVIDER_ADMIN:
        return None, None
    if principal.role is Role.CUSTOMER_ADMIN:
        return principal.customer_id, None
    return principal.customer_id, principal.user_id
