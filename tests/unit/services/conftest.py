"""Fixtures of the service tier (see ``service_world``)."""

from service_world import request_for, world

__all__ = ["request_for", "world"]
