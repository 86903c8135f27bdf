"""The contract tier: every port's twin and real adapter pass the same tests."""

from aws_support import aws, aws_clients, moto_endpoint
from store_world import stores

__all__ = ["aws", "aws_clients", "moto_endpoint", "stores"]
