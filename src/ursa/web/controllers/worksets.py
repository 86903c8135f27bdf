"""Worksets: the list, the detail page (with its polling status region), the admin command
log and cancel."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Template

from ursa.domain.command_log import CommandLogEntry
from ursa.domain.ports import Page
from ursa.domain.ports.cluster import CommandLogStore
from ursa.domain.principals import Principal
from ursa.domain.services.context import Ports
from ursa.domain.services.lifecycle import cancel_workset
from ursa.domain.services.operations import MAX_ENTRIES, command_log
from ursa.domain.services.queries import get_workset, list_worksets
from ursa.domain.worksets import Workset
from ursa.web import htmx
from ursa.web.controllers.common import (
    EngineViewsDep,
    PortsDep,
    PrincipalDep,
    ViewerDep,
    provide_viewer,
)
from ursa.web.forms import CommandFilters, parse_cancel, parse_command_filters, parse_list_filters
from ursa.web.presenters import (
    cancel_toast,
    present_cancel,
    present_list,
    workset_url,
)
from ursa.web.presenters_commands import present_command_log
from ursa.web.presenters_detail import present_detail

FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
AnyRequest = Request[Any, Any, Any]
StateParam = Annotated[
    str | None, QueryParameter(name="state")
]  # ``state`` is reserved by Litestar
Entries = tuple[CommandLogEntry, ...]
EMPTY: Page[Workset] = Page(items=())  # what an unusable search lists


async def load_commands(
    ports: Ports,
    store: CommandLogStore,
    principal: Principal,
    workset_id: str,
    filters: CommandFilters,
) -> tuple[Entries, Entries]:
    """Everything (for the label list and the numbering) and what the filters let through."""
    everything = await command_log(ports, store, principal, workset_id, limit=MAX_ENTRIES)
    if not filters.active:
        return everything, everything
    matching = await command_log(
        ports, store, principal, workset_id, label=filters.label, text=filters.q, limit=MAX_ENTRIES
    )
    return everything, matching


class WorksetController(Controller):
    path = "/worksets"
    dependencies = {"viewer": Provide(provide_viewer)}  # noqa: RUF012

    @get("/", name="worksets")
    async def index(
        self,
        request: AnyRequest,
        ports: PortsDep,
        principal: PrincipalDep,
        viewer: ViewerDep,
        state_filter: StateParam = None,
        q: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int | None] = None,
    ) -> Template:
        """Full page, or only ``#worksets-table`` for filter, search and paging requests."""
        filters = parse_list_filters(state=state_filter, q=q, cursor=cursor, limit=limit)
        page = await list_worksets(ports, principal, filters.query()) if filters.valid else EMPTY
        view = present_list(page, filters, ports.clock.now())
        return htmx.render(
            request,
            page="worksets/index.html",
            partial="worksets/_table.html",
            context={"view": view, "viewer": viewer},
            status_code=200 if filters.valid else 422,
        )

    @get("/{workset_id:str}", name="workset")
    async def detail(
        self,
        request: AnyRequest,
        ports: PortsDep,
        principal: PrincipalDep,
        viewer: ViewerDep,
        workset_id: FromPath[str],
    ) -> Template:
        """Full page, or the self-polling ``#workset-status`` region with the facts, samples
        and history it outdates swapped out-of-band."""
        found = await get_workset(ports, principal, workset_id)
        view = present_detail(
            found, ports.clock.now(), principal.user_id, admin=principal.is_provider_admin
        )
        return htmx.render(
            request,
            page="worksets/detail.html",
            partial="worksets/_live.html",
            context={"view": view, "status": view.status, "viewer": viewer},
        )

    @get("/{workset_id:str}/commands", name="workset-commands")
    async def commands(
        self,
        request: AnyRequest,
        ports: PortsDep,
        principal: PrincipalDep,
        viewer: ViewerDep,
        engine_views: EngineViewsDep,
        workset_id: FromPath[str],
        label: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
    ) -> Template:
        """Provider admins: the ``#command-log`` region (its filters pick the entries out of
        it with ``hx-select``), a full page without htmx; 403 for everyone else."""
        filters = parse_command_filters(label=label, q=q)
        everything, matching = await load_commands(
            ports, engine_views.command_log, principal, workset_id, filters
        )
        return htmx.render(
            request,
            page="worksets/commands.html",
            partial="worksets/_commands.html",
            context={
                "log": present_command_log(workset_id, everything, matching, filters),
                "viewer": viewer,
            },
        )

    @get("/{workset_id:str}/cancel", name="workset-cancel-confirm")
    async def confirm_cancel(
        self,
        request: AnyRequest,
        ports: PortsDep,
        principal: PrincipalDep,
        viewer: ViewerDep,
        workset_id: FromPath[str],
    ) -> Template:
        """The confirmation dialog (a full confirm page without htmx)."""
        found = await get_workset(ports, principal, workset_id)
        return htmx.render(
            request,
            page="worksets/cancel.html",
            partial="dialogs/_cancel.html",
            context={"dialog": present_cancel(found.workset), "viewer": viewer},
        )

    @post("/{workset_id:str}/cancel", name="workset-cancel")
    async def cancel(
        self,
        request: AnyRequest,
        ports: PortsDep,
        principal: PrincipalDep,
        viewer: ViewerDep,
        workset_id: FromPath[str],
        data: FormData,
    ) -> Response[Any]:
        """Closes the dialog, refreshes listeners of ``worksetChanged`` and shows a toast."""
        form = parse_cancel(data)
        if not form.valid:
            found = await get_workset(ports, principal, workset_id)
            dialog = present_cancel(found.workset, reason=form.reason, error=form.error)
            return htmx.render(
                request,
                page="worksets/cancel.html",
                partial="dialogs/_cancel.html",
                status_code=422,
                context={"dialog": dialog, "viewer": viewer},
            )
        result = await cancel_workset(ports, principal, workset_id, reason=form.reason or None)
        toast = cancel_toast(result.workset, result.outcome.value)
        return htmx.after_post(
            request,
            redirect_to=workset_url(workset_id),
            partial="components/_toast.html",
            context={"level": toast.level, "title": toast.title, "message": toast.message},
            headers={**htmx.close_dialog({htmx.WORKSET_CHANGED: workset_id}), **htmx.no_swap()},
        )
