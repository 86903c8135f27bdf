"""aiobotocore clients: timeouts and adaptive retries from settings, one client per
(service, region), all closed by the caller's ``AsyncExitStack``."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session


@dataclass(frozen=True, slots=True, kw_only=True)
class AwsOptions:
    """Everything an adapter needs to reach AWS (or an emulator through ``endpoint_url``)."""

    region: str
    endpoint_url: str | None = None
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 15.0
    max_attempts: int = 5

    def client_config(self, service: str = "") -> AioConfig:
        return AioConfig(
            connect_timeout=self.connect_timeout_s,
            read_timeout=self.read_timeout_s,
            retries={"mode": "adaptive", "max_attempts": self.max_attempts},
            # Presigned S3 URLs must be SigV4: newer buckets refuse the legacy signature.
            signature_version="s3v4" if service == "s3" else None,
        )


class AwsClients:
    """Creates clients lazily and keeps them open until ``stack`` closes.

    A client is bound to the event loop it was created on, so one ``AwsClients`` serves one
    loop (one process's app or engine)."""

    def __init__(
        self, options: AwsOptions, stack: AsyncExitStack, session: AioSession | None = None
    ) -> None:
        self.options = options
        self._stack = stack
        self._session = session or get_session()
        self._clients: dict[tuple[str, str], Any] = {}

    async def client(self, service: str, region: str | None = None) -> Any:
        region = region or self.options.region
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = await self._stack.enter_async_context(
                self._session.create_client(
                    service,
                    region_name=region,
                    endpoint_url=self.options.endpoint_url,
                    config=self.options.client_config(service),
                )
            )
        return self._clients[key]
