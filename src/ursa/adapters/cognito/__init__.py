"""Cognito adapters: token verification over the pool's JWKS, password sign-in and user
administration over aiobotocore."""

from ursa.adapters.cognito.admin import CognitoIdentityAdmin
from ursa.adapters.cognito.jwks import JwksKeySource
from ursa.adapters.cognito.passwords import CognitoPasswordAuth
from ursa.adapters.cognito.profiles import CognitoProfiles
from ursa.adapters.cognito.verifier import CognitoTokenVerifier, Profile, ProfileSource, SigningKeys

__all__ = [
    "CognitoIdentityAdmin",
    "CognitoPasswordAuth",
    "CognitoProfiles",
    "CognitoTokenVerifier",
    "JwksKeySource",
    "Profile",
    "ProfileSource",
    "SigningKeys",
]
