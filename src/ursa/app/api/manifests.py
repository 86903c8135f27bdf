"""/api/v1/manifests: validate, save, list, read, download, edit, delete and generate saved
manifests. Thin handlers: parse, call one service, return a Struct."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, HeaderParameter, JSONBody, QueryParameter

from ursa.app.api import manifest_schemas as out
from ursa.app.api.versions import ETAG_HEADER, IfMatch, etag, expected_version
from ursa.domain.principals import Principal
from ursa.domain.services import manifest_discovery, manifests
from ursa.domain.services.context import Ports

PortsDep = NamedDependency[Ports]
PrincipalDep = NamedDependency[Principal]
TSV = "text/tab-separated-values"
OptionalIdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=8,
        max_length=128,
        required=False,
        description="Optional; the same key with the same body replays the first save.",
    ),
]

GenerateBody = Annotated[
    out.GenerateManifest,
    Body(
        title="Where the FASTQs are, and the manifest defaults",
        examples=[
            Example(
                summary="Draft and save a manifest from one run's folder",
                value={
                    "bucket": "acme-genomics-ursa",
                    "prefix": "sequencing/run1/",
                    "run_id": "RUN1",
                    "seq_platform": "NOVASEQX",
                    "save": True,
                    "name": "Run 1",
                },
            )
        ],
    ),
]


class ManifestController(Controller):
    path = "/manifests"
    tags = ("manifests",)

    @post(
        "/validate",
        operation_id="validateManifest",
        status_code=200,
        summary="Check a stage_samples.tsv without saving it: every issue, by row and column",
    )
    async def validate_manifest(
        self, ports: PortsDep, principal: PrincipalDep, data: JSONBody[out.ValidateManifest]
    ) -> out.ValidationOut:
        report = await manifest_discovery.validate_manifest(
            ports, principal, data.tsv.encode(), customer_id=data.customer_id
        )
        return out.report(report)

    @post(
        "/",
        operation_id="saveManifest",
        status_code=201,
        summary="Save a manifest to the customer's library (validated first; 422 lists issues)",
        responses={200: ResponseSpec(out.ManifestOut, description="Replayed (Idempotency-Key)")},
        response_headers=ETAG_HEADER,
    )
    async def save_manifest(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        data: JSONBody[out.SaveManifest],
        idempotency_key: OptionalIdempotencyKey = None,
    ) -> Response[out.ManifestOut]:
        result = await manifests.save_manifest(
            ports,
            principal,
            manifests.SaveRequest(
                name=data.name,
                description=data.description,
                tsv=data.tsv.encode(),
                idempotency_key=idempotency_key,
            ),
            customer_id=data.customer_id,
        )
        headers = etag(result.manifest.version)
        if result.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(
            out.manifest(result.manifest),
            status_code=200 if result.replayed else 201,
            headers=headers,
        )

    @get("/", operation_id="listManifests", summary="Saved manifests of the caller's customer")
    async def list_manifests(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        customer_id: Annotated[
            str | None,
            QueryParameter(
                max_length=64, description="Provider admins: one customer's (default: all)"
            ),
        ] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=2048)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 25,
    ) -> out.ManifestPage:
        page = await manifests.list_manifests(
            ports, principal, customer_id=customer_id, limit=limit, cursor=cursor
        )
        return out.ManifestPage(
            items=[out.manifest(m) for m in page.items], next_cursor=page.next_cursor
        )

    @get(
        "/{manifest_id:str}",
        operation_id="getManifest",
        summary="One saved manifest",
        response_headers=ETAG_HEADER,
    )
    async def get_manifest(
        self, ports: PortsDep, principal: PrincipalDep, manifest_id: FromPath[str]
    ) -> Response[out.ManifestOut]:
        found = await manifests.load_manifest(ports, principal, manifest_id)
        return Response(out.manifest(found), headers=etag(found.version))

    @get(
        "/{manifest_id:str}/download",
        operation_id="downloadManifest",
        summary="The stage_samples.tsv itself, as an attachment",
        media_type=TSV,
        response_headers=ETAG_HEADER,
    )
    async def download_manifest(
        self, ports: PortsDep, principal: PrincipalDep, manifest_id: FromPath[str]
    ) -> Response[bytes]:
        found, data = await manifests.download_manifest(ports, principal, manifest_id)
        filename = f"{found.manifest_id}_stage_samples.tsv"
        return Response(
            data,
            media_type=TSV,
            headers={
                **etag(found.version),
                "Content-Disposition": f'attachment; filename="{filename}"',
            },
        )

    @patch(
        "/{manifest_id:str}",
        operation_id="updateManifest",
        summary="Rename or re-describe (owner, customer admin or provider admin; If-Match)",
        response_headers=ETAG_HEADER,
    )
    async def update_manifest(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        manifest_id: FromPath[str],
        data: JSONBody[out.EditManifest],
        if_match: IfMatch = None,
    ) -> Response[out.ManifestOut]:
        updated = await manifests.edit_manifest(
            ports,
            principal,
            manifest_id,
            name=data.name,
            description=data.description,
            expected_version=expected_version(if_match),
        )
        return Response(out.manifest(updated), headers=etag(updated.version))

    @delete(
        "/{manifest_id:str}",
        operation_id="deleteManifest",
        status_code=204,
        summary="Delete a saved manifest and its file (owner, customer admin or provider admin)",
    )
    async def delete_manifest(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        manifest_id: FromPath[str],
        if_match: IfMatch = None,
    ) -> None:
        await manifests.delete_manifest(
            ports, principal, manifest_id, expected_version=expected_version(if_match)
        )

    @post(
        "/generate",
        operation_id="generateManifest",
        status_code=200,
        summary="Draft a manifest from an S3 prefix (R1/R2 auto-pairing); optionally save it",
    )
    async def generate_manifest(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        data: GenerateBody,
        idempotency_key: OptionalIdempotencyKey = None,
    ) -> out.GenerateOut:
        result = await manifest_discovery.generate_manifest(
            ports,
            principal,
            manifest_discovery.GenerateRequest(
                bucket=data.bucket,
                prefix=data.prefix,
                defaults=out.defaults_of(data),
                save=data.save,
                name=data.name,
                description=data.description,
                idempotency_key=idempotency_key,
            ),
            customer_id=data.customer_id,
        )
        return out.generated(result)
