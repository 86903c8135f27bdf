"""/api/v1/me, /customers and /users: who is calling, customers (self-view and edits;
provider admins create and set quotas) and user administration. Thin handlers: parse, call
one service, return a Struct; the rules are ``ursa.domain.account_rules``."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import Body, FromPath

from ursa.app.api import accounts_schemas as out
from ursa.app.api.versions import ETAG_HEADER, IfMatch, etag, expected_version
from ursa.domain.principals import Principal
from ursa.domain.services import accounts
from ursa.domain.services.context import Ports

PortsDep = NamedDependency[Ports]
PrincipalDep = NamedDependency[Principal]

CreateCustomerBody = Annotated[
    out.CreateCustomer, Body(title="A new customer", examples=out.CREATE_CUSTOMER_EXAMPLES)
]
EditCustomerBody = Annotated[
    out.EditCustomer, Body(title="Fields to change", examples=out.EDIT_CUSTOMER_EXAMPLES)
]
AddUserBody = Annotated[out.AddUser, Body(title="A user to invite", examples=out.ADD_USER_EXAMPLES)]
SetRoleBody = Annotated[out.SetRole, Body(title="The new role", examples=out.SET_ROLE_EXAMPLES)]
SetPasswordBody = Annotated[
    out.SetPassword, Body(title="A new password", examples=out.SET_PASSWORD_EXAMPLES)
]


class MeController(Controller):
    path = "/me"
    tags = ("accounts",)

    @get("/", operation_id="getMe", summary="Who is calling: user, role, customer, token scopes")
    async def get_me(self, ports: PortsDep, principal: PrincipalDep) -> out.MeOut:
        return out.me(await accounts.me(ports, principal))


class CustomerController(Controller):
    path = "/customers"
    tags = ("accounts",)

    @get("/", operation_id="listCustomers", summary="Customers: all (provider), else your own")
    async def list_customers(
        self, ports: PortsDep, principal: PrincipalDep
    ) -> list[out.CustomerOut]:
        return [out.customer(c) for c in await accounts.list_customers(ports, principal)]

    @post(
        "/",
        operation_id="createCustomer",
        status_code=201,
        summary="Create a customer with its bucket and quotas (provider admins)",
        response_headers=ETAG_HEADER,
    )
    async def create_customer(
        self, ports: PortsDep, principal: PrincipalDep, data: CreateCustomerBody
    ) -> Response[out.CustomerOut]:
        created = await accounts.create_customer(ports, principal, data.domain())
        return Response(out.customer(created), status_code=201, headers=etag(created.version))

    @get(
        "/{customer_id:str}",
        operation_id="getCustomer",
        summary="One customer (yours, or any for provider admins)",
        response_headers=ETAG_HEADER,
    )
    async def get_customer(
        self, ports: PortsDep, principal: PrincipalDep, customer_id: FromPath[str]
    ) -> Response[out.CustomerOut]:
        found = await accounts.get_customer(ports, principal, customer_id)
        return Response(out.customer(found), headers=etag(found.version))

    @patch(
        "/{customer_id:str}",
        operation_id="updateCustomer",
        summary="Edit a customer: name, billing account, cost centre (customer admins); "
        "quotas and credit limit too (provider admins). If-Match",
        response_headers=ETAG_HEADER,
    )
    async def update_customer(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        customer_id: FromPath[str],
        data: EditCustomerBody,
        if_match: IfMatch = None,
    ) -> Response[out.CustomerOut]:
        edited = await accounts.edit_customer(
            ports,
            principal,
            customer_id,
            data.changes(),
            expected_version=expected_version(if_match),
        )
        return Response(out.customer(edited), headers=etag(edited.version))

    @get(
        "/{customer_id:str}/users",
        operation_id="listCustomerUsers",
        summary="The customer's users (customer admins and provider admins)",
    )
    async def list_users(
        self, ports: PortsDep, principal: PrincipalDep, customer_id: FromPath[str]
    ) -> list[out.UserOut]:
        return [out.user(u) for u in await accounts.list_users(ports, principal, customer_id)]

    @post(
        "/{customer_id:str}/users",
        operation_id="addCustomerUser",
        status_code=201,
        summary="Add a user; the identity provider emails an invitation with a temporary password",
    )
    async def add_user(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        customer_id: FromPath[str],
        data: AddUserBody,
    ) -> out.UserOut:
        return out.user(await accounts.add_user(ports, principal, customer_id, data.domain()))


class UserController(Controller):
    path = "/users"
    tags = ("accounts",)

    @post(
        "/{user_id:str}/role",
        operation_id="setUserRole",
        status_code=200,
        summary="Grant (customer_admin) or revoke (customer_user) the customer admin role",
    )
    async def set_role(
        self, ports: PortsDep, principal: PrincipalDep, user_id: FromPath[str], data: SetRoleBody
    ) -> out.UserOut:
        return out.user(await accounts.set_role(ports, principal, user_id, data.role))

    @post(
        "/{user_id:str}/password",
        operation_id="setUserPassword",
        status_code=200,
        summary="Set a user's password, permanent or temporary (changed at the next sign-in)",
    )
    async def set_password(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        user_id: FromPath[str],
        data: SetPasswordBody,
    ) -> out.UserOut:
        changed = await accounts.set_password(
            ports, principal, user_id, data.password, permanent=data.permanent
        )
        return out.user(changed)

    @post(
        "/{user_id:str}/disable",
        operation_id="disableUser",
        status_code=200,
        summary="Disable a user: sign-in, sessions and API tokens stop working",
    )
    async def disable(
        self, ports: PortsDep, principal: PrincipalDep, user_id: FromPath[str]
    ) -> out.UserOut:
        return out.user(await accounts.set_disabled(ports, principal, user_id, True))

    @post(
        "/{user_id:str}/enable",
        operation_id="enableUser",
        status_code=200,
        summary="Enable a disabled user again",
    )
    async def enable(
        self, ports: PortsDep, principal: PrincipalDep, user_id: FromPath[str]
    ) -> out.UserOut:
        return out.user(await accounts.set_disabled(ports, principal, user_id, False))
