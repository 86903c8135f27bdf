"""``MATRIX``: every area's rows in one table (a route in two areas is an error), the known
bugs, and the app's own route table that every row must match."""

from __future__ import annotations

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from matrix_accounts import ACCOUNT_ROWS, BILLING_ROWS
from matrix_buckets import BUCKET_ROWS
from matrix_core import API_ROWS, CLUSTER_DELETION_ROWS, LIST_FILTER_ROWS, PUBLIC_ROWS
from matrix_manifests import MANIFEST_ROWS
from matrix_portal import PORTAL_ROWS
from matrix_vocabulary import Rows, merged
from matrix_workset_actions import ACTION_ROWS
from tenancy_world import route_table_container

from ursa.app.factory import create_app

MATRIX: Rows = merged(
    API_ROWS,
    ACTION_ROWS,
    LIST_FILTER_ROWS,
    MANIFEST_ROWS,
    ACCOUNT_ROWS,
    BUCKET_ROWS,
    BILLING_ROWS,
    CLUSTER_DELETION_ROWS,
    PORTAL_ROWS,
    PUBLIC_ROWS,
)
"""(method, path template) → its row; the rows live with their area's checks."""

KNOWN_BUGS: dict[tuple[str, str, str, bool], str] = {}
"""(method, route, caller, htmx) → why the app answers otherwise than the matrix says."""


# -- the route table ----------------------------------------------------------------------------

FRAMEWORK_PATHS = ("/schema", "/static/")
AUTOMATIC_METHODS = frozenset({"HEAD", "OPTIONS"})


def _framework_owned(handler: HTTPRouteHandler) -> bool:
    return str(getattr(handler.fn, "__module__", "")).startswith("litestar.")


def discovered_routes(app: Litestar) -> set[tuple[str, str]]:
    """Every (method, path template) the app serves, except what Litestar itself adds: the
    OpenAPI pages, static files, and automatic HEAD/OPTIONS answers. A handler of Ursa's own
    is never skipped, whatever its path or method."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        handlers = getattr(route, "route_handlers", None)
        if handlers is None:  # a websocket or mounted ASGI app: it needs a row as well
            found.add(("*", route.path))
            continue
        for handler in handlers:
            for method in handler.http_methods:
                skipped = route.path.startswith(FRAMEWORK_PATHS) or method in AUTOMATIC_METHODS
                if not (skipped and _framework_owned(handler)):
                    found.add((method, route.path))
    return found


def all_routes() -> set[tuple[str, str]]:
    """The dev table (dev sign-in, the twin's object URLs) and the production-shaped ones
    (email + password sign-in, or none configured)."""
    shapes = ((True, False), (False, False), (False, True))
    return {
        route
        for dev_sign_in, passwords in shapes
        for route in discovered_routes(
            create_app(route_table_container(dev_sign_in=dev_sign_in, passwords=passwords))
        )
    }
