"""A thin counting layer around the DynamoDB client: tests and benchmarks read it to prove
that a request path issues the operations the table design promises (and never a Scan)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CallLog:
    """Operation counts (boto3 method names) and the items those operations read."""

    ops: Counter[str] = field(default_factory=Counter)
    scanned: int = 0

    def reset(self) -> None:
        self.ops.clear()
        self.scanned = 0

    def record(self, op: str, response: Any) -> None:
        self.ops[op] += 1
        if isinstance(response, dict):
            self.scanned += int(response.get("ScannedCount", 0))


class CountingClient:
    """Delegates every method to the wrapped aiobotocore client and records the call."""

    def __init__(self, client: Any, log: CallLog | None = None) -> None:
        self._client = client
        self.log = log or CallLog()
        self.exceptions = client.exceptions

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self._client, name)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            response = await method(*args, **kwargs)
            self.log.record(name, response)
            return response

        return counted
