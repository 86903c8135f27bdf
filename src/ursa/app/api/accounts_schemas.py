"""Bodies of /me, /customers and /users, and the domain → Struct presenters for them.

Requests forbid unknown fields; a PATCH leaves out what it does not change (``UNSET``).
Money (``credit_limit``) is a decimal string. Passwords are accepted, never returned."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar.openapi.spec import Example

from ursa.domain.customers import Customer, User
from ursa.domain.principals import ActorKind, Role, Scope
from ursa.domain.services.accounts import Me, NewCustomer, NewUser

CustomerName = Annotated[str, msgspec.Meta(min_length=1, max_length=80, examples=["Acme Genomics"])]
Billing = Annotated[str, msgspec.Meta(max_length=64, examples=["AC-2291"])]
Concurrency = Annotated[int, msgspec.Meta(ge=1, le=1000, description="Worksets running at once")]
StorageGb = Annotated[int, msgspec.Meta(ge=1, le=10_000_000, description="Storage quota, GiB")]
CreditLimit = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[0-9]{1,10}(\.[0-9]{1,2})?$",
        description="USD as a decimal string, to the cent; null for no limit",
        examples=["25000.00"],
    ),
]
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, examples=["lee@acme.example"])]
DisplayName = Annotated[str, msgspec.Meta(min_length=1, max_length=80, examples=["Lee Lab"])]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]

# -- requests -----------------------------------------------------------------------------------


class CreateCustomer(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: CustomerName
    bucket: Annotated[str, msgspec.Meta(min_length=3, max_length=63, examples=["acme-ursa"])]
    bucket_region: Annotated[str, msgspec.Meta(max_length=32)] = "us-west-2"
    billing_account: Billing = ""
    cost_center: Billing = ""
    max_concurrent_worksets: Concurrency = 5
    max_storage_gb: StorageGb = 10_000
    credit_limit: CreditLimit | None = None

    def domain(self) -> NewCustomer:
        fields = msgspec.structs.asdict(self)
        return NewCustomer(**fields | {"credit_limit": _money(self.credit_limit)})


class EditCustomer(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Only the fields sent change. A customer admin may send name, billing_account and
    cost_center; the quota fields are the provider's."""

    name: CustomerName | msgspec.UnsetType = msgspec.UNSET
    billing_account: Billing | msgspec.UnsetType = msgspec.UNSET
    cost_center: Billing | msgspec.UnsetType = msgspec.UNSET
    max_concurrent_worksets: Concurrency | msgspec.UnsetType = msgspec.UNSET
    max_storage_gb: StorageGb | msgspec.UnsetType = msgspec.UNSET
    credit_limit: CreditLimit | msgspec.UnsetType | None = msgspec.UNSET

    def changes(self) -> dict[str, Any]:
        sent = {
            f: v for f in self.__struct_fields__ if (v := getattr(self, f)) is not msgspec.UNSET
        }
        if "credit_limit" in sent:
            sent["credit_limit"] = _money(sent["credit_limit"])
        return sent


def _money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


class AddUser(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    email: Email
    display_name: DisplayName
    role: Role = Role.CUSTOMER_USER
    """customer_user or customer_admin."""

    def domain(self) -> NewUser:
        return NewUser(email=self.email, display_name=self.display_name, role=self.role)


class SetRole(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    role: Role
    """customer_admin grants the admin role; customer_user revokes it."""


class SetPassword(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    password: Password
    permanent: bool = False
    """False: the user must choose a new password at the next sign-in."""


CREATE_CUSTOMER_EXAMPLES = [
    Example(
        summary="A customer with its bucket and quotas",
        value={
            "name": "Initech Labs",
            "bucket": "initech-labs-ursa",
            "bucket_region": "us-west-2",
            "billing_account": "IN-1001",
            "cost_center": "genomics",
            "max_concurrent_worksets": 4,
            "max_storage_gb": 20000,
            "credit_limit": "25000.00",
        },
    )
]
EDIT_CUSTOMER_EXAMPLES = [
    Example(summary="Rename and set the cost centre", value={"name": "Acme", "cost_center": "R&D"}),
    Example(summary="Quotas (provider admins only)", value={"max_concurrent_worksets": 8}),
]
ADD_USER_EXAMPLES = [
    Example(
        summary="Invite a scientist",
        value={"email": "lee@acme.example", "display_name": "Lee Lab", "role": "customer_user"},
    )
]
SET_ROLE_EXAMPLES = [
    Example(summary="Grant customer admin", value={"role": "customer_admin"}),
    Example(summary="Revoke customer admin", value={"role": "customer_user"}),
]
SET_PASSWORD_EXAMPLES = [
    Example(
        summary="A temporary password to pass on",
        value={"password": "Temp-Passw0rd!", "permanent": False},
    )
]

# -- answers ------------------------------------------------------------------------------------


class CustomerSummary(msgspec.Struct, kw_only=True):
    customer_id: str
    name: str


class CustomerOut(msgspec.Struct, kw_only=True):
    customer_id: str
    name: str
    bucket: str
    bucket_region: str
    billing_account: str
    cost_center: str
    max_concurrent_worksets: int
    max_storage_gb: int
    credit_limit: Decimal | None
    created_at: datetime
    version: int
    """Send it back in If-Match to edit (also the ETag header)."""


class UserOut(msgspec.Struct, kw_only=True):
    user_id: str
    email: str
    display_name: str
    role: Role
    customer_id: str | None
    disabled: bool
    created_at: datetime


class MeToken(msgspec.Struct, kw_only=True):
    token_id: str
    name: str | None
    role: Role
    expires_at: datetime | None


class MeOut(msgspec.Struct, kw_only=True):
    user_id: str
    email: str
    display_name: str | None
    role: Role
    """The effective role: a token's role never exceeds its user's."""
    customer: CustomerSummary | None
    auth: ActorKind
    """``api_token`` or ``user`` (a signed-in person)."""
    scopes: list[Scope]
    """What this credential may do; a token's scopes narrow its role."""
    token: MeToken | None
    """The token used, when the call was made with one."""


def customer(c: Customer) -> CustomerOut:
    return CustomerOut(
        customer_id=c.customer_id,
        name=c.name,
        bucket=c.bucket,
        bucket_region=c.bucket_region,
        billing_account=c.billing_account,
        cost_center=c.cost_center,
        max_concurrent_worksets=c.max_concurrent_worksets,
        max_storage_gb=c.max_storage_gb,
        credit_limit=c.credit_limit,
        created_at=c.created_at,
        version=c.version,
    )


def user(u: User) -> UserOut:
    return UserOut(
        user_id=u.user_id,
        email=u.email,
        display_name=u.display_name,
        role=u.role,
        customer_id=u.customer_id,
        disabled=u.disabled,
        created_at=u.created_at,
    )


def me(found: Me) -> MeOut:
    p = found.principal
    token = None
    if p.token_id is not None:
        token = MeToken(
            token_id=p.token_id,
            name=found.token.name if found.token else None,
            role=p.role,
            expires_at=found.token.expires_at if found.token else None,
        )
    c = found.customer
    return MeOut(
        user_id=p.user_id,
        email=p.email,
        display_name=found.user.display_name if found.user else None,
        role=p.role,
        customer=CustomerSummary(customer_id=c.customer_id, name=c.name) if c else None,
        auth=p.kind,
        scopes=sorted(p.scopes),
        token=token,
    )
