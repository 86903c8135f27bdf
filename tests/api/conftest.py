"""Fixtures of the API tier (see ``api_client`` and ``aws_support``)."""

from api_client import api
from aws_support import moto_endpoint

__all__ = ["api", "moto_endpoint"]
