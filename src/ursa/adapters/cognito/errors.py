"""Cognito SDK errors → domain errors. Sign-in paths never reveal whether a user exists."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from ursa.adapters.aws.errors import error_code, translate
from ursa.domain.errors import Conflict, InvalidInput, NotFound, Unauthenticated, Unavailable

_BUSY = frozenset({"TooManyRequestsException", "LimitExceededException"})


def translate_cognito(exc: ClientError, what: str, *, signing_in: bool) -> Exception:
    """The domain error for one Cognito failure while doing ``what``."""
    code = error_code(exc)
    if code == "NotAuthorizedException":
        return Unauthenticated(f"{what}: not authorized")
    if code == "UserNotFoundException":
        if signing_in:
            return Unauthenticated(f"{what}: not authorized")
        return NotFound(f"{what}: no such user")
    if code == "UserNotConfirmedException":
        return Unauthenticated(f"{what}: the user is not confirmed", code="USER_NOT_CONFIRMED")
    if code == "PasswordResetRequiredException":
        return Unauthenticated(
            f"{what}: the password must be reset first", code="PASSWORD_RESET_REQUIRED"
        )
    if code in ("UsernameExistsException", "AliasExistsException"):
        return Conflict(f"{what}: the user already exists")
    if code == "InvalidPasswordException":
        return InvalidInput.single(
            "password", "WEAK_PASSWORD", "the password does not meet the password policy"
        )
    if code in ("CodeMismatchException", "ExpiredCodeException"):
        return InvalidInput.single("code", "INVALID_CODE", "the code is wrong or has expired")
    if code == "TooManyFailedAttemptsException":
        return Unauthenticated(f"{what}: too many failed attempts", code="TOO_MANY_ATTEMPTS")
    if code in _BUSY:
        return Unavailable(f"{what}: too many requests, try again later")
    return translate(exc, what)


@contextmanager
def cognito_errors(what: str, *, signing_in: bool = False) -> Iterator[None]:
    """``with cognito_errors("sign in", signing_in=True):`` maps SDK errors at the boundary."""
    try:
        yield
    except ClientError as exc:
        raise translate_cognito(exc, what, signing_in=signing_in) from exc
    except ParamValidationError as exc:
        raise InvalidInput(f"{what}: the request was rejected", code="INVALID_REQUEST") from exc
    except BotoCoreError as exc:
        raise translate(exc, what) from exc
