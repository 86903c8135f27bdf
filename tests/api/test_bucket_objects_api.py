"""/api/v1/buckets/{id}/objects, uploads, multipart and download through the real app; the
presigned URLs are then used against the in-memory twin's ``/_objects`` route."""

from __future__ import annotations

import asyncio
import hashlib
from urllib.parse import urlsplit

from bucket_world import ACME, ADA, GIL, SAM, SEEDED, objects, ready_bucket, seeded_id

from api_client import Api
from ursa.domain.ports.objects import MIN_PART_SIZE


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _restricted(api: Api, *, read_only: bool = False) -> str:
    """A second Acme link restricted to ``runs/``."""
    ready_bucket(api, "acme-runs", ACME, "runs/")
    body = {"bucket": "acme-runs", "display_name": "Runs", "prefix": "runs/"}
    created = api.client.post(
        "/api/v1/buckets", json={**body, "read_only": read_only}, headers=api.auth(ADA)
    )
    assert created.status_code == 201, created.text
    bucket_id: str = created.json()["bucket_id"]
    return bucket_id


def test_browse_pages_through_the_prefix(api: Api) -> None:
    bucket_id = _restricted(api)
    for name in ("a", "b", "c", "d", "e"):
        objects(api).seed_object("acme-runs", f"runs/{name}.fastq.gz", 10)
    objects(api).seed_object("acme-runs", "private/secret.txt", 10)
    url = f"/api/v1/buckets/{bucket_id}/objects"
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = api.client.get(url, params=params, headers=api.auth(SAM))
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["prefix"] == "runs/" and len(body["items"]) <= 2
        seen += [item["key"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert [k for k in seen if "challenge" not in k] == [f"runs/{n}.fastq.gz" for n in "abcde"]
    narrow = api.client.get(url, params={"prefix": "runs/c"}, headers=api.auth(SAM)).json()
    assert [i["key"] for i in narrow["items"]] == ["runs/c.fastq.gz"]
    outside = api.client.get(url, params={"prefix": "private/"}, headers=api.auth(SAM))
    assert outside.status_code == 422 and outside.json()["errors"][0]["code"] == "OUTSIDE_PREFIX"
    forged = api.client.get(url, params={"cursor": "forged"}, headers=api.auth(SAM))
    assert forged.status_code == 422
    assert api.client.get(url, params={"limit": "0"}, headers=api.auth(SAM)).status_code == 422


def test_lost_access_is_a_conflict_not_a_403(api: Api) -> None:
    objects(api).deny(SEEDED, "list", "read")
    base = f"/api/v1/buckets/{seeded_id(api)}"
    response = api.client.get(f"{base}/objects", headers=api.auth(SAM))
    assert response.status_code == 409 and response.json()["code"] == "BUCKET_ACCESS_LOST"
    download = api.client.get(f"{base}/download", params={"key": "x"}, headers=api.auth(SAM))
    assert download.status_code == 409 and download.json()["code"] == "BUCKET_ACCESS_LOST"


def test_upload_then_download_with_presigned_urls(api: Api) -> None:
    base = f"/api/v1/buckets/{seeded_id(api)}"
    signed = api.client.post(
        f"{base}/uploads",
        json={"key": "runs/S1_R1.fastq.gz", "content_type": "application/gzip"},
        headers=api.auth(SAM),
    )
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert body["method"] == "PUT" and body["headers"] == {"Content-Type": "application/gzip"}
    put = api.client.put(_path(body["url"]), content=b"@r1\nACGT\n", headers=body["headers"])
    assert put.status_code == 200
    download = api.client.get(
        f"{base}/download", params={"key": "runs/S1_R1.fastq.gz"}, headers=api.auth(SAM)
    )
    assert download.status_code == 200 and download.json()["size"] == 9
    assert api.client.get(_path(download.json()["url"])).content == b"@r1\nACGT\n"
    missing = api.client.get(f"{base}/download", params={"key": "nope"}, headers=api.auth(SAM))
    assert missing.status_code == 404
    unsafe = api.client.post(f"{base}/uploads", json={"key": "../x"}, headers=api.auth(SAM))
    assert unsafe.status_code == 422


def test_uploads_respect_the_prefix_and_read_only(api: Api) -> None:
    bucket_id = _restricted(api)
    outside = api.client.post(
        f"/api/v1/buckets/{bucket_id}/uploads", json={"key": "private/x"}, headers=api.auth(SAM)
    )
    assert outside.status_code == 422 and outside.json()["errors"][0]["code"] == "OUTSIDE_PREFIX"
    download = api.client.get(
        f"/api/v1/buckets/{bucket_id}/download", params={"key": "private/x"}, headers=api.auth(SAM)
    )
    assert download.status_code == 422
    read_only = api.client.patch(
        f"/api/v1/buckets/{bucket_id}", json={"read_only": True}, headers=api.auth(ADA)
    )
    assert read_only.status_code == 200
    for path, body in (
        ("uploads", {"key": "runs/x"}),
        ("multipart", {"key": "runs/x", "parts": 2}),
        ("multipart/abort", {"key": "runs/x", "upload_id": "u"}),
    ):
        refused = api.client.post(
            f"/api/v1/buckets/{bucket_id}/{path}", json=body, headers=api.auth(ADA)
        )
        assert refused.status_code == 403 and refused.json()["code"] == "READ_ONLY_LINK", path


def test_multipart_upload_complete_and_abort(api: Api) -> None:
    base = f"/api/v1/buckets/{seeded_id(api)}"
    started = api.client.post(
        f"{base}/multipart", json={"key": "runs/big.fastq.gz", "parts": 2}, headers=api.auth(SAM)
    )
    assert started.status_code == 201, started.text
    upload = started.json()
    assert [p["part_number"] for p in upload["parts"]] == [1, 2]
    chunks = [b"A" * MIN_PART_SIZE, b"tail"]
    etags = []
    for part, chunk in zip(upload["parts"], chunks, strict=True):
        put = api.client.put(_path(part["url"]), content=chunk)
        assert put.status_code == 200
        etags.append(put.headers["etag"])
    done = api.client.post(
        f"{base}/multipart/complete",
        json={
            "key": "runs/big.fastq.gz",
            "upload_id": upload["upload_id"],
            "parts": [{"part_number": n, "etag": e} for n, e in ((2, etags[1]), (1, etags[0]))],
        },
        headers=api.auth(SAM),
    )
    assert done.status_code == 200, done.text
    assert done.json()["size"] == MIN_PART_SIZE + 4 and done.json()["etag"].endswith("-2")
    stored = asyncio.run(objects(api).get(SEEDED, "runs/big.fastq.gz"))
    assert hashlib.sha256(stored).digest() == hashlib.sha256(b"".join(chunks)).digest()

    other = api.client.post(
        f"{base}/multipart", json={"key": "runs/gone.bam", "parts": 1}, headers=api.auth(SAM)
    ).json()
    abort = {"key": "runs/gone.bam", "upload_id": other["upload_id"]}
    assert (
        api.client.post(f"{base}/multipart/abort", json=abort, headers=api.auth(SAM)).status_code
        == 204
    )
    again = api.client.post(
        f"{base}/multipart/complete",
        json={**abort, "parts": [{"part_number": 1, "etag": "x"}]},
        headers=api.auth(SAM),
    )
    assert again.status_code == 404
    too_many = api.client.post(
        f"{base}/multipart", json={"key": "runs/x", "parts": 1001}, headers=api.auth(SAM)
    )
    assert too_many.status_code == 422


def test_other_tenants_cannot_transfer(api: Api) -> None:
    base = f"/api/v1/buckets/{seeded_id(api)}"
    upload = api.client.post(f"{base}/uploads", json={"key": "x"}, headers=api.auth(GIL))
    assert upload.status_code == 404
