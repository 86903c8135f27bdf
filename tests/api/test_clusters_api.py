"""/api/v1/clusters through the real app, with the simulated engine: provider admins see and
refresh cluster health; customers see ready/busy only (DOMAIN.md §13 item 4)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from api_client import SEED_NOW, Api
from app_pool import serving
from ursa.adapters.memory.seed import seed_demo
from ursa.adapters.simulated.cluster import SIM_CLUSTER, SIM_HEAD
from ursa.adapters.simulated.headnode import SIM_NODES
from ursa.app.container import build_in_memory
from ursa.app.engine_settings import EngineSettings
from ursa.app.settings import Environment, Settings

ADMIN, ADA, SAM = "admin@ursa.example", "ada@acme.example", "sam@acme.example"
CUSTOMERS = (ADA, SAM)
PROBLEM = "application/problem+json"
ADMIN_ONLY = ("head_node", "tags", "static", "failure", "snapshot")


@pytest.fixture
def engine_api() -> Iterator[Api]:
    container = build_in_memory(Settings(env=Environment.TEST, engine=EngineSettings(enabled=True)))
    assert container.engine is not None and container.objects is not None
    tokens = asyncio.run(seed_demo(container.ports, container.objects, SEED_NOW))
    with serving(container) as app, TestClient(app) as client:
        yield Api(client=client, container=container, tokens=tokens)


def _cluster_path(api: Api, suffix: str = "") -> str:
    return f"/api/v1/clusters/{api.container.settings.aws_region}/{SIM_CLUSTER}{suffix}"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"] and "Traceback" not in response.text
    return body


def test_admin_lists_and_refreshes_the_simulated_cluster(engine_api: Api) -> None:
    api, auth = engine_api, engine_api.auth(ADMIN)
    listed = api.client.get("/api/v1/clusters", headers=auth)
    assert listed.status_code == 200, listed.text
    (cluster,) = listed.json()
    assert (cluster["name"], cluster["region"]) == (SIM_CLUSTER, api.container.settings.aws_region)
    assert (cluster["status"], cluster["availability"]) == ("ready", "ready")
    assert cluster["head_node"]["host"] == SIM_HEAD.host
    assert cluster["tags"]["ursa:managed"] == "true"

    refreshed = api.client.post(_cluster_path(api, "/snapshot"), headers=auth)
    assert refreshed.status_code == 200, refreshed.text
    snapshot = refreshed.json()
    assert snapshot["node_count"] == len(SIM_NODES) > 0
    assert snapshot["error"] is None and snapshot["warnings"] == []
    assert {c["state"]: c["count"] for c in snapshot["by_state"]} == {
        "alloc": 1,
        "drain": 1,
        "idle": 2,
        "mix": 1,
    }
    (unhappy,) = snapshot["unhappy"]
    assert unhappy["state"] == "drain"
    assert unhappy["reason"] == "Scheduler health check failed"  # in full, not cut at 20
    assert unhappy["user"] == "root" and unhappy["since"] and not unhappy["capacity"]

    one = api.client.get(_cluster_path(api), headers=auth)
    assert one.status_code == 200, one.text
    assert one.json()["snapshot"] == snapshot
    (again,) = api.client.get("/api/v1/clusters", headers=auth).json()
    assert again["snapshot"]["generated_at"] == snapshot["generated_at"]


def test_admin_reads_every_node(engine_api: Api) -> None:
    response = engine_api.client.get(
        _cluster_path(engine_api, "/nodes"), headers=engine_api.auth(ADMIN)
    )
    assert response.status_code == 200, response.text
    nodes = {n["name"]: n for n in response.json()}
    assert list(nodes) == [n.name for n in SIM_NODES]
    drained = nodes["i192-dy-c7gb384-3"]
    assert drained["flags"] == ["CLOUD", "DRAIN"]
    assert drained["reason"] == "Scheduler health check failed"
    assert nodes["i8-dy-r6gb64-2"]["never_booted"] is True
    assert drained["fields"]["NodeAddr"].startswith("10.")


@pytest.mark.parametrize("email", CUSTOMERS)
def test_customers_see_ready_or_busy_only(engine_api: Api, email: str) -> None:
    api = engine_api
    assert api.client.post(_cluster_path(api, "/snapshot"), headers=api.auth(ADMIN)).is_success
    listed = api.client.get("/api/v1/clusters", headers=api.auth(email))
    assert listed.status_code == 200, listed.text
    (cluster,) = listed.json()
    assert cluster == {
        "name": SIM_CLUSTER,
        "region": api.container.settings.aws_region,
        "status": "ready",
        "availability": "ready",
    }
    one = api.client.get(_cluster_path(api), headers=api.auth(email))
    assert one.status_code == 200 and one.json() == cluster
    for text in (listed.text, one.text):
        assert SIM_HEAD.host not in text and "i192-dy" not in text and "Scheduler" not in text
        assert not any(key in text for key in ADMIN_ONLY)


@pytest.mark.parametrize("email", CUSTOMERS)
def test_customers_get_403_on_refresh_and_nodes(engine_api: Api, email: str) -> None:
    api = engine_api
    before = asyncio.run(api.container.snapshots.all_latest())  # the engine's periodic one
    refused = api.client.post(_cluster_path(api, "/snapshot"), headers=api.auth(email))
    assert _problem(refused, 403)["code"] == "FORBIDDEN"
    nodes = api.client.get(_cluster_path(api, "/nodes"), headers=api.auth(email))
    assert _problem(nodes, 403)["code"] == "FORBIDDEN"
    assert "i192-dy" not in nodes.text
    assert asyncio.run(api.container.snapshots.all_latest()) == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/clusters/us-west-2/ursa-sim-99",
        "/api/v1/clusters/eu-north-1/ursa-sim-01",
    ],
)
def test_unknown_clusters_are_404(engine_api: Api, path: str) -> None:
    auth = engine_api.auth(ADMIN)
    for method, suffix in (("GET", ""), ("POST", "/snapshot"), ("GET", "/nodes")):
        response = engine_api.client.request(method, path + suffix, headers=auth)
        body = _problem(response, 404)
        assert body["code"] == "NOT_FOUND" and body["instance"] == path + suffix


def test_unauthenticated_is_401(engine_api: Api) -> None:
    _problem(engine_api.client.get("/api/v1/clusters"), 401)
    _problem(engine_api.client.post(_cluster_path(engine_api, "/snapshot")), 401)


def test_without_an_engine_list_uses_snapshots_and_commands_are_503(api: Api) -> None:
    assert api.container.engine is None
    assert api.client.get("/api/v1/clusters", headers=api.auth(ADMIN)).json() == []
    for method, suffix in (("POST", "/snapshot"), ("GET", "/nodes")):
        response = api.client.request(method, _cluster_path(api, suffix), headers=api.auth(ADMIN))
        body = _problem(response, 503)
        assert body["code"] == "UNAVAILABLE" and "engine" in body["detail"]
    refused = api.client.post(_cluster_path(api, "/snapshot"), headers=api.auth(SAM))
    _problem(refused, 403)


def test_openapi_names_the_cluster_operations(engine_api: Api) -> None:
    schema = engine_api.client.get("/schema/openapi.json").json()
    operations = {
        op["operationId"]: op
        for path in schema["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    names = {"listClusters", "getCluster", "refreshClusterSnapshot", "listClusterNodes"}
    assert names <= set(operations)
    assert all(operations[name]["tags"] == ["clusters"] for name in names)
