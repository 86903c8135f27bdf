"""The one place that reads and writes HX-* headers (ARCHITECTURE §6).

Controllers ask ``wants_partial`` whether to render a region or the whole page, and build
response headers with ``hx_trigger`` / ``close_dialog`` / ``no_swap``; ``navigate`` leaves the
page. No other module mentions an ``HX-`` header name."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from litestar import Request, Response
from litestar.plugins.htmx import HTMXHeaders, HTMXRequest
from litestar.response import Redirect, Template

CLOSE_DIALOG = "closeDialog"
WORKSET_CHANGED = "worksetChanged"


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """True for any request sent by htmx (boosted navigation included)."""
    if isinstance(request, HTMXRequest):
        return bool(request.htmx)
    return request.headers.get(HTMXHeaders.REQUEST.value.lower()) == "true"


def wants_partial(request: Request[Any, Any, Any]) -> bool:
    """An htmx request for a region: not a boosted navigation, not a history restore.

    Boosted links and history-cache misses expect the full page."""
    if not isinstance(request, HTMXRequest) or not request.htmx:
        return False
    return not (request.htmx.boosted or request.htmx.history_restore_request)


def hx_trigger(events: Mapping[str, object]) -> dict[str, str]:
    """``HX-Trigger`` with several client events at once, e.g. ``{"worksetChanged": id}``."""
    return {HTMXHeaders.TRIGGER_EVENT.value: json.dumps(dict(events), separators=(",", ":"))}


def close_dialog(events: Mapping[str, object] | None = None) -> dict[str, str]:
    """Close the open dialog (see ``static/js/ursa.js``) and fire ``events`` alongside."""
    return hx_trigger({CLOSE_DIALOG: True, **(events or {})})


def no_swap() -> dict[str, str]:
    """Keep the target as it is; out-of-band swaps (toasts) are still applied."""
    return {HTMXHeaders.RE_SWAP.value: "none"}


def render(
    request: Request[Any, Any, Any],
    *,
    page: str,
    partial: str,
    context: Mapping[str, Any],
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Template:
    """The partial for an htmx region request, the full page otherwise."""
    name = partial if wants_partial(request) else page
    return Template(
        template_name=name,
        context=dict(context),
        status_code=status_code,
        headers=dict(headers or {}),
    )


def after_post(
    request: Request[Any, Any, Any],
    *,
    redirect_to: str,
    partial: str,
    context: Mapping[str, Any],
    headers: Mapping[str, str],
) -> Template | Redirect:
    """Post/redirect/get for plain form posts; for htmx, a partial with ``headers``."""
    if is_htmx(request) and not _boosted(request):
        return Template(template_name=partial, context=dict(context), headers=dict(headers))
    return Redirect(path=redirect_to, status_code=303)


def navigate(request: Request[Any, Any, Any], path: str) -> Response[Any]:
    """Leave the page for ``path``: a 303 for plain and boosted posts; for an htmx request
    aimed at a region, ``HX-Redirect`` (a full page load), because a followed 303 would swap
    the next page into the region."""
    if wants_partial(request):
        return Response(content=None, status_code=200, headers={HTMXHeaders.REDIRECT.value: path})
    return Redirect(path=path, status_code=303)


def _boosted(request: Request[Any, Any, Any]) -> bool:
    return isinstance(request, HTMXRequest) and request.htmx.boosted
