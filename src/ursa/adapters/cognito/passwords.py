"""Password sign-in against a Cognito app client without a secret (USER_PASSWORD_AUTH)."""

from __future__ import annotations

from typing import Any

from ursa.adapters.aws.clients import AwsClients
from ursa.adapters.cognito.errors import cognito_errors
from ursa.domain.errors import InvalidInput, NotFound, Unauthenticated
from ursa.domain.identity import normalise_email
from ursa.domain.ports.identity import NewPasswordRequired, SignInResult, Tokens

NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"  # noqa: S105  (a challenge name)
_SESSION_CHARS = (20, 2048)  # Cognito's bounds; anything else cannot be a live session


def _tokens(result: dict[str, Any], refresh_token: str | None = None) -> Tokens:
    return Tokens(
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
        refresh_token=result.get("RefreshToken") or refresh_token or "",
        expires_in_s=int(result.get("ExpiresIn", 3600)),
    )


def _unsupported(challenge: object) -> Unauthenticated:
    return Unauthenticated(
        f"sign-in needs a step this service does not support ({challenge})",
        code="UNSUPPORTED_CHALLENGE",
    )


class CognitoPasswordAuth:
    """Implements ``PasswordAuth``. The app client must allow ALLOW_USER_PASSWORD_AUTH and
    ALLOW_REFRESH_TOKEN_AUTH and have no secret."""

    def __init__(self, clients: AwsClients, *, client_id: str) -> None:
        self._clients = clients
        self._client_id = client_id

    async def _cognito(self) -> Any:
        return await self._clients.client("cognito-idp")

    async def sign_in(self, email: str, password: str) -> SignInResult:
        cognito = await self._cognito()
        with cognito_errors("sign in", signing_in=True):
            response = await cognito.initiate_auth(
                ClientId=self._client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": normalise_email(email), "PASSWORD": password},
            )
        if "AuthenticationResult" in response:
            return _tokens(response["AuthenticationResult"])
        challenge = response.get("ChallengeName")
        if challenge == NEW_PASSWORD_REQUIRED:
            return NewPasswordRequired(session=response["Session"], email=normalise_email(email))
        raise _unsupported(challenge)

    async def respond_new_password(self, email: str, session: str, new_password: str) -> Tokens:
        if not _SESSION_CHARS[0] <= len(session) <= _SESSION_CHARS[1]:
            raise Unauthenticated("the sign-in session has expired, sign in again")
        cognito = await self._cognito()
        try:
            with cognito_errors("set a new password", signing_in=True):
                response = await cognito.respond_to_auth_challenge(
                    ClientId=self._client_id,
                    ChallengeName=NEW_PASSWORD_REQUIRED,
                    Session=session,
                    ChallengeResponses={
                        "USERNAME": normalise_email(email),
                        "NEW_PASSWORD": new_password,
                    },
                )
        except NotFound:  # an unknown session (moto answers ResourceNotFoundException)
            raise Unauthenticated("the sign-in session has expired, sign in again") from None
        if "AuthenticationResult" not in response:
            raise _unsupported(response.get("ChallengeName"))
        return _tokens(response["AuthenticationResult"])

    async def refresh(self, refresh_token: str) -> Tokens:
        cognito = await self._cognito()
        with cognito_errors("refresh the session", signing_in=True):
            response = await cognito.initiate_auth(
                ClientId=self._client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": refresh_token},
            )
        if "AuthenticationResult" not in response:
            raise _unsupported(response.get("ChallengeName"))
        return _tokens(response["AuthenticationResult"], refresh_token)

    async def forgot_password(self, email: str) -> None:
        cognito = await self._cognito()
        try:
            with cognito_errors("start a password reset"):
                await cognito.forgot_password(
                    ClientId=self._client_id, Username=normalise_email(email)
                )
        except NotFound:  # never reveal whether the account exists
            return

    async def confirm_forgot_password(self, email: str, code: str, new_password: str) -> None:
        cognito = await self._cognito()
        try:
            with cognito_errors("reset the password"):
                await cognito.confirm_forgot_password(
                    ClientId=self._client_id,
                    Username=normalise_email(email),
                    ConfirmationCode=code,
                    Password=new_password,
                )
        except NotFound:  # an unknown user looks like a wrong code
            raise InvalidInput.single(
                "code", "INVALID_CODE", "the code is wrong or has expired"
            ) from None

    async def change_password(
        self, access_token: str, old_password: str, new_password: str
    ) -> None:
        cognito = await self._cognito()
        with cognito_errors("change the password", signing_in=True):
            await cognito.change_password(
                AccessToken=access_token,
                PreviousPassword=old_password,
                ProposedPassword=new_password,
            )
