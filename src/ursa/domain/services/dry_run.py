"""validate_submission: submit's checks without submit's effects (a dry run).

Every check submit makes is run and every problem is collected as an ``Issue`` instead of
being raised: the body fields, the manifest (parse, pairing, duplicate ids), the existence
of every input object, the storage quota and the budget. Nothing is written: no workset, no
quote, no idempotency record, no audit record. Only authentication, scope and an object
store that does not answer still raise, as they do for any read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TypeVar

from ursa.domain.catalogue import CATALOGUE, genome_build
from ursa.domain.customers import Customer
from ursa.domain.enums import PipelineType, Priority, ReferenceGenome, WorksetType
from ursa.domain.errors import BudgetExhausted, InvalidInput, Issue, NotFound, QuotaExceeded
from ursa.domain.estimates import Estimate, Quote
from ursa.domain.manifest_types import Manifest
from ursa.domain.principals import Principal
from ursa.domain.saved_manifests import TSV_FIELD, one_manifest_source
from ursa.domain.services.context import Ports
from ursa.domain.services.estimate import dry_price
from ursa.domain.services.inputs import customer_for, pin_inputs, read_manifest
from ursa.domain.services.manifests import submitted_manifest
from ursa.domain.services.pricing import check_quota, gate
from ursa.domain.tenancy import Action, require_scope
from ursa.domain.validation import validate_email, validate_pipeline_version, validate_workset_name

MANIFEST_FIELD = TSV_FIELD
QUOTA_FIELD = "quota"
BUDGET_FIELD = "budget"
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class DryRunRequest:
    """The submit body, minus the idempotency key (a dry run records nothing)."""

    name: str
    pipeline_type: PipelineType
    reference_genome: ReferenceGenome
    manifest: bytes | None = None
    manifest_id: str | None = None
    """A saved manifest's id instead of ``manifest``: exactly one of the two."""
    priority: Priority = Priority.NORMAL
    workset_type: WorksetType = WorksetType.RUO
    pipeline_version: str | None = None
    notification_emails: tuple[str, ...] = ()
    customer_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DryRunReport:
    """``valid`` ⇔ no issues. Counts are of the parsed manifest (0 when it does not parse);
    ``estimate``/``quote`` are present once every input was found, even when a quota or
    budget issue would refuse the submit, so the caller sees the projected cost."""

    issues: tuple[Issue, ...] = ()
    sample_count: int = 0
    row_count: int = 0
    input_bytes: int = 0
    estimate: Estimate | None = None
    quote: Quote | None = None

    @property
    def valid(self) -> bool:
        return not self.issues


@dataclass(slots=True)
class _Collector:
    issues: list[Issue] = field(default_factory=list)

    def check(self, run: Callable[[], T], *, field: str | None = None) -> T | None:
        """Run one check; an ``InvalidInput`` becomes issues (re-fielded when asked)."""
        try:
            return run()
        except InvalidInput as exc:
            self.add(exc, field=field)
            return None

    def add(self, exc: InvalidInput, *, field: str | None = None) -> None:
        issues = exc.issues or (Issue(field=field or "", code=exc.code, message=exc.message),)
        for issue in issues:
            name = field if field is not None else issue.field
            self.issues.append(replace(issue, field=name or MANIFEST_FIELD))


def _body_issues(request: DryRunRequest, found: _Collector) -> None:
    found.check(lambda: validate_workset_name(request.name))
    for index, email in enumerate(request.notification_emails):
        found.check(partial(validate_email, email), field=f"notification_emails[{index}]")
    default = CATALOGUE[request.pipeline_type].default_version
    found.check(lambda: validate_pipeline_version(request.pipeline_version or default))
    found.check(lambda: genome_build(request.pipeline_type, request.reference_genome))


async def _customer(
    ports: Ports, principal: Principal, customer_id: str | None, found: _Collector
) -> Customer | None:
    try:
        return await customer_for(ports, principal, customer_id)
    except InvalidInput as exc:
        found.add(exc)
    except NotFound:  # only a provider admin names a customer; they may know it is absent
        found.issues.append(
            Issue(field="customer_id", code="NOT_FOUND", message="no such customer")
        )
    return None


async def _manifest_bytes(
    ports: Ports,
    principal: Principal,
    request: DryRunRequest,
    customer: Customer | None,
    found: _Collector,
) -> bytes | None:
    try:
        return await submitted_manifest(
            ports,
            principal,
            tsv=request.manifest,
            manifest_id=request.manifest_id,
            customer_id=customer.customer_id if customer else None,
        )
    except InvalidInput as exc:  # a provider admin's manifest of another customer
        found.add(exc)
        return None


async def _pinned_sizes(
    ports: Ports, customer: Customer, manifest: Manifest, found: _Collector
) -> dict[str, int] | None:
    try:
        _, sizes = await pin_inputs(ports, customer, manifest)
    except InvalidInput as exc:
        found.add(exc)
        return None
    except NotFound as exc:  # a bucket of the customer's own (linked) set has gone
        found.issues.append(
            Issue(field=MANIFEST_FIELD, code="INPUT_NOT_FOUND", message=exc.message)
        )
        return None
    return sizes


async def _gate_issues(
    ports: Ports, customer: Customer, request: DryRunRequest, figures: Estimate, found: _Collector
) -> None:
    try:
        check_quota(customer, figures)
    except QuotaExceeded as exc:
        found.issues.append(Issue(field=QUOTA_FIELD, code=exc.code, message=exc.message))
    try:
        await gate(ports, customer, request.workset_type, figures.point)
    except BudgetExhausted as exc:
        found.issues.append(Issue(field=BUDGET_FIELD, code=exc.code, message=exc.message))


async def validate_submission(
    ports: Ports, principal: Principal, request: DryRunRequest
) -> DryRunReport:
    """Every submit check, every issue collected; creates and records nothing.

    Naming the manifest twice or not at all is a malformed body (422), and a ``manifest_id``
    the caller cannot see is NotFound (404), as on submit."""
    require_scope(principal, Action.VIEW)
    one_manifest_source(request.manifest, request.manifest_id)
    found = _Collector()
    _body_issues(request, found)
    customer = await _customer(ports, principal, request.customer_id, found)
    data = await _manifest_bytes(ports, principal, request, customer, found)
    manifest = None if data is None else found.check(lambda: read_manifest(ports, principal, data))
    if customer is None or manifest is None:
        return _report(found, manifest)
    sizes = await _pinned_sizes(ports, customer, manifest, found)
    if sizes is None:
        return _report(found, manifest)
    figures, quote = dry_price(
        ports, sizes, request.pipeline_type, request.priority, request.workset_type
    )
    await _gate_issues(ports, customer, request, figures, found)
    return replace(
        _report(found, manifest),
        input_bytes=sum(sizes.values()),
        estimate=figures,
        quote=quote,
    )


def _report(found: _Collector, manifest: Manifest | None) -> DryRunReport:
    return DryRunReport(
        issues=tuple(found.issues),
        sample_count=manifest.sample_count if manifest else 0,
        row_count=manifest.row_count if manifest else 0,
    )
