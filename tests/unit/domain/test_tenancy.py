"""One tenancy policy: invisible → NotFound, visible but not allowed → Forbidden."""

from __future__ import annotations

import pytest

from builders import (
    ACME,
    ACME_ADMIN,
    ACME_COLLEAGUE,
    ACME_USER,
    GLOBEX_ADMIN,
    PROVIDER,
    make_workset,
)
from ursa.domain.errors import Forbidden, NotFound
from ursa.domain.principals import Principal, Role, Scope
from ursa.domain.tenancy import Action, authorize, require_role, tenant_filter

WS = make_workset()


@pytest.mark.parametrize(
    ("principal", "action", "error"),
    [
        (ACME_USER, Action.VIEW, None),
        (ACME_USER, Action.CANCEL, None),
        (ACME_USER, Action.IGNORE, Forbidden),
        (ACME_USER, Action.HARD_DELETE, Forbidden),
        (ACME_COLLEAGUE, Action.VIEW, NotFound),
        (ACME_ADMIN, Action.CANCEL, None),
        (ACME_ADMIN, Action.GIVE_UP, None),
        (ACME_ADMIN, Action.OPERATOR_RETRY, Forbidden),
        (GLOBEX_ADMIN, Action.VIEW, NotFound),
        (GLOBEX_ADMIN, Action.CANCEL, NotFound),
        (PROVIDER, Action.OPERATOR_RETRY, None),
    ],
)
def test_authorize(principal: Principal, action: Action, error: type[Exception] | None) -> None:
    if error is None:
        authorize(principal, WS, action)
    else:
        with pytest.raises(error):
            authorize(principal, WS, action)


def test_token_scopes_narrow_the_role() -> None:
    read_only = Principal(
        user_id="u-ca",
        email="ca@acme.example",
        role=Role.CUSTOMER_ADMIN,
        customer_id=ACME,
        scopes=frozenset({Scope.READ}),
    )
    authorize(read_only, WS, Action.VIEW)
    with pytest.raises(Forbidden, match="write"):
        authorize(read_only, WS, Action.CANCEL)


def test_tenant_filter_comes_from_the_principal() -> None:
    assert tenant_filter(PROVIDER) == (None, None)
    assert tenant_filter(ACME_ADMIN) == (ACME, None)
    assert tenant_filter(ACME_USER) == (ACME, "u-cu")


def test_require_role() -> None:
    require_role(PROVIDER, Role.CUSTOMER_ADMIN)
    with pytest.raises(Forbidden):
        require_role(ACME_USER, Role.CUSTOMER_ADMIN)


def test_customer_roles_need_a_customer() -> None:
    with pytest.raises(ValueError, match="customer_id"):
        Principal(user_id="u", email="e@x.example", role=Role.CUSTOMER_USER, customer_id=None)
