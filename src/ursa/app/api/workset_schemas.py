"""Bodies of the workset actions (validate, estimate, quote, retry, delete, results) and the
domain → Struct presenters for them. Money is a decimal string, as everywhere."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import msgspec
from litestar.openapi.spec import Example

from ursa.app.api import present, schemas
from ursa.app.api.manifest_schemas import EXAMPLE_TSV
from ursa.domain.errors import Issue
from ursa.domain.estimates import Estimate, Quote
from ursa.domain.ports import Page
from ursa.domain.result_keys import ResultObject
from ursa.domain.services.dry_run import DryRunReport
from ursa.domain.services.estimate import EstimateResult
from ursa.domain.services.lifecycle import DeleteResult
from ursa.domain.services.results import Download

Reason = Annotated[str, msgspec.Meta(max_length=500, description="Why, for the history")]
QuoteId = Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]

# -- requests -----------------------------------------------------------------------------------


class ApproveQuote(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    quote_id: QuoteId
    """The quote the approver read (GET .../quote): a superseded one is refused."""


class RetryWorkset(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Reason | None = None


class UndeleteWorkset(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Reason
    """Required (T27): why the deleted workset comes back."""


SUBMIT_EXAMPLES = [
    Example(
        summary="One GIAB sample, germline SNV calling",
        value={
            "name": "HG002 check",
            "pipeline_type": "germline_wgs_snv",
            "reference_genome": "GRCh38",
            "manifest_tsv": EXAMPLE_TSV,
            "priority": "normal",
            "notification_emails": ["lab@acme.example"],
        },
    ),
    Example(
        summary="A saved manifest of the customer's library, by id",
        value={
            "name": "HG002 re-run",
            "pipeline_type": "germline_wgs_snv",
            "manifest_id": "mf-na12878-trio-template-0a1b2c3d",
        },
    ),
]
APPROVE_EXAMPLES = [Example(summary="Approve the current quote", value={"quote_id": "q-x-1"})]
RETRY_EXAMPLES = [Example(summary="Retry after a fix", value={"reason": "re-uploaded TU2"})]
UNDELETE_EXAMPLES = [
    Example(summary="Deleted by mistake", value={"reason": "customer deleted the wrong batch"})
]

# -- answers ------------------------------------------------------------------------------------


class IssueOut(msgspec.Struct, kw_only=True):
    field: str
    """A body field (``name``, ``notification_emails[0]``), a manifest column (``R1_FQ``;
    ``manifest_tsv`` for the file as a whole), or ``quota`` / ``budget``."""
    row: int | None
    """The manifest row, 1-based with the header as row 1."""
    code: str
    message: str


class SampleEstimateOut(msgspec.Struct, kw_only=True):
    sample_id: str
    input_bytes: int
    vcpu_h: Decimal
    point: Decimal
    lines: dict[str, Decimal]
    """Per cost component (storage is the first month only)."""


class EstimateOut(msgspec.Struct, kw_only=True):
    """The §9.7 estimate with its §9.8 quote band; nothing of it is stored."""

    rate_card_version: str
    estimator_version: str
    price_vcpu_h: Decimal
    price_source: str
    inputs_sha256: str
    vcpu_h: Decimal
    wall_h: Decimal
    result_gib: Decimal
    fsx_working_set_gib: Decimal
    point: Decimal
    low: Decimal
    high: Decimal
    turnaround_low_h: Decimal
    turnaround_high_h: Decimal
    band_source: str
    samples: list[SampleEstimateOut]


class WorksetEstimate(msgspec.Struct, kw_only=True):
    sample_count: int
    row_count: int
    input_bytes: int
    estimate: EstimateOut


class ValidationReport(msgspec.Struct, kw_only=True):
    """A dry run's verdict: ``valid`` is false exactly when ``issues`` is not empty."""

    valid: bool
    issues: list[IssueOut]
    sample_count: int
    row_count: int
    input_bytes: int
    estimate: EstimateOut | None
    """Present once every input object was found (even with a quota or budget issue)."""


class QuoteLineOut(msgspec.Struct, kw_only=True):
    sample_id: str
    component: str
    amount: Decimal


class QuoteOut(msgspec.Struct, kw_only=True):
    quote_id: str
    workset_id: str
    rate_card_version: str
    estimator_version: str
    inputs_sha256: str
    point: Decimal
    low: Decimal
    high: Decimal
    turnaround_low_h: Decimal
    turnaround_high_h: Decimal
    band_source: str
    created_at: datetime
    expires_at: datetime
    superseded_by: str | None
    lines: list[QuoteLineOut]


class DeleteOut(msgspec.Struct, kw_only=True):
    workset: schemas.WorksetDetail
    hard: bool
    objects_removed: int
    """Objects this request removed from the workset's S3 folder (hard delete only)."""


class ResultObjectOut(msgspec.Struct, kw_only=True):
    key: str
    """The full key in the workset's bucket: pass it to ``results/download``."""
    path: str
    """The key relative to the workset's ``results/`` prefix."""
    size: int
    etag: str
    storage_class: str
    sample_id: str | None
    """The sample the object belongs to; null for cohort-level files."""


class ResultPage(msgspec.Struct, kw_only=True):
    items: list[ResultObjectOut]
    next_cursor: str | None


class DownloadOut(msgspec.Struct, kw_only=True):
    url: str
    expires_at: datetime


# -- presenters ---------------------------------------------------------------------------------


def issue(i: Issue) -> IssueOut:
    return IssueOut(field=i.field, row=i.row, code=i.code, message=i.message)


def estimate(figures: Estimate, quote: Quote) -> EstimateOut:
    return EstimateOut(
        rate_card_version=figures.rate_card_version,
        estimator_version=figures.estimator_version,
        price_vcpu_h=figures.price_vcpu_h,
        price_source=figures.price_source,
        inputs_sha256=figures.inputs_sha256,
        vcpu_h=figures.vcpu_h,
        wall_h=figures.wall_h,
        result_gib=figures.result_gib,
        fsx_working_set_gib=figures.fsx_working_set_gib,
        point=quote.point,
        low=quote.low,
        high=quote.high,
        turnaround_low_h=quote.turnaround_low_h,
        turnaround_high_h=quote.turnaround_high_h,
        band_source=quote.band_source,
        samples=[
            SampleEstimateOut(
                sample_id=s.sample_id,
                input_bytes=s.input_bytes,
                vcpu_h=s.vcpu_h,
                point=s.point,
                lines={c.value: amount for c, amount in s.lines.items()},
            )
            for s in figures.samples
        ],
    )


def workset_estimate(result: EstimateResult) -> WorksetEstimate:
    return WorksetEstimate(
        sample_count=result.sample_count,
        row_count=result.row_count,
        input_bytes=result.input_bytes,
        estimate=estimate(result.estimate, result.quote),
    )


def validation(report: DryRunReport) -> ValidationReport:
    figures = (
        estimate(report.estimate, report.quote)
        if report.estimate is not None and report.quote is not None
        else None
    )
    return ValidationReport(
        valid=report.valid,
        issues=[issue(i) for i in report.issues],
        sample_count=report.sample_count,
        row_count=report.row_count,
        input_bytes=report.input_bytes,
        estimate=figures,
    )


def quote(q: Quote) -> QuoteOut:
    return QuoteOut(
        quote_id=q.quote_id,
        workset_id=q.workset_id,
        rate_card_version=q.rate_card_version,
        estimator_version=q.estimator_version,
        inputs_sha256=q.inputs_sha256,
        point=q.point,
        low=q.low,
        high=q.high,
        turnaround_low_h=q.turnaround_low_h,
        turnaround_high_h=q.turnaround_high_h,
        band_source=q.band_source,
        created_at=q.created_at,
        expires_at=q.expires_at,
        superseded_by=q.superseded_by,
        lines=[
            QuoteLineOut(
                sample_id=line.sample_id, component=line.component.value, amount=line.amount
            )
            for line in q.lines
        ],
    )


def deleted(result: DeleteResult, *, hard: bool) -> DeleteOut:
    return DeleteOut(
        workset=present.detail(result.workset), hard=hard, objects_removed=result.objects_removed
    )


def results(page: Page[ResultObject]) -> ResultPage:
    return ResultPage(
        items=[
            ResultObjectOut(
                key=o.key,
                path=o.path,
                size=o.size,
                etag=o.etag,
                storage_class=o.storage_class,
                sample_id=o.sample_id,
            )
            for o in page.items
        ],
        next_cursor=page.next_cursor,
    )


def download(d: Download) -> DownloadOut:
    return DownloadOut(url=d.url, expires_at=d.expires_at)
