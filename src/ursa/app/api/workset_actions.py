"""/api/v1/worksets actions: dry-run validation and estimate, the quote and its approval,
clone-retry, archive, restore, delete (soft, or hard with the S3 purge), undelete and the
results.

Thin handlers: parse, call one service, present. Tenancy and roles are the services'."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, post
from litestar.params import Body, FromPath, QueryParameter

from ursa.app.api import present, schemas
from ursa.app.api import workset_schemas as out
from ursa.app.api.worksets import IdempotencyKey, PortsDep, PrincipalDep, SubmitBody
from ursa.domain.services import dry_run, lifecycle, quotes, results, retry
from ursa.domain.services.estimate import estimate_workset

RetryBody = Annotated[
    out.RetryWorkset | None, Body(title="Why the retry", examples=out.RETRY_EXAMPLES)
]
UndeleteBody = Annotated[
    out.UndeleteWorkset, Body(title="Why the undelete", examples=out.UNDELETE_EXAMPLES)
]
ApproveBody = Annotated[
    out.ApproveQuote, Body(title="The quote approved", examples=out.APPROVE_EXAMPLES)
]
Cursor = Annotated[str | None, QueryParameter(max_length=2048, description="From next_cursor")]


def _replayable(clone: schemas.WorksetDetail, replayed: bool) -> Response[schemas.WorksetDetail]:
    """201 for a new clone; 200 plus ``Idempotent-Replayed`` for the first answer again."""
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return Response(clone, status_code=200 if replayed else 201, headers=headers)


class WorksetActionsController(Controller):
    path = "/worksets"
    tags = ("worksets",)

    @post(
        "/validate",
        operation_id="validateWorkset",
        status_code=200,
        summary="Dry run of a submit: every issue of the body, manifest and inputs, and the "
        "projected cost; creates nothing (an invalid body is a 200 report with valid=false)",
    )
    async def validate(
        self, ports: PortsDep, principal: PrincipalDep, data: SubmitBody
    ) -> out.ValidationReport:
        report = await dry_run.validate_submission(
            ports,
            principal,
            dry_run.DryRunRequest(
                name=data.name,
                pipeline_type=data.pipeline_type,
                reference_genome=data.reference_genome,
                manifest=data.manifest_bytes,
                manifest_id=data.manifest_id,
                priority=data.priority,
                workset_type=data.workset_type,
                pipeline_version=data.pipeline_version,
                notification_emails=tuple(data.notification_emails),
                customer_id=data.customer_id,
            ),
        )
        return out.validation(report)

    @post(
        "/estimate",
        operation_id="estimateWorkset",
        status_code=200,
        summary="The estimate and quote band a submit body would get; nothing is stored",
    )
    async def estimate(
        self, ports: PortsDep, principal: PrincipalDep, data: SubmitBody
    ) -> out.WorksetEstimate:
        result = await estimate_workset(
            ports,
            principal,
            manifest=data.manifest_bytes,
            manifest_id=data.manifest_id,
            pipeline_type=data.pipeline_type,
            reference_genome=data.reference_genome,
            priority=data.priority,
            workset_type=data.workset_type,
            customer_id=data.customer_id,
        )
        return out.workset_estimate(result)

    @get("/{workset_id:str}/quote", operation_id="getWorksetQuote", summary="The current quote")
    async def get_quote(
        self, ports: PortsDep, principal: PrincipalDep, workset_id: FromPath[str]
    ) -> out.QuoteOut:
        return out.quote(await quotes.current_quote(ports, principal, workset_id))

    @post(
        "/{workset_id:str}/quote/approve",
        operation_id="approveWorksetQuote",
        status_code=200,
        summary="Approve the current quote; the workset becomes ready (or held by budget)",
    )
    async def approve_quote(
        self, ports: PortsDep, principal: PrincipalDep, workset_id: FromPath[str], data: ApproveBody
    ) -> schemas.WorksetDetail:
        ws = await quotes.approve_quote(ports, principal, workset_id, data.quote_id)
        return present.detail(ws)

    @post(
        "/{workset_id:str}/retry",
        operation_id="retryWorkset",
        status_code=201,
        summary="Retry as a clone: a new workset with the same manifest, its inputs re-pinned and "
        "freshly quoted; the original is untouched",
    )
    async def retry_clone(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        workset_id: FromPath[str],
        idempotency_key: IdempotencyKey,
        data: RetryBody = None,
    ) -> Response[schemas.WorksetDetail]:
        clone, replayed = await retry.retry_as_clone(
            ports,
            principal,
            workset_id,
            idempotency_key=idempotency_key,
            reason=data.reason if data else None,
        )
        return _replayable(present.detail(clone), replayed)

    @post(
        "/{workset_id:str}/retry-failed",
        operation_id="retryWorksetFailedSamples",
        status_code=201,
        summary="Retry only the samples that did not succeed, as a clone",
    )
    async def retry_failed(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        workset_id: FromPath[str],
        idempotency_key: IdempotencyKey,
        data: RetryBody = None,
    ) -> Response[schemas.WorksetDetail]:
        clone, replayed = await retry.retry_failed_samples(
            ports,
            principal,
            workset_id,
            idempotency_key=idempotency_key,
            reason=data.reason if data else None,
        )
        return _replayable(present.detail(clone), replayed)

    @post(
        "/{workset_id:str}/archive",
        operation_id="archiveWorkset",
        status_code=200,
        summary="Archive an ended workset (hidden from default lists; no objects move)",
    )
    async def archive(
        self, ports: PortsDep, principal: PrincipalDep, workset_id: FromPath[str]
    ) -> schemas.WorksetDetail:
        return present.detail(await lifecycle.archive_workset(ports, principal, workset_id))

    @post(
        "/{workset_id:str}/restore",
        operation_id="restoreWorkset",
        status_code=200,
        summary="Restore an archived workset to the state it was archived from",
    )
    async def restore(
        self, ports: PortsDep, principal: PrincipalDep, workset_id: FromPath[str]
    ) -> schemas.WorksetDetail:
        return present.detail(await lifecycle.restore_workset(ports, principal, workset_id))

    @delete(
        "/{workset_id:str}",
        operation_id="deleteWorkset",
        status_code=200,
        summary="Soft delete; hard=true also purges the workset's S3 folder (admins)",
    )
    async def delete_workset(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        workset_id: FromPath[str],
        hard: Annotated[bool, QueryParameter(description="Also purge the S3 folder")] = False,
        reason: Annotated[str | None, QueryParameter(max_length=500)] = None,
    ) -> out.DeleteOut:
        result = await lifecycle.delete_workset(
            ports, principal, workset_id, hard=hard, reason=reason
        )
        return out.deleted(result, hard=hard)

    @post(
        "/{workset_id:str}/undelete",
        operation_id="undeleteWorkset",
        status_code=200,
        summary="Undelete (provider admins): a soft-deleted workset comes back archived, "
        "unless its purge started or 30 days have passed",
    )
    async def undelete(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        workset_id: FromPath[str],
        data: UndeleteBody,
    ) -> schemas.WorksetDetail:
        ws = await lifecycle.undelete_workset(ports, principal, workset_id, reason=data.reason)
        return present.detail(ws)

    @get(
        "/{workset_id:str}/results",
        operation_id="listWorksetResults",
        summary="The workset's result objects (its results/ prefix), a page at a time",
    )
    async def list_results(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        workset_id: FromPath[str],
        cursor: Cursor = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> out.ResultPage:
        page = await results.list_results(ports, principal, workset_id, limit=limit, cursor=cursor)
        return out.results(page)

    @get(
        "/{workset_id:str}/results/download",
        operation_id="downloadWorksetResult",
        summary="A presigned link (15 minutes) to one result object",
    )
    async def download(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        workset_id: FromPath[str],
        key: Annotated[str, QueryParameter(min_length=1, max_length=1024)],
    ) -> out.DownloadOut:
        return out.download(await results.result_download(ports, principal, workset_id, key))
