"""ObjectStore contract: the in-memory twin and S3ObjectStore (on the moto server) pass the same
tests, presigned URLs included (fetched over real HTTP), plus the sentinel and bucket
validation services over both."""

from __future__ import annotations

import functools
import hashlib
import threading
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

import anyio
import pytest

from builders import make_workset
from ursa.adapters.aws.clients import AwsClients
from ursa.adapters.memory.objects import InMemoryObjectStore
from ursa.adapters.memory.system import FixedClock
from ursa.adapters.s3 import S3ObjectStore
from ursa.domain.buckets import Probe
from ursa.domain.enums import WorksetState
from ursa.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, UrsaError
from ursa.domain.ports import ObjectStore
from ursa.domain.ports.objects import MIN_PART_SIZE
from ursa.domain.reconcile import ReconcileAction
from ursa.domain.sentinels import Sentinel, SentinelView, sentinel_key
from ursa.domain.services.bucket_validation import validate_bucket
from ursa.domain.services.lifecycle import purge_folder
from ursa.domain.services.sentinels import (
    mirror_sentinels,
    read_sentinels,
    reconcile_folder,
    sentinel_view,
)

pytestmark = pytest.mark.anyio

BUCKET = "ursa-contract"
WEST = "ursa-contract-west"
NOW = datetime(2026, 11, 23, 10, 15, tzinfo=UTC)


# -- the twin's presigned URLs, served over real HTTP ------------------------------------------


class _TwinHandler(BaseHTTPRequestHandler):
    server: _TwinServer

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        bucket, _, key = url.path.lstrip("/").partition("/")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if method == "PUT" else None
        status, payload, etag = 200, b"", ""
        try:
            reply = self.server.store.open_presigned(
                method,
                bucket,
                unquote(key),
                dict(parse_qsl(url.query)),
                body,
                content_type=self.headers.get("Content-Type"),
            )
            payload, etag = reply.body, reply.etag
        except UrsaError as exc:
            status = {Forbidden: 403, NotFound: 404}.get(type(exc), 400)
            payload = exc.message.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        if etag:
            self.send_header("ETag", f'"{etag}"')
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def log_message(self, format: str, *args: object) -> None:
        pass


class _TwinServer(ThreadingHTTPServer):
    store: InMemoryObjectStore


@pytest.fixture(scope="module")
def twin_server() -> Iterator[_TwinServer]:
    server = _TwinServer(("127.0.0.1", 0), _TwinHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- the two worlds ----------------------------------------------------------------------------


@dataclass
class World:
    kind: str
    store: ObjectStore
    clients: AwsClients
    twin: InMemoryObjectStore | None = None

    async def bucket(self, name: str, region: str = "us-east-1") -> None:
        if self.twin is not None:
            self.twin.create_bucket(name, region)
            return
        client = await self.clients.client("s3", region)
        config = {} if region == "us-east-1" else {"LocationConstraint": region}
        await client.create_bucket(
            Bucket=name, **({"CreateBucketConfiguration": config} if config else {})
        )


@dataclass
class Twin:
    store: InMemoryObjectStore
    clock: FixedClock


@pytest.fixture
def twin(twin_server: _TwinServer) -> Twin:
    """A fresh twin whose presigned URLs point at the module's HTTP server."""
    host, port = twin_server.server_address[:2]
    clock = FixedClock(datetime.now(UTC))
    store = InMemoryObjectStore(
        region="us-east-1", presign_base_url=f"http://{host!s}:{port}", clock=clock
    )
    twin_server.store = store
    return Twin(store, clock)


@pytest.fixture(params=["memory", "s3"])
async def world(request: pytest.FixtureRequest, aws_clients: AwsClients, twin: Twin) -> World:
    if request.param == "memory":
        world = World("memory", twin.store, aws_clients, twin=twin.store)
    else:
        world = World("s3", S3ObjectStore(aws_clients), aws_clients)
    await world.bucket(BUCKET)
    return world


def _http(
    method: str, url: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int, bytes, str]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), response.headers.get("ETag", "")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(), ""


async def http(
    method: str, url: str, body: bytes | None = None, content_type: str = "application/octet-stream"
) -> tuple[int, bytes, str]:
    """A real HTTP request off the event loop (moto and the twin server run on threads)."""
    call = functools.partial(_http, method, url, body, {"Content-Type": content_type})
    return await anyio.to_thread.run_sync(call)


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


# -- the port ----------------------------------------------------------------------------------


async def test_put_get_head_delete(world: World) -> None:
    store = world.store
    facts = await store.put(BUCKET, "a/b.txt", b"hello", metadata={"Ursa-Writer": "mirror"})
    assert (facts.size, facts.etag, facts.region) == (5, md5(b"hello"), "us-east-1")
    assert await store.get(BUCKET, "a/b.txt") == b"hello"
    head = await store.head(BUCKET, "a/b.txt")
    assert head is not None and head.size == 5 and head.etag == md5(b"hello")
    assert dict(head.metadata) == {"ursa-writer": "mirror"}
    await store.delete(BUCKET, "a/b.txt")
    assert await store.head(BUCKET, "a/b.txt") is None
    await store.delete(BUCKET, "a/b.txt")  # idempotent
    with pytest.raises(NotFound):
        await store.get(BUCKET, "a/b.txt")


async def test_create_only_put_conflicts_and_keeps_the_original(world: World) -> None:
    await world.store.put(BUCKET, "marker", b"first", if_none_match=True)
    with pytest.raises(Conflict):
        await world.store.put(BUCKET, "marker", b"second", if_none_match=True)
    assert await world.store.get(BUCKET, "marker") == b"first"


async def test_capped_get_stops_at_max_bytes(world: World) -> None:
    body = bytes(range(256)) * 1024  # 256 KiB, more than one stream chunk
    await world.store.put(BUCKET, "big.bin", body)
    assert await world.store.get(BUCKET, "big.bin", max_bytes=10) == body[:10]
    assert await world.store.get(BUCKET, "big.bin", max_bytes=100_000) == body[:100_000]
    assert await world.store.get(BUCKET, "big.bin", max_bytes=0) == b""
    assert await world.store.get(BUCKET, "big.bin", max_bytes=10**9) == body


async def test_listing_pages_with_signed_cursors(world: World) -> None:
    keys = [f"p/{i:02d}" for i in range(7)]
    for key in [*keys, "q/other", "pz"]:
        await world.store.put(BUCKET, key, key.encode())
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await world.store.list(BUCKET, "p/", limit=3, cursor=cursor)
        pages += 1
        seen += [f.key for f in page.items]
        assert all(f.size == 4 and not f.metadata for f in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert (seen, pages) == (keys, 3)
    first = await world.store.list(BUCKET, "p/", limit=3)
    assert first.next_cursor is not None
    tampered = first.next_cursor[:-2] + ("AA" if not first.next_cursor.endswith("AA") else "BB")
    with pytest.raises(InvalidInput):
        await world.store.list(BUCKET, "p/", limit=3, cursor=tampered)
    with pytest.raises(InvalidInput):  # a cursor is bound to its bucket and prefix
        await world.store.list(BUCKET, "q/", limit=3, cursor=first.next_cursor)
    with pytest.raises(InvalidInput):
        await world.store.list(BUCKET, "p/", limit=0)


async def test_presigned_get_is_fetchable_over_http(world: World) -> None:
    await world.store.put(BUCKET, "results/report.html", b"<h1>done</h1>")
    url = await world.store.presign_get(BUCKET, "results/report.html", expires_s=300)
    assert await http("GET", url) == (200, b"<h1>done</h1>", f'"{md5(b"<h1>done</h1>")}"')
    missing = await world.store.presign_get(BUCKET, "results/missing.html")
    assert (await http("GET", missing))[0] == 404
    with pytest.raises(InvalidInput):
        await world.store.presign_get(BUCKET, "x", expires_s=0)


async def test_presigned_put_uploads_over_http(world: World) -> None:
    url = await world.store.presign_put(BUCKET, "in/sheet.tsv", content_type="text/plain")
    sheet = b"a\tb\n"
    status, _, etag = await http("PUT", url, sheet, content_type="text/plain")
    assert (status, etag) == (200, f'"{md5(sheet)}"')
    assert await world.store.get(BUCKET, "in/sheet.tsv") == sheet


async def test_multipart_upload_through_presigned_part_urls(world: World) -> None:
    parts = [b"A" * MIN_PART_SIZE, b"B" * MIN_PART_SIZE, b"tail"]
    upload_id = await world.store.create_multipart(BUCKET, "fastq/S1_R1.fastq.gz")
    etags: list[tuple[int, str]] = []
    for number, data in enumerate(parts, start=1):
        url = await world.store.presign_part(BUCKET, "fastq/S1_R1.fastq.gz", upload_id, number)
        status, _, etag = await http("PUT", url, data)
        assert (status, etag.strip('"')) == (200, md5(data))
        etags.append((number, etag))
    facts = await world.store.complete_multipart(
        BUCKET, "fastq/S1_R1.fastq.gz", upload_id, list(reversed(etags))
    )
    joined = b"".join(hashlib.md5(p, usedforsecurity=False).digest() for p in parts)
    assert facts.size == sum(map(len, parts)) and facts.etag == f"{md5(joined)}-3"
    assert await world.store.get(BUCKET, "fastq/S1_R1.fastq.gz") == b"".join(parts)
    with pytest.raises(NotFound):  # the upload is finished
        await world.store.abort_multipart(BUCKET, "fastq/S1_R1.fastq.gz", upload_id)


async def test_multipart_rejects_small_parts_and_wrong_etags(world: World) -> None:
    upload_id = await world.store.create_multipart(BUCKET, "small")
    etags = []
    for number in (1, 2):
        url = await world.store.presign_part(BUCKET, "small", upload_id, number)
        etags.append((number, (await http("PUT", url, b"tiny"))[2]))
    with pytest.raises(InvalidInput):
        await world.store.complete_multipart(BUCKET, "small", upload_id, etags)
    with pytest.raises(InvalidInput):
        await world.store.complete_multipart(BUCKET, "small", upload_id, [(1, md5(b"other"))])
    await world.store.abort_multipart(BUCKET, "small", upload_id)


async def test_abort_discards_the_upload(world: World) -> None:
    upload_id = await world.store.create_multipart(BUCKET, "aborted")
    url = await world.store.presign_part(BUCKET, "aborted", upload_id, 1)
    assert (await http("PUT", url, b"data"))[0] == 200
    await world.store.abort_multipart(BUCKET, "aborted", upload_id)
    assert await world.store.head(BUCKET, "aborted") is None
    with pytest.raises(NotFound):
        await world.store.abort_multipart(BUCKET, "aborted", upload_id)


async def test_bucket_regions_are_discovered(world: World) -> None:
    await world.bucket(WEST, "us-west-2")
    assert await world.store.bucket_region(BUCKET) == "us-east-1"
    assert await world.store.bucket_region(WEST) == "us-west-2"
    facts = await world.store.put(WEST, "k", b"west")
    assert facts.region == "us-west-2"
    assert await world.store.get(WEST, "k") == b"west"
    url = await world.store.presign_get(WEST, "k")
    assert (await http("GET", url))[:2] == (200, b"west")
    with pytest.raises(NotFound):
        await world.store.bucket_region("ursa-no-such-bucket")


async def test_missing_bucket_is_not_found_everywhere(world: World) -> None:
    store, missing = world.store, "ursa-no-such-bucket"
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: store.get(missing, "k"),
        lambda: store.head(missing, "k"),
        lambda: store.put(missing, "k", b"x"),
        lambda: store.delete(missing, "k"),
        lambda: store.list(missing, ""),
        lambda: store.create_multipart(missing, "k"),
        lambda: store.presign_get(missing, "k"),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            await call()
    assert await world.store.head(BUCKET, "no/such/key") is None


# -- twin-only: what moto does not check (it verifies neither presigned signatures nor expiry)


async def test_twin_refuses_expired_tampered_and_misused_urls(twin: Twin) -> None:
    twin.store.create_bucket(BUCKET)
    await twin.store.put(BUCKET, "k", b"v")
    url = await twin.store.presign_get(BUCKET, "k", expires_s=60)
    assert (await http("PUT", url, b"overwrite"))[0] == 403  # signed for GET only
    assert (await http("GET", url.replace("/k?", "/other?")))[0] == 403
    assert (await http("GET", url[:-4] + "0000"))[0] == 403
    put_url = await twin.store.presign_put(BUCKET, "typed", content_type="text/csv")
    assert (await http("PUT", put_url, b"x", content_type="text/plain"))[0] == 403
    assert (await http("GET", url))[:2] == (200, b"v")
    twin.clock.advance(61)
    assert (await http("GET", url))[0] == 403
    with pytest.raises(Forbidden):
        twin.store.open_presigned("GET", BUCKET, "k", dict(parse_qsl(urlsplit(url).query)), None)


# -- sentinels through the services --------------------------------------------------------------


async def test_mirror_writes_the_desired_set_and_is_idempotent(world: World) -> None:
    ws = make_workset(bucket=BUCKET, version=4)
    first = await mirror_sentinels(world.store, BUCKET, ws.prefix, ws, NOW)
    assert first.put == {Sentinel.READY} and not first.deleted
    assert not (await mirror_sentinels(world.store, BUCKET, ws.prefix, ws, NOW)).changed
    body = await world.store.get(BUCKET, sentinel_key(ws.prefix, Sentinel.READY))
    assert body == b"2026-11-23T10:15:00.000000Z\tursa:acme-trio-7c1e2a9b:v4"
    head = await world.store.head(BUCKET, sentinel_key(ws.prefix, Sentinel.READY))
    assert head is not None and dict(head.metadata) == {
        "ursa-writer": "mirror",
        "ursa-version": "4",
    }

    running = replace(ws, state=WorksetState.IN_PROGRESS, current_run_id="r-1", lease_owner="w1")
    moved = await mirror_sentinels(world.store, BUCKET, ws.prefix, running, NOW, "w1")
    assert moved.put == {Sentinel.LOCK, Sentinel.IN_PROGRESS} and moved.deleted == {Sentinel.READY}
    assert await sentinel_view(world.store, BUCKET, ws.prefix) is SentinelView.IN_PROGRESS


async def test_only_exact_top_level_sentinel_keys_count(world: World) -> None:
    prefix = "worksets/ws-1/"
    for key in ("daylily.complete", "daylily.ready", "daylily.readyx", "results/daylily.error"):
        await world.store.put(BUCKET, prefix + key, b"")
    await world.store.put(BUCKET, "worksets/ws-10/daylily.ignore", b"")
    found = await read_sentinels(world.store, BUCKET, prefix)
    assert set(found) == {Sentinel.COMPLETE, Sentinel.READY}
    assert await sentinel_view(world.store, BUCKET, prefix) is SentinelView.COMPLETE


async def test_reconcile_decides_and_repairs(world: World) -> None:
    ws = make_workset(bucket=BUCKET)
    await world.store.put(BUCKET, f"{ws.prefix}stage_samples.tsv", b"x")
    drift = await reconcile_folder(world.store, BUCKET, ws.prefix, ws, NOW)
    assert drift.decision.action is ReconcileAction.REPAIR and drift.repair.put == {Sentinel.READY}
    again = await reconcile_folder(world.store, BUCKET, ws.prefix, ws, NOW)
    assert again.decision.action is ReconcileAction.IN_SYNC and not again.repair.changed

    await world.store.put(BUCKET, sentinel_key(ws.prefix, Sentinel.IGNORE), b"stop please")
    ignore = await reconcile_folder(world.store, BUCKET, ws.prefix, ws, NOW)
    assert ignore.decision.action is ReconcileAction.APPLY_IGNORE and not ignore.repair.changed
    await world.store.delete(BUCKET, sentinel_key(ws.prefix, Sentinel.IGNORE))

    await world.store.put(BUCKET, sentinel_key(ws.prefix, Sentinel.COMPLETE), b"legacy")
    alarm = await reconcile_folder(world.store, BUCKET, ws.prefix, ws, NOW)
    assert alarm.decision.action is ReconcileAction.ALARM_FOREIGN_WRITER
    assert alarm.repair.deleted == {Sentinel.COMPLETE}
    assert set(await read_sentinels(world.store, BUCKET, ws.prefix)) == {Sentinel.READY}

    gone = make_workset(bucket=BUCKET, workset_id="gone-1", prefix="worksets/gone-1/")
    missing = await reconcile_folder(world.store, BUCKET, gone.prefix, gone, NOW)
    assert missing.decision.action is ReconcileAction.ALARM_FOLDER_MISSING

    await world.store.put(BUCKET, "worksets/lost-1/daylily_info.yaml", b"info")
    await world.store.put(BUCKET, "worksets/lost-1/daylily.lock", b"")
    lost = await reconcile_folder(world.store, BUCKET, "worksets/lost-1/", None, NOW)
    assert lost.decision.action is ReconcileAction.RECOVER_ITEM
    assert lost.decision.recovered_state is WorksetState.ERROR
    assert lost.decision.recovered_code == "RECOVERED_UNCERTAIN"


# -- bucket validation through the service -------------------------------------------------------


async def test_bucket_validation_passes_and_cleans_up(world: World) -> None:
    await world.store.put(BUCKET, "data/S1_R1.fastq.gz", b"@r1\nACGT\n")
    report = await validate_bucket(world.store, BUCKET, "data", "t1")
    assert report.ok and report.region == "us-east-1" and not report.failures
    assert [r.probe for r in report.results] == list(Probe)
    keys = [f.key for f in (await world.store.list(BUCKET, "data/")).items]
    assert keys == ["data/S1_R1.fastq.gz"]  # the probe object is gone
    read_only = await validate_bucket(world.store, BUCKET, "data/", "t2", read_only=True)
    assert read_only.ok and Probe.WRITE not in {r.probe for r in read_only.results}


async def test_bucket_validation_reports_a_missing_bucket(world: World) -> None:
    report = await validate_bucket(world.store, "ursa-no-such-bucket", "", "t1")
    assert not report.ok
    assert [(f.probe, "ursa-no-such-bucket" in f.remediation) for f in report.failures] == [
        (Probe.EXISTS, True)
    ]


async def test_a_purge_pages_through_the_folder_it_deletes(world: World) -> None:
    """Hard delete (T28): deleting while paging the same prefix still reaches every key."""
    store = world.store
    folder = "worksets/acme-trio-7c1e2a9b/"
    keys = [f"{folder}{name}" for name in ("a", "b/c", "b/d", "e", "f/g/h", "i", "j")]
    for key in keys:
        await store.put(BUCKET, key, b"x")
    await store.put(BUCKET, "worksets/acme-trio-7c1e2a9bz/keep", b"a neighbour")
    assert await purge_folder(store, BUCKET, folder, page_size=3) == len(keys)
    assert (await store.list(BUCKET, "worksets/")).items[0].key.endswith("9bz/keep")
    assert len((await store.list(BUCKET, "worksets/")).items) == 1
    assert await purge_folder(store, BUCKET, folder, page_size=3) == 0
