"""/api/v1/buckets: link, list, revalidate, edit and unlink customer buckets; browse them and
hand out presigned upload (single and multipart) and download URLs.

Thin handlers: parse, call one service, present. Tenancy and roles are the services'."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, FromPath, QueryParameter

from ursa.app.api import bucket_schemas as out
from ursa.app.api.problems import PROBLEM_MEDIA_TYPE
from ursa.app.api.versions import IfMatch, etag, expected_version
from ursa.app.api.worksets import PortsDep, PrincipalDep
from ursa.domain.linked_buckets import LinkEdit
from ursa.domain.services import bucket_objects, linked_buckets
from ursa.domain.services.linked_buckets import LinkRequest

LinkBody = Annotated[out.LinkBucket, Body(title="The bucket to link", examples=out.LINK_EXAMPLES)]
EditBody = Annotated[out.EditBucket, Body(title="Fields to change", examples=out.EDIT_EXAMPLES)]
UploadBody = Annotated[
    out.UploadRequest, Body(title="The key to upload", examples=out.UPLOAD_EXAMPLES)
]
MultipartBody = Annotated[
    out.MultipartRequest, Body(title="The key and part count", examples=out.MULTIPART_EXAMPLES)
]
CompleteBody = Annotated[
    out.CompleteMultipart, Body(title="The uploaded parts", examples=out.COMPLETE_EXAMPLES)
]
AbortBody = Annotated[
    out.AbortMultipart, Body(title="The upload to discard", examples=out.ABORT_EXAMPLES)
]
BucketId = FromPath[str]
Cursor = Annotated[str | None, QueryParameter(max_length=2048, description="From next_cursor")]
REFUSED = {
    422: ResponseSpec(
        data_container=out.LinkRefused,
        description="Invalid input, or the bucket failed validation: `validation` carries "
        "each probe, the challenge key and the IAM policy that would make it pass",
        media_type=PROBLEM_MEDIA_TYPE,
        generate_examples=False,
    )
}


class BucketController(Controller):
    path = "/buckets"
    tags = ("buckets",)

    @post(
        "/",
        operation_id="linkBucket",
        status_code=201,
        responses=REFUSED,
        summary="Link a bucket: proof of control and every probe must pass; one customer "
        "per bucket (409 otherwise)",
    )
    async def link(
        self, ports: PortsDep, principal: PrincipalDep, data: LinkBody
    ) -> Response[out.LinkedBucketOut]:
        linked = await linked_buckets.link_bucket(
            ports,
            principal,
            LinkRequest(
                bucket=data.bucket,
                display_name=data.display_name,
                bucket_type=data.bucket_type,
                description=data.description,
                prefix=data.prefix,
                read_only=data.read_only,
                customer_id=data.customer_id,
            ),
        )
        return Response(out.link(linked), status_code=201, headers=etag(linked.version))

    @get("/", operation_id="listBuckets", summary="Linked buckets of the caller's customer")
    async def list_buckets(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        customer_id: Annotated[
            str | None,
            QueryParameter(max_length=64, description="Provider admins: one customer's links"),
        ] = None,
    ) -> out.LinkedBucketList:
        links = await linked_buckets.list_links(ports, principal, customer_id)
        return out.LinkedBucketList(items=[out.link(lb) for lb in links])

    @get("/{bucket_id:str}", operation_id="getBucket", summary="One linked bucket (ETag)")
    async def get_bucket(
        self, ports: PortsDep, principal: PrincipalDep, bucket_id: BucketId
    ) -> Response[out.LinkedBucketOut]:
        found = await linked_buckets.get_link(ports, principal, bucket_id)
        return Response(out.link(found), headers=etag(found.version))

    @post(
        "/{bucket_id:str}/revalidate",
        operation_id="revalidateBucket",
        status_code=200,
        summary="Probe again and record the report (a failing link stops serving inputs)",
    )
    async def revalidate(
        self, ports: PortsDep, principal: PrincipalDep, bucket_id: BucketId
    ) -> Response[out.LinkedBucketOut]:
        checked = await linked_buckets.revalidate(ports, principal, bucket_id)
        return Response(out.link(checked), headers=etag(checked.version))

    @patch(
        "/{bucket_id:str}",
        operation_id="editBucket",
        responses=REFUSED,
        summary="Edit name, type, description, prefix or read-only (If-Match; a new prefix "
        "or access is probed first)",
    )
    async def edit(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        bucket_id: BucketId,
        data: EditBody,
        if_match: IfMatch = None,
    ) -> Response[out.LinkedBucketOut]:
        edited = await linked_buckets.edit_link(
            ports,
            principal,
            bucket_id,
            LinkEdit(
                display_name=data.display_name,
                bucket_type=data.bucket_type,
                description=data.description,
                prefix=data.prefix,
                read_only=data.read_only,
            ),
            if_match=expected_version(if_match),
        )
        return Response(out.link(edited), headers=etag(edited.version))

    @delete("/{bucket_id:str}", operation_id="unlinkBucket", summary="Unlink (objects stay)")
    async def unlink(self, ports: PortsDep, principal: PrincipalDep, bucket_id: BucketId) -> None:
        await linked_buckets.unlink(ports, principal, bucket_id)

    @get(
        "/{bucket_id:str}/objects",
        operation_id="browseBucket",
        summary="Objects under the link's prefix (or a longer prefix inside it), paged",
    )
    async def browse(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        bucket_id: BucketId,
        prefix: Annotated[str, QueryParameter(max_length=1024)] = "",
        cursor: Cursor = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> out.ObjectPage:
        link, page = await bucket_objects.browse(
            ports, principal, bucket_id, prefix=prefix, cursor=cursor, limit=limit
        )
        return out.objects(link.bucket_id, prefix or link.prefix, page)

    @post(
        "/{bucket_id:str}/uploads",
        operation_id="presignBucketUpload",
        status_code=200,
        summary="A presigned PUT for one key (not on read-only links; inside the prefix)",
    )
    async def upload(
        self, ports: PortsDep, principal: PrincipalDep, bucket_id: BucketId, data: UploadBody
    ) -> out.PresignedOut:
        signed = await bucket_objects.presign_upload(
            ports,
            principal,
            bucket_id,
            data.key,
            content_type=data.content_type,
            expires_s=data.expires_s,
        )
        return out.presigned(signed, "PUT")

    @post(
        "/{bucket_id:str}/multipart",
        operation_id="startBucketMultipart",
        status_code=201,
        summary="Start a multipart upload: its id and a presigned PUT URL per part",
    )
    async def multipart(
        self, ports: PortsDep, principal: PrincipalDep, bucket_id: BucketId, data: MultipartBody
    ) -> out.MultipartOut:
        started = await bucket_objects.start_multipart(
            ports, principal, bucket_id, data.key, parts=data.parts, expires_s=data.expires_s
        )
        return out.multipart(started)

    @post(
        "/{bucket_id:str}/multipart/complete",
        operation_id="completeBucketMultipart",
        status_code=200,
        summary="Assemble the uploaded parts into the object",
    )
    async def complete(
        self, ports: PortsDep, principal: PrincipalDep, bucket_id: BucketId, data: CompleteBody
    ) -> out.ObjectOut:
        facts = await bucket_objects.complete_multipart(
            ports,
            principal,
            bucket_id,
            data.key,
            data.upload_id,
            [(p.part_number, p.etag) for p in data.parts],
        )
        return out.object_out(facts)

    @post(
        "/{bucket_id:str}/multipart/abort",
        operation_id="abortBucketMultipart",
        status_code=204,
        summary="Discard a multipart upload and its parts",
    )
    async def abort(
        self, ports: PortsDep, principal: PrincipalDep, bucket_id: BucketId, data: AbortBody
    ) -> None:
        await bucket_objects.abort_multipart(ports, principal, bucket_id, data.key, data.upload_id)

    @get(
        "/{bucket_id:str}/download",
        operation_id="presignBucketDownload",
        summary="A presigned GET for one object inside the link's prefix",
    )
    async def download(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        bucket_id: BucketId,
        # Required in substance (422 when absent), optional to Litestar so that a caller
        # without credentials hears 401 before anything about its parameters.
        key: Annotated[str, QueryParameter(max_length=1024, description="The object's key")] = "",
        expires_s: Annotated[int, QueryParameter(ge=60, le=43_200)] = 900,
    ) -> out.PresignedOut:
        signed = await bucket_objects.presign_download(
            ports, principal, bucket_id, key, expires_s=expires_s
        )
        return out.presigned(signed, "GET")
