"""/api/v1/worksets: thin handlers that parse, call one service, and return a Struct."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example, OpenAPIFormat
from litestar.params import (
    Body,
    FromPath,
    FromQuery,
    HeaderParameter,
    QueryParameter,
)

from ursa.app.api import present, schemas, workset_schemas
from ursa.app.deps import EngineViews
from ursa.domain.enums import Origin, Priority, WorksetState, WorksetType, parse_enum
from ursa.domain.ports import WorksetQuery
from ursa.domain.principals import Principal
from ursa.domain.search import parse_instant
from ursa.domain.services import lifecycle, operations, queries, submit
from ursa.domain.services.context import Ports
from ursa.domain.worksets import RunOptions

PortsDep = NamedDependency[Ports]
PrincipalDep = NamedDependency[Principal]
EngineViewsDep = NamedDependency[EngineViews]
IdempotencyKey = Annotated[
    str,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=8,
        max_length=128,
        description="Required; the same key with the same body replays the first response.",
    ),
]

SubmitBody = Annotated[
    schemas.SubmitWorkset,
    Body(
        title="A submit body",
        description="The manifest is given (`manifest_tsv`) or named (`manifest_id`, a saved "
        "manifest of the caller's customer): exactly one of the two, else 422 on both fields.",
        examples=workset_schemas.SUBMIT_EXAMPLES,
    ),
]
CancelBody = Annotated[
    schemas.CancelWorkset | None,
    Body(
        title="Why (optional)",
        examples=[Example(summary="With a reason", value={"reason": "wrong reference genome"})],
    ),
]

LIST_DESCRIPTION = (
    "Newest first, one page per cursor. Every filter narrows (AND); filters never widen what "
    "the caller may see. `q` takes key:value operators besides free text, e.g. "
    '`state:failed priority:urgent owner:me created>=2026-11-01 name:"exome batch" tumour` '
    "(grammar in docs/api.md, 'Workset list filters')."
)
OWNER = "Owner's user id or email, or `me`; someone the caller cannot see gives an empty list."
SEARCH = (
    "Free text (name or id) and key:value operators: state, priority, type, owner, id, name, "
    "created."
)
CreatedBound = Annotated[
    str | None,
    QueryParameter(
        max_length=64,
        format=OpenAPIFormat.DATE_TIME,
        description="ISO-8601 date-time with a timezone; created_after is inclusive, "
        "created_before exclusive.",
    ),
]


def _instant(value: str | None, field: str) -> datetime | None:
    return parse_instant(value, field) if value else None


class WorksetController(Controller):
    path = "/worksets"
    tags = ("worksets",)

    @post(
        "/",
        operation_id="submitWorkset",
        status_code=201,
        summary="Submit a workset (validated, quoted, and queued or held for approval)",
    )
    async def submit(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        data: SubmitBody,
        idempotency_key: IdempotencyKey,
    ) -> Response[schemas.WorksetDetail]:
        result = await submit.submit_workset(
            ports,
            principal,
            submit.SubmitRequest(
                name=data.name,
                pipeline_type=data.pipeline_type,
                reference_genome=data.reference_genome,
                manifest=data.manifest_bytes,
                manifest_id=data.manifest_id,
                idempotency_key=idempotency_key,
                priority=data.priority,
                workset_type=data.workset_type,
                pipeline_version=data.pipeline_version,
                options=RunOptions(
                    enable_qc=data.enable_qc,
                    archive_results=data.archive_results,
                    notification_emails=tuple(data.notification_emails),
                ),
                origin=Origin.API,
            ),
            customer_id=data.customer_id,
        )
        headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
        return Response(
            present.detail(result.workset),
            status_code=200 if result.replayed else 201,
            headers=headers,
        )

    @get(
        "/",
        operation_id="listWorksets",
        summary="List worksets visible to the caller",
        description=LIST_DESCRIPTION,
    )
    async def list_worksets(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        states: Annotated[
            list[str] | None, QueryParameter(name="state", description="Filter by state")
        ] = None,
        priority: FromQuery[str | None] = None,
        workset_type: Annotated[str | None, QueryParameter(name="type")] = None,
        owner: Annotated[str | None, QueryParameter(max_length=254, description=OWNER)] = None,
        created_after: CreatedBound = None,
        created_before: CreatedBound = None,
        q: Annotated[str, QueryParameter(max_length=200, description=SEARCH)] = "",
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 25,
        include_archived: FromQuery[bool] = False,
    ) -> schemas.WorksetPage:
        query = WorksetQuery(
            states=frozenset(parse_enum(WorksetState, s, "state") for s in states or ()),
            priority=parse_enum(Priority, priority, "priority") if priority else None,
            workset_type=parse_enum(WorksetType, workset_type, "type") if workset_type else None,
            created_after=_instant(created_after, "created_after"),
            created_before=_instant(created_before, "created_before"),
            text=q,
            cursor=cursor,
            limit=limit,
            include_archived=include_archived,
        )
        page = await queries.list_worksets(ports, principal, query, owner=owner)
        return schemas.WorksetPage(
            items=[present.summary(w) for w in page.items], next_cursor=page.next_cursor
        )

    @get("/{workset_id:str}", operation_id="getWorkset", summary="One workset")
    async def get_workset(
        self, ports: PortsDep, principal: PrincipalDep, workset_id: FromPath[str]
    ) -> schemas.WorksetDetail:
        found = await queries.get_workset(ports, principal, workset_id)
        return present.detail(found.workset)

    @get("/{workset_id:str}/samples", operation_id="listWorksetSamples", summary="Samples")
    async def samples(
        self, ports: PortsDep, principal: PrincipalDep, workset_id: FromPath[str]
    ) -> list[schemas.SampleOut]:
        found = await queries.get_workset(ports, principal, workset_id)
        return [present.sample(s) for s in found.samples]

    @get("/{workset_id:str}/history", operation_id="listWorksetHistory", summary="History")
    async def history(
        self, ports: PortsDep, principal: PrincipalDep, workset_id: FromPath[str]
    ) -> list[schemas.HistoryOut]:
        found = await queries.get_workset(ports, principal, workset_id)
        return [present.history(h) for h in found.history]

    @get(
        "/{workset_id:str}/commands",
        operation_id="listWorksetCommands",
        summary="The engine's command log (provider admins): filter by label and text",
    )
    async def commands(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        engine_views: EngineViewsDep,
        workset_id: FromPath[str],
        label: Annotated[str | None, QueryParameter(max_length=64)] = None,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> list[schemas.CommandOut]:
        entries = await operations.command_log(
            ports, engine_views.command_log, principal, workset_id, label=label, text=q, limit=limit
        )
        return [present.command(e) for e in entries]

    @post(
        "/{workset_id:str}/cancel",
        operation_id="cancelWorkset",
        status_code=200,
        summary="Cancel; running work is stopped by the engine with evidence",
    )
    async def cancel(
        self,
        ports: PortsDep,
        principal: PrincipalDep,
        workset_id: FromPath[str],
        data: CancelBody = None,
    ) -> schemas.CancelOut:
        result = await lifecycle.cancel_workset(
            ports, principal, workset_id, reason=data.reason if data else None
        )
        return schemas.CancelOut(
            workset=present.summary(result.workset), outcome=result.outcome.value
        )
