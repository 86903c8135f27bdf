"""Dev only: serves the in-memory object store's presigned URLs over real HTTP, so a browser
or ``curl`` can download and upload like against S3. Registered only for the twin."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, put
from litestar.datastructures import State
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from ursa.adapters.memory.objects import InMemoryObjectStore, PresignedReply
from ursa.app.container import Container
from ursa.app.deps import container_of
from ursa.domain.errors import NotFound

PATH = "/_objects/{bucket:str}/{key:path}"


def _store(state: State) -> InMemoryObjectStore:
    store = container_of(state).objects
    if store is None:
        raise NotFound("no in-memory object store")
    return store


def _query(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in request.query_params.items()}


def _etag(reply: PresignedReply) -> dict[str, str]:
    return {"ETag": f'"{reply.etag}"'}


@get(PATH, include_in_schema=False, cache=False)
async def download(
    request: Request[Any, Any, Any], state: State, bucket: FromPath[str], key: FromPath[str]
) -> Response[bytes]:
    reply = _store(state).open_presigned("GET", bucket, key.lstrip("/"), _query(request), None)
    return Response(
        reply.body,
        media_type=reply.content_type or "application/octet-stream",
        headers=_etag(reply),
    )


@put(PATH, include_in_schema=False, status_code=200)
async def upload(
    request: Request[Any, Any, Any], state: State, bucket: FromPath[str], key: FromPath[str]
) -> Response[None]:
    reply = _store(state).open_presigned(
        "PUT",
        bucket,
        key.lstrip("/"),
        _query(request),
        await request.body(),
        content_type=request.headers.get("content-type"),
    )
    return Response(None, headers=_etag(reply))


def dev_object_handlers(container: Container) -> tuple[HTTPRouteHandler, ...]:
    """The routes, only when the container runs on the in-memory object store."""
    if isinstance(container.objects, InMemoryObjectStore):
        return (download, upload)
    return ()
