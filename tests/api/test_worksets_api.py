"""/api/v1/worksets through the real app: schemas, problem details, auth and tenancy."""

from __future__ import annotations

import asyncio

from api_client import Api

SAM, ADA, GIL, UMA, PAT = (
    "sam@acme.example",
    "ada@acme.example",
    "gil@globex.example",
    "uma@globex.example",
    "admin@ursa.example",
)
PROBLEM = "application/problem+json"


def _ids(api: Api, email: str, **params: str) -> set[str]:
    response = api.client.get(
        "/api/v1/worksets",
        headers=api.auth(email),
        params={"limit": "100", "include_archived": "true", **params},
    )
    assert response.status_code == 200, response.text
    return {w["workset_id"] for w in response.json()["items"]}


def test_each_token_sees_only_its_tenant(api: Api) -> None:
    acme, globex, everyone = _ids(api, ADA), _ids(api, GIL), _ids(api, PAT)
    assert acme and globex and not acme & globex
    assert acme | globex == everyone and len(everyone) == 25
    sam = _ids(api, SAM)
    assert sam < acme
    for row in api.client.get(
        "/api/v1/worksets", headers=api.auth(SAM), params={"limit": "100"}
    ).json()["items"]:
        assert (
            row["owner_user_id"]
            == api.client.get("/api/v1/worksets", headers=api.auth(SAM)).json()["items"][0][
                "owner_user_id"
            ]
        )


def test_other_customer_gets_404_for_every_workset_route(api: Api) -> None:
    for workset_id in _ids(api, GIL):
        for path in ("", "/samples", "/history"):
            response = api.client.get(f"/api/v1/worksets/{workset_id}{path}", headers=api.auth(ADA))
            assert response.status_code == 404, path
            assert response.headers["content-type"].startswith(PROBLEM)
        cancel = api.client.post(f"/api/v1/worksets/{workset_id}/cancel", headers=api.auth(ADA))
        assert cancel.status_code == 404


def test_a_customer_user_cannot_see_a_colleague(api: Api) -> None:
    colleague_only = _ids(api, ADA) - _ids(api, SAM)
    assert colleague_only
    for workset_id in colleague_only:
        response = api.client.get(f"/api/v1/worksets/{workset_id}", headers=api.auth(SAM))
        assert response.status_code == 404


def test_filters_and_pages(api: Api) -> None:
    ready = api.client.get(
        "/api/v1/worksets",
        headers=api.auth(PAT),
        params={"state": ["ready", "retrying"], "limit": "100"},
    ).json()
    assert {w["state"] for w in ready["items"]} == {"ready", "retrying"}
    urgent = api.client.get(
        "/api/v1/worksets", headers=api.auth(PAT), params={"priority": "urgent"}
    ).json()["items"]
    assert urgent and all(w["priority"] == "urgent" for w in urgent)
    assert _ids(api, PAT, q="trio") and all("trio" in i for i in _ids(api, PAT, q="trio"))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "4", **({"cursor": cursor} if cursor else {})}
        page = api.client.get("/api/v1/worksets", headers=api.auth(PAT), params=params).json()
        seen += [w["workset_id"] for w in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 23  # archived and deleted are hidden by default


def test_unknown_enum_values_are_422_problems(api: Api) -> None:
    response = api.client.get(
        "/api/v1/worksets", headers=api.auth(PAT), params={"priority": "high"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR" and "urgent, normal, low" in body["detail"]
    assert body["errors"][0]["field"] == "priority"


def test_anonymous_and_bad_tokens_are_401(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer urs_nope"}, {"X-API-Key": "garbage"}):
        response = api.client.get("/api/v1/worksets", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith(PROBLEM)
        assert "Traceback" not in response.text
    alias = api.client.get("/api/v1/worksets", headers={"X-API-Key": api.tokens[SAM]})
    assert alias.status_code == 200


def test_request_id_is_echoed_or_generated(api: Api) -> None:
    echoed = api.client.get("/healthz", headers={"X-Request-ID": "req-12345678"})
    assert echoed.headers["x-request-id"] == "req-12345678"
    generated = api.client.get("/healthz", headers={"X-Request-ID": "bad id!"})
    assert generated.headers["x-request-id"] != "bad id!"


def test_health_and_openapi(api: Api) -> None:
    assert api.client.get("/healthz").json()["status"] == "ok"
    ready = api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"directory": "ok", "rate_limits": "ok"}
    schema = api.client.get("/schema/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    operations = {
        op["operationId"]
        for path in schema["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert {"submitWorkset", "listWorksets", "getWorkset", "cancelWorkset"} <= operations
    assert "SubmitWorkset" in schema["components"]["schemas"]
    assert not any(p.startswith("/worksets") or p == "/sign-in" for p in schema["paths"])


def test_audit_records_name_the_request_that_made_them(api: Api) -> None:
    listed = api.client.get(
        "/api/v1/worksets", headers=api.auth(SAM), params={"state": "error"}
    ).json()["items"]
    workset_id, customer_id = listed[0]["workset_id"], listed[0]["customer_id"]
    response = api.client.post(
        f"/api/v1/worksets/{workset_id}/cancel",
        headers={**api.auth(SAM), "X-Request-ID": "req-audit-0001"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Request-ID"] == "req-audit-0001"
    head = asyncio.run(api.container.ports.audit.head(customer_id))
    assert head is not None
    assert (head.action, head.target, head.request_id) == (
        "workset.cancel",
        f"workset:{workset_id}",
        "req-audit-0001",
    )


def test_anonymous_requests_get_401_before_their_input_is_checked(api: Api) -> None:
    """Authentication is a guard, so it runs before Litestar parses bodies and parameters."""
    malformed = api.client.post(
        "/api/v1/worksets", content=b"\x00 not json", headers={"Idempotency-Key": "x"}
    )
    missing_param = api.client.get("/api/v1/worksets/anything/results/download")
    for response in (malformed, missing_param):
        assert response.status_code == 401, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["code"] == "UNAUTHENTICATED"
