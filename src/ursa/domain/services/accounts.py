"""Me, customers and users: who is calling, customer self-view and edits, provider admin
customer management, and user administration (add with invite, role, password, status).

Rules live in ``account_rules``; users' sign-in accounts live in the identity provider
(``Ports.identity_admin``) and their roles and status are mirrored in the directory, which
is what API tokens and portal sessions are checked against. Passwords are never stored,
logged or audited (only whether one was permanent)."""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from ursa.domain import account_rules as rules
from ursa.domain.audit import PROVIDER_TENANT, AuditAction
from ursa.domain.customers import ApiToken, Customer, User
from ursa.domain.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    StaleVersion,
    Unavailable,
)
from ursa.domain.ids import new_customer_id
from ursa.domain.ports import IdentityAdmin
from ursa.domain.principals import Principal, Role, Scope
from ursa.domain.services import audit
from ursa.domain.services.context import Ports
from ursa.domain.validation import (
    validate_bucket_name,
    validate_email,
    validate_password,
    validate_region,
    validate_workset_name,
)

MAX_CREDIT_LIMIT = Decimal("1000000000")
NO_IDENTITY = (
    "user administration needs an identity provider, and none is configured "
    "(set URSA_COGNITO_USER_POOL_ID)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Me:
    principal: Principal
    user: User | None
    customer: Customer | None
    token: ApiToken | None


@dataclass(frozen=True, slots=True, kw_only=True)
class NewCustomer:
    name: str
    bucket: str
    bucket_region: str = "us-west-2"
    billing_account: str = ""
    cost_center: str = ""
    max_concurrent_worksets: int = 5
    max_storage_gb: int = 10_000
    credit_limit: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NewUser:
    email: str
    display_name: str
    role: Role = Role.CUSTOMER_USER


# -- me -------------------------------------------------------------------------------------


async def me(ports: Ports, principal: Principal) -> Me:
    """The caller as the directory knows them (a Cognito-only caller may have no record)."""
    rules.require_scope(principal, Scope.READ)
    try:
        user: User | None = await ports.directory.get_user(principal.user_id)
    except NotFound:
        user = None
    customer = None
    if principal.customer_id is not None:
        try:
            customer = await ports.directory.get_customer(principal.customer_id)
        except NotFound:
            customer = None
    token = None
    if principal.token_id is not None:
        try:
            token = await ports.tokens.by_id(principal.token_id)
        except NotFound:
            token = None
    return Me(principal=principal, user=user, customer=customer, token=token)


# -- customers ------------------------------------------------------------------------------


async def list_customers(ports: Ports, principal: Principal) -> tuple[Customer, ...]:
    """Provider admins: every customer; everyone else: their own."""
    rules.require_scope(principal, Scope.READ)
    if principal.is_provider_admin:
        return await ports.directory.list_customers()
    assert principal.customer_id is not None  # Principal enforces it for customer roles
    try:
        return (await ports.directory.get_customer(principal.customer_id),)
    except NotFound:
        return ()


async def get_customer(ports: Ports, principal: Principal, customer_id: str) -> Customer:
    rules.check_view_customer(principal, customer_id)
    try:
        return await ports.directory.get_customer(customer_id)
    except NotFound:
        raise NotFound(rules.NOT_FOUND_CUSTOMER) from None


def _quota_issues(values: Mapping[str, object]) -> None:
    limit = values.get("credit_limit")
    if not isinstance(limit, Decimal):
        return
    exponent = limit.as_tuple().exponent
    if (
        not limit.is_finite()
        or not 0 <= limit <= MAX_CREDIT_LIMIT
        or (isinstance(exponent, int) and exponent < -2)
    ):
        raise InvalidInput.single(
            "credit_limit",
            "BAD_VALUE",
            f"credit_limit must be an amount in USD from 0 to {MAX_CREDIT_LIMIT}, to the cent",
        )


def _checked(values: Mapping[str, object]) -> dict[str, object]:
    """Domain checks of the editable fields that are present (ranges are the schema's)."""
    out = dict(values)
    if "name" in out:
        out["name"] = validate_workset_name(str(out["name"]))
    for field in ("billing_account", "cost_center"):
        if field in out:
            out[field] = rules.check_billing_field(str(out[field]).strip(), field)
    _quota_issues(out)
    return out


async def create_customer(ports: Ports, principal: Principal, new: NewCustomer) -> Customer:
    rules.check_create_customer(principal)
    values = _checked(
        {
            "name": new.name,
            "billing_account": new.billing_account,
            "cost_center": new.cost_center,
            "credit_limit": new.credit_limit,
        }
    )
    name = str(values["name"])
    customer = Customer(
        customer_id=new_customer_id(name, ports.ids.hex8()),
        name=name,
        bucket=validate_bucket_name(new.bucket),
        bucket_region=validate_region(new.bucket_region),
        billing_account=str(values["billing_account"]),
        cost_center=str(values["cost_center"]),
        max_concurrent_worksets=new.max_concurrent_worksets,
        max_storage_gb=new.max_storage_gb,
        credit_limit=new.credit_limit,
        created_at=ports.clock.now(),
    )
    try:
        await ports.directory.get_customer(customer.customer_id)
    except NotFound:
        pass
    else:
        raise Conflict("that customer id is taken; try again")
    await ports.directory.put_customer(customer)
    await audit.record(
        ports,
        actor=principal,
        customer_id=customer.customer_id,
        action=AuditAction.CUSTOMER_CREATE,
        target=f"customer:{customer.customer_id}",
        after=_customer_snapshot(customer, rules.EDITABLE),
    )
    return customer


def _customer_snapshot(customer: Customer, fields: frozenset[str]) -> dict[str, object]:
    return {f: getattr(customer, f) for f in sorted(fields)} | {"version": customer.version}


async def edit_customer(
    ports: Ports,
    principal: Principal,
    customer_id: str,
    changes: Mapping[str, object],
    *,
    expected_version: int | None = None,
) -> Customer:
    """Only the fields in ``changes`` change; a customer admin may not send quota fields at
    all (403 naming them). ``expected_version`` (If-Match) must be current, else 412."""
    rules.check_edit_customer(principal, customer_id, changes.keys())
    values = _checked(changes)
    before = await get_customer(ports, principal, customer_id)
    if expected_version is not None and expected_version != before.version:
        raise PreconditionFailed("the customer changed since you read it; read it again")
    if all(getattr(before, f) == v for f, v in values.items()):
        return before
    after = replace(before, **values, version=before.version + 1)  # type: ignore[arg-type]
    try:
        await ports.directory.put_customer(after, expected_version=before.version)
    except StaleVersion:
        if expected_version is not None:
            raise PreconditionFailed(
                "the customer changed since you read it; read it again"
            ) from None
        raise
    touched = frozenset(values)
    await audit.record(
        ports,
        actor=principal,
        customer_id=customer_id,
        action=AuditAction.CUSTOMER_EDIT,
        target=f"customer:{customer_id}",
        before=_customer_snapshot(before, touched),
        after=_customer_snapshot(after, touched),
    )
    return after


# -- users ----------------------------------------------------------------------------------


def _identity(ports: Ports) -> IdentityAdmin:
    if ports.identity_admin is None:
        raise Unavailable(NO_IDENTITY, code="IDENTITY_NOT_CONFIGURED")
    return ports.identity_admin


async def list_users(ports: Ports, principal: Principal, customer_id: str) -> tuple[User, ...]:
    rules.check_manage_users(principal, customer_id, Scope.READ)
    await get_customer(ports, principal, customer_id)
    return await ports.directory.list_users(customer_id)


def _display_name(value: str) -> str:
    name = unicodedata.normalize("NFC", value).strip()
    if not name or len(name) > 80 or any(unicodedata.category(c).startswith("C") for c in name):
        raise InvalidInput.single(
            "display_name", "BAD_VALUE", "display_name must be 1-80 printable characters"
        )
    return name


async def add_user(ports: Ports, principal: Principal, customer_id: str, new: NewUser) -> User:
    """Creates the sign-in account (the provider emails an invitation with a temporary
    password), then the directory user with the account's subject id as ``user_id``."""
    rules.check_manage_users(principal, customer_id, Scope.ADMIN)
    rules.check_new_user_role(principal, new.role)
    email = validate_email(new.email)
    display_name = _display_name(new.display_name)
    await get_customer(ports, principal, customer_id)
    identity = _identity(ports)
    try:
        await ports.directory.user_by_email(email)
    except NotFound:
        pass
    else:
        raise Conflict("a user with that email already exists", code="USER_EXISTS")
    subject = await identity.create_user(email, customer_id=customer_id, role=new.role)
    user = User(
        user_id=subject,
        email=email,
        display_name=display_name,
        role=new.role,
        customer_id=customer_id,
        created_at=ports.clock.now(),
    )
    await ports.directory.put_user(user)
    await audit.record(
        ports,
        actor=principal,
        customer_id=customer_id,
        action=AuditAction.USER_ADD,
        target=f"user:{user.user_id}",
        after={"role": user.role, "disabled": user.disabled},
    )
    return user


async def _user_to_administer(ports: Ports, principal: Principal, user_id: str) -> User:
    try:
        user = await ports.directory.get_user(user_id)
    except NotFound:
        raise NotFound(rules.NOT_FOUND_USER) from None
    rules.check_administer_user(principal, user)
    return user


async def _in_identity(call: Awaitable[None]) -> None:
    """Await an identity call; an account the provider does not know is a Conflict."""
    try:
        await call
    except NotFound:
        raise Conflict(
            "this user has no sign-in account in the identity provider",
            code="IDENTITY_USER_MISSING",
        ) from None


async def _audit_user(
    ports: Ports,
    principal: Principal,
    user: User,
    action: AuditAction,
    before: Mapping[str, object] | None,
    after: Mapping[str, object],
) -> None:
    await audit.record(
        ports,
        actor=principal,
        customer_id=user.customer_id or PROVIDER_TENANT,
        action=action,
        target=f"user:{user.user_id}",
        before=before,
        after=after,
    )


async def set_role(ports: Ports, principal: Principal, user_id: str, role: Role) -> User:
    """Grant or revoke ``customer_admin``. A revoke reaches the directory first (tokens lose
    the role at once); a grant reaches the identity provider first."""
    user = await _user_to_administer(ports, principal, user_id)
    rules.check_role_change(principal, user, role)
    if user.role is role:
        return user
    changed = replace(user, role=role)
    identity = ports.identity_admin
    if role is Role.CUSTOMER_ADMIN:
        if identity is not None:
            await _in_identity(identity.grant_role(user.email, Role.CUSTOMER_ADMIN))
        await ports.directory.put_user(changed)
    else:
        await ports.directory.put_user(changed)
        if identity is not None:
            await _in_identity(identity.revoke_role(user.email, Role.CUSTOMER_ADMIN))
    await _audit_user(
        ports, principal, user, AuditAction.USER_ROLE, {"role": user.role}, {"role": role}
    )
    return changed


async def set_password(
    ports: Ports, principal: Principal, user_id: str, password: str, *, permanent: bool
) -> User:
    """A temporary password must be changed at the next sign-in."""
    user = await _user_to_administer(ports, principal, user_id)
    validate_password(password, email=user.email)
    identity = _identity(ports)
    await _in_identity(identity.set_password(user.email, password, permanent=permanent))
    await _audit_user(
        ports, principal, user, AuditAction.USER_PASSWORD, None, {"permanent": permanent}
    )
    return user


async def set_disabled(ports: Ports, principal: Principal, user_id: str, disabled: bool) -> User:
    """Disabling reaches the directory first, so the user's tokens and sessions stop at once
    even if the identity provider is slow; enabling reaches the provider first. Without an
    identity provider the directory alone decides (no other sign-in exists)."""
    user = await _user_to_administer(ports, principal, user_id)
    if user.disabled is disabled:
        return user
    changed = replace(user, disabled=disabled)
    identity = ports.identity_admin
    if disabled:
        await ports.directory.put_user(changed)
        if identity is not None:
            await _in_identity(identity.disable_user(user.email))
    else:
        if identity is not None:
            await _in_identity(identity.enable_user(user.email))
        await ports.directory.put_user(changed)
    action = AuditAction.USER_DISABLE if disabled else AuditAction.USER_ENABLE
    await _audit_user(
        ports, principal, user, action, {"disabled": user.disabled}, {"disabled": disabled}
    )
    return changed
