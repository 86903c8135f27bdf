"""The dev-only ``/_objects`` route: the in-memory twin's presigned URLs over the real app."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace
from urllib.parse import urlsplit

from litestar.testing import TestClient

from api_client import Api
from ursa.app.container import build_in_memory
from ursa.app.factory import create_app
from ursa.app.settings import Environment, Settings

BUCKET = "dev-objects"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_presigned_urls_point_at_the_dev_server() -> None:
    container = build_in_memory(Settings(env=Environment.TEST, host="127.0.0.1", port=9001))
    assert container.objects is not None
    container.objects.create_bucket(BUCKET)
    url = asyncio.run(container.objects.presign_get(BUCKET, "k"))
    assert url.startswith(f"http://127.0.0.1:9001/_objects/{BUCKET}/k?")


def test_upload_then_download_through_presigned_urls(api: Api) -> None:
    store = api.container.objects
    assert store is not None
    store.create_bucket(BUCKET)
    put_url = asyncio.run(store.presign_put(BUCKET, "in/a b.txt", content_type="text/plain"))
    response = api.client.put(
        _path(put_url), content=b"hello", headers={"Content-Type": "text/plain"}
    )
    etag = hashlib.md5(b"hello", usedforsecurity=False).hexdigest()
    assert response.status_code == 200 and response.headers["etag"] == f'"{etag}"'

    get_url = asyncio.run(store.presign_get(BUCKET, "in/a b.txt"))
    response = api.client.get(_path(get_url))
    assert response.status_code == 200 and response.content == b"hello"
    assert response.headers["content-type"].startswith("text/plain")


def test_bad_signatures_and_missing_objects(api: Api) -> None:
    store = api.container.objects
    assert store is not None
    store.create_bucket(BUCKET)
    url = asyncio.run(store.presign_get(BUCKET, "missing"))
    assert api.client.get(_path(url)).status_code == 404
    assert api.client.get(_path(url)[:-4] + "0000").status_code == 403
    assert api.client.put(_path(url), content=b"x").status_code == 403  # signed for GET


def test_unsigned_requests_are_refused(api: Api) -> None:
    assert api.client.get(f"/_objects/{BUCKET}/k").status_code == 403


def test_route_is_absent_without_the_twin() -> None:
    container = replace(build_in_memory(Settings(env=Environment.TEST)), objects=None)
    with TestClient(create_app(container)) as client:
        assert client.get(f"/_objects/{BUCKET}/k").status_code == 404
