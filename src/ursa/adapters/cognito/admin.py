"""User administration in a Cognito user pool whose user names are emails."""

from __future__ import annotations

from typing import Any

from ursa.adapters.aws.clients import AwsClients
from ursa.adapters.cognito.errors import cognito_errors
from ursa.domain.identity import (
    CUSTOMER_ID_ATTRIBUTE,
    check_new_user,
    group_for_role,
    normalise_email,
)
from ursa.domain.principals import Role


class CognitoIdentityAdmin:
    """Implements ``IdentityAdmin``. The pool has the ``custom:customer_id`` attribute and the
    groups named in ``ursa.domain.identity``."""

    def __init__(self, clients: AwsClients, *, user_pool_id: str) -> None:
        self._clients = clients
        self._pool = user_pool_id

    async def _cognito(self) -> Any:
        return await self._clients.client("cognito-idp")

    async def create_user(
        self,
        email: str,
        *,
        customer_id: str | None,
        role: Role = Role.CUSTOMER_USER,
        temporary_password: str | None = None,
    ) -> str:
        check_new_user(customer_id, role)
        email = normalise_email(email)
        attributes = [
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ]
        if customer_id:
            attributes.append({"Name": CUSTOMER_ID_ATTRIBUTE, "Value": customer_id})
        request: dict[str, Any] = {
            "UserPoolId": self._pool,
            "Username": email,
            "UserAttributes": attributes,
        }
        if temporary_password is None:
            request["DesiredDeliveryMediums"] = ["EMAIL"]  # Cognito emails an invitation
        else:
            request |= {"TemporaryPassword": temporary_password, "MessageAction": "SUPPRESS"}
        cognito = await self._cognito()
        with cognito_errors("create the user"):
            response = await cognito.admin_create_user(**request)
        user = response["User"]
        subject = next(
            (a["Value"] for a in user.get("Attributes", []) if a["Name"] == "sub"),
            user["Username"],
        )
        await self.grant_role(email, role)
        return str(subject)

    async def set_password(self, email: str, password: str, *, permanent: bool) -> None:
        cognito = await self._cognito()
        with cognito_errors("set the password"):
            await cognito.admin_set_user_password(
                UserPoolId=self._pool,
                Username=normalise_email(email),
                Password=password,
                Permanent=permanent,
            )

    async def grant_role(self, email: str, role: Role) -> None:
        group = group_for_role(role)
        if group is None:
            return
        cognito = await self._cognito()
        with cognito_errors("grant the role"):
            await cognito.admin_add_user_to_group(
                UserPoolId=self._pool, Username=normalise_email(email), GroupName=group
            )

    async def revoke_role(self, email: str, role: Role) -> None:
        group = group_for_role(role)
        if group is None:
            return
        cognito = await self._cognito()
        with cognito_errors("revoke the role"):
            await cognito.admin_remove_user_from_group(
                UserPoolId=self._pool, Username=normalise_email(email), GroupName=group
            )

    async def disable_user(self, email: str) -> None:
        """Signs the user out everywhere (refresh tokens stop working), then disables it."""
        cognito = await self._cognito()
        with cognito_errors("disable the user"):
            await cognito.admin_user_global_sign_out(
                UserPoolId=self._pool, Username=normalise_email(email)
            )
            await cognito.admin_disable_user(UserPoolId=self._pool, Username=normalise_email(email))

    async def enable_user(self, email: str) -> None:
        cognito = await self._cognito()
        with cognito_errors("enable the user"):
            await cognito.admin_enable_user(UserPoolId=self._pool, Username=normalise_email(email))
