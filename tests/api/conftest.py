"""Fixtures of the API tier (see ``api_client``)."""

from api_client import api

__all__ = ["api"]
