"""The profile behind a Cognito access token (which carries no email or custom attributes).

``GetUser`` with the token itself: no admin rights needed, and Cognito refuses a revoked token
or a disabled user. Results are cached per subject for ``ttl_s`` so a busy user costs one call
per TTL, not one per request.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ursa.adapters.aws.clients import AwsClients
from ursa.adapters.cognito.errors import cognito_errors
from ursa.adapters.cognito.verifier import Profile
from ursa.domain.errors import Unauthenticated
from ursa.domain.identity import CUSTOMER_ID_ATTRIBUTE
from ursa.domain.ports.system import Clock


class CognitoProfiles:
    """Implements ``ProfileSource`` for ``CognitoTokenVerifier``."""

    def __init__(
        self, clients: AwsClients, *, clock: Clock, ttl_s: float = 300.0, max_entries: int = 10_000
    ) -> None:
        self._clients = clients
        self._clock = clock
        self._ttl = timedelta(seconds=ttl_s)
        self._max_entries = max_entries
        self._cache: dict[str, tuple[datetime, Profile]] = {}

    async def profile(self, *, subject: str, access_token: str) -> Profile:
        now = self._clock.now()
        hit = self._cache.get(subject)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        cognito = await self._clients.client("cognito-idp")
        with cognito_errors("look up the signed-in user", signing_in=True):
            response = await cognito.get_user(AccessToken=access_token)
        attributes = {a["Name"]: a["Value"] for a in response.get("UserAttributes", [])}
        if attributes.get("sub", subject) != subject:
            raise Unauthenticated("invalid token: subject mismatch")
        profile = Profile(
            email=str(attributes.get("email", "")),
            customer_id=attributes.get(CUSTOMER_ID_ATTRIBUTE) or None,
        )
        if len(self._cache) >= self._max_entries:
            self._cache.pop(next(iter(self._cache)))
        self._cache[subject] = (now, profile)
        return profile
