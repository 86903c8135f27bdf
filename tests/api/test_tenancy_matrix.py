"""The tenancy matrix: every route of the app × every kind of caller → the status it answers.

The routes come from the app's own route table, so a new route without a row in ``MATRIX``
fails ``test_every_route_has_a_row``. The subject of every row is one workset owned by an
Acme ``customer_user`` (see ``tenancy_world``). The rules:

* the owner sees and acts on their own worksets, the customer admin on all of the
  customer's, the provider admin on everything;
* a colleague (another ``customer_user`` of the same customer) and another tenant get 404:
  no existence leak, and a refused write changes nothing;
* a visible workset whose action the role lacks (the command log) is 403;
* anonymous callers get 401 on the API; portal pages send them to sign-in (303, or 200 with
  ``HX-Redirect`` for htmx requests).

GET cells share one seeded world (with the simulated engine running, for the cluster
routes); every other cell gets a freshly seeded world of its own, so cells stay independent
(only the app, which holds no product state, is reused: see ``app_pool``).

The rows live with their area's payloads and checks: ``matrix_core`` (worksets, clusters,
health), ``matrix_workset_actions``, ``matrix_manifests``, ``matrix_accounts`` (and billing),
``matrix_buckets`` and ``matrix_portal``, in the words of ``matrix_vocabulary``;
``matrix_table`` merges them into ``MATRIX`` next to the route table, ``matrix_cells`` runs
one cell. A new route gets its row under its section's comment in its area's module; a new
area gets a ``matrix_<area>.py`` whose rows are added to the merge in ``matrix_table``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from matrix_cells import cell_params, run_cell
from matrix_table import KNOWN_BUGS, MATRIX, all_routes
from matrix_vocabulary import SIGN_IN_PAGE, Payload
from tenancy_world import ANONYMOUS, PRINCIPALS, PROVIDER_ADMIN, SIGN_IN, World, open_world


def test_every_route_has_a_row() -> None:
    routes = all_routes()
    missing = sorted(routes - set(MATRIX))
    extra = sorted(set(MATRIX) - routes)
    assert not missing and not extra, (
        f"routes without a row in MATRIX: {missing}; rows without a route: {extra}"
    )


def test_every_row_names_every_caller() -> None:
    for route, row in MATRIX.items():
        assert set(row.expect) == set(PRINCIPALS), route
        # A write's row says what it may (not) change; reads share one world.
        assert route[0] == "GET" or row.check is not None, route
    for method, template, principal, htmx in KNOWN_BUGS:
        assert (method, template) in MATRIX and principal in PRINCIPALS
        assert not htmx or MATRIX[(method, template)].htmx


@pytest.fixture(scope="module")
def shared_world() -> Iterator[World]:
    """One seeded world, engine running, for every read: GETs change nothing a cell sees."""
    with open_world(engine=True) as world:
        yield world


@pytest.mark.parametrize(("route", "principal", "htmx"), cell_params(reads=True))
def test_read(shared_world: World, route: tuple[str, str], principal: str, htmx: bool) -> None:
    run_cell(shared_world, route, principal, htmx)


@pytest.mark.parametrize(("route", "principal", "htmx"), cell_params(reads=False))
def test_write(route: tuple[str, str], principal: str, htmx: bool) -> None:
    with open_world(engine=MATRIX[route].engine, passwords=MATRIX[route].passwords) as world:
        run_cell(world, route, principal, htmx)


# -- credentials do not cross surfaces ----------------------------------------------------------


def test_sessions_do_not_open_the_api_and_tokens_do_not_open_the_portal() -> None:
    """The API is CSRF-exempt, so a portal session must never authenticate it; and an API
    token is no portal session."""
    with open_world(engine=False) as world:
        for method, template in MATRIX:
            url = world.url(template)
            if template.startswith("/api/"):
                row = MATRIX[(method, template)]
                payload = row.payload(world, PROVIDER_ADMIN) if row.payload else Payload()
                world.client.cookies = world.jar(PROVIDER_ADMIN)
                # The row's whole request (query included), minus the token.
                response = world.client.request(
                    method, url, params=row.query, json=payload.json, headers=payload.headers
                )
                assert response.status_code == 401, (method, url)
            elif MATRIX[(method, template)].expect[ANONYMOUS] == SIGN_IN_PAGE and method == "GET":
                world.client.cookies = world.jar(ANONYMOUS)
                token = {"Authorization": f"Bearer {world.tokens[PROVIDER_ADMIN]}"}
                response = world.client.request(method, url, headers=token)
                assert (response.status_code, response.headers.get("location")) == (303, SIGN_IN)
        assert world.stored() == world.subject
