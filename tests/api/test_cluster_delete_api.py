"""Two-step cluster deletion through the real app: a plan with a confirmation token, then a
DELETE carrying it. Provider admins only; refused while worksets run on the cluster, for a
token that is missing, not theirs, expired or stale; the control plane is asked only when
every check passed, and the request is audited in the provider's chain."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from api_client import SEED_NOW, Api
from app_pool import serving
from ursa.adapters.memory.seed import seed_demo
from ursa.adapters.simulated.cluster import SIM_CLUSTER
from ursa.app.api.clusters import deletion_key
from ursa.app.container import build_in_memory
from ursa.app.engine_settings import EngineSettings
from ursa.app.settings import Environment, Settings
from ursa.domain.audit import PROVIDER_TENANT
from ursa.domain.cluster_deletion import issue_token, plan_digest
from ursa.domain.ports.cluster import (
    ClusterGateway,
    ClusterInfo,
    ClusterStatus,
    CommandJournal,
)
from ursa.domain.principals import Scope
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.services.auth import issue_token as issue_api_token
from ursa.domain.slurm import ClusterSnapshot

ADMIN, ADA, SAM = "admin@ursa.example", "ada@acme.example", "sam@acme.example"
PROBLEM = "application/problem+json"
HEADER = "X-Confirmation-Token"
SPARE = "scratch-usw2-01"
FSX = "fs-0123456789abcdef0"


class SpareCluster:
    """The simulated control plane plus an unmanaged spare cluster that may be deleted. Not
    tagged ``ursa:managed``, so the engine never runs work on it; it records every delete."""

    def __init__(self, sim: ClusterGateway, region: str) -> None:
        self.sim = sim
        self.spare = ClusterInfo(
            name=SPARE,
            region=region,
            status=ClusterStatus.READY,
            head_node=HeadNodeRef(host="198.51.100.20", instance_id="i-0spare0head"),
            fsx_id=FSX,
        )
        self.deleted: list[tuple[str, str]] = []

    def regions(self) -> tuple[str, ...]:
        return self.sim.regions()

    async def list_clusters(
        self, region: str, *, journal: CommandJournal | None = None
    ) -> tuple[ClusterInfo, ...]:
        listed = await self.sim.list_clusters(region, journal=journal)
        return (*listed, self.spare) if region == self.spare.region else listed

    async def describe(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> ClusterInfo:
        if (region, name) == (self.spare.region, SPARE):
            return self.spare
        return await self.sim.describe(region, name, journal=journal)

    async def create(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> None:
        raise AssertionError("no cluster is created here")

    async def delete(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> None:
        self.deleted.append((region, name))
        if (region, name) == (self.spare.region, SPARE):
            self.spare = replace(self.spare, status=ClusterStatus.DELETING)
            return
        await self.sim.delete(region, name, journal=journal)


@dataclass
class World:
    api: Api
    gateway: SpareCluster

    @property
    def region(self) -> str:
        return self.api.container.settings.aws_region

    def url(self, name: str = SPARE, suffix: str = "", region: str | None = None) -> str:
        return f"/api/v1/clusters/{region or self.region}/{name}{suffix}"

    def plan(self, email: str = ADMIN, name: str = SPARE) -> Any:
        return self.api.client.post(self.url(name, "/delete-plan"), headers=self.api.auth(email))

    def token(self, email: str = ADMIN, name: str = SPARE) -> str:
        planned = self.plan(email, name)
        assert planned.status_code == 200, planned.text
        token: str = planned.json()["confirmation_token"]
        return token

    def delete(self, token: str | None, email: str = ADMIN, name: str = SPARE) -> Any:
        headers = {**self.api.auth(email), **({HEADER: token} if token is not None else {})}
        return self.api.client.delete(self.url(name), headers=headers)

    def run(self, coroutine: Any) -> Any:
        return asyncio.run(coroutine)


@pytest.fixture
def world() -> Iterator[World]:
    container = build_in_memory(Settings(env=Environment.TEST, engine=EngineSettings(enabled=True)))
    assert container.engine is not None and container.objects is not None
    gateway = SpareCluster(container.engine.clusters, container.settings.aws_region)
    container = replace(container, engine=replace(container.engine, clusters=gateway))
    tokens = asyncio.run(seed_demo(container.ports, container.objects, SEED_NOW))
    # A reading from the future: the engine's own snapshots never replace it.
    spare_nodes = ClusterSnapshot(
        cluster_name=SPARE,
        region=container.settings.aws_region,
        generated_at=datetime.now(UTC) + timedelta(days=1),
        node_count=7,
        by_state=(("idle", 7),),
        unhappy=(),
    )
    asyncio.run(container.snapshots.put(spare_nodes))
    with serving(container) as app, TestClient(app) as client:
        yield World(Api(client=client, container=container, tokens=tokens), gateway)


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def _field_problem(response: Any, code: str) -> None:
    body = _problem(response, 422, "VALIDATION_ERROR")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("confirmation_token", code)]


# --- the happy path ------------------------------------------------------------------------


def test_plan_then_delete_asks_the_control_plane_once_and_audits(world: World) -> None:
    planned = world.plan()
    assert planned.status_code == 200, planned.text
    plan = planned.json()
    assert (plan["name"], plan["region"], plan["status"]) == (SPARE, world.region, "ready")
    assert plan["head_node"]["host"] == "198.51.100.20"
    assert plan["head_node"]["instance_id"] == "i-0spare0head"
    assert (plan["compute_nodes"], plan["fsx_id"], plan["static"]) == (7, FSX, False)
    assert plan["blocking_worksets"] == [] and plan["clear_to_delete"] is True
    expires = datetime.fromisoformat(plan["expires_at"])
    assert timedelta(minutes=4) < expires - datetime.now(UTC) <= timedelta(minutes=5)
    assert world.gateway.deleted == []  # a plan changes nothing

    deleted = world.delete(plan["confirmation_token"])
    assert deleted.status_code == 202, deleted.text
    body = deleted.json()
    assert (body["name"], body["region"], body["status"]) == (SPARE, world.region, "deleting")
    assert world.gateway.deleted == [(world.region, SPARE)]

    audit = world.run(world.api.container.ports.audit.for_tenant(PROVIDER_TENANT, limit=100))
    (record,) = [r for r in audit if r.action == "cluster.delete"]
    assert record.target == f"cluster:{world.region}/{SPARE}"
    assert record.actor_id.startswith("tok-")  # the admin's API token
    assert record.before_digest and record.after_digest

    # The same token again: the cluster is no longer the one planned (it is deleting).
    _problem(world.delete(plan["confirmation_token"]), 409, "CONFIRMATION_STALE")
    assert len(world.gateway.deleted) == 1
    replan = world.plan().json()
    assert (replan["status"], replan["clear_to_delete"]) == ("deleting", False)
    _problem(world.delete(replan["confirmation_token"]), 409, "CLUSTER_DELETING")
    assert len(world.gateway.deleted) == 1


def test_the_delete_is_documented_with_its_header(world: World) -> None:
    schema = world.api.client.get("/schema/openapi.json").json()
    operation = schema["paths"]["/api/v1/clusters/{region}/{name}"]["delete"]
    assert operation["operationId"] == "deleteCluster"
    (header,) = [p for p in operation["parameters"] if p["in"] == "header"]
    assert header["name"] == HEADER and header["required"] is False
    assert "202" in operation["responses"]
    plan = schema["paths"]["/api/v1/clusters/{region}/{name}/delete-plan"]["post"]
    assert plan["operationId"] == "planClusterDeletion"


# --- refusals: nothing is deleted ------------------------------------------------------------


def test_running_worksets_block_the_delete_and_are_listed(world: World) -> None:
    plan = world.plan(name=SIM_CLUSTER).json()
    running = world.run(world.api.container.ports.worksets.leased())
    on_sim = sorted(
        ws.workset_id for ws in running if ws.run is not None and ws.run.cluster_name == SIM_CLUSTER
    )
    assert on_sim, "the seed runs worksets on the simulated cluster"
    listed = [w["workset_id"] for w in plan["blocking_worksets"]]
    assert set(listed) <= set(on_sim) and listed  # any may finish between the two reads
    assert all(w["state"] == "in_progress" for w in plan["blocking_worksets"])
    assert plan["clear_to_delete"] is False and plan["static"] is True
    body = _problem(
        world.delete(plan["confirmation_token"], name=SIM_CLUSTER), 409, "CLUSTER_IN_USE"
    )
    assert listed[0] in body["detail"]
    assert world.gateway.deleted == []


@pytest.mark.parametrize("email", [ADA, SAM])
def test_customers_may_neither_plan_nor_delete(world: World, email: str) -> None:
    _problem(world.plan(email), 403, "FORBIDDEN")
    _problem(world.delete(world.token(), email), 403, "FORBIDDEN")  # even with a valid token
    _problem(world.delete(None, email, name="no-such-cluster"), 403, "FORBIDDEN")  # no leak
    assert world.gateway.deleted == []


def test_a_missing_or_malformed_token_is_a_field_error(world: World) -> None:
    _field_problem(world.delete(None), "REQUIRED")
    _field_problem(world.delete(""), "REQUIRED")
    _field_problem(world.delete("v1.123.abc"), "MALFORMED")
    too_long = world.delete("x" * 300)
    assert too_long.status_code == 422, too_long.text
    assert world.gateway.deleted == []


def test_a_token_is_bound_to_its_cluster_and_its_admin(world: World) -> None:
    sim_token = world.token(name=SIM_CLUSTER)
    _field_problem(world.delete(sim_token), "NOT_YOURS")  # planned for another cluster
    container = world.api.container
    admin = world.run(container.ports.directory.user_by_email(ADMIN))
    other = replace(admin, user_id="0f0f0f0f-0000-4000-8000-000000000002", email="ops@ursa.example")
    world.run(container.ports.directory.put_user(other))
    secret, _ = world.run(issue_api_token(container.ports, other, name="ops"))
    world.api.tokens[other.email] = secret
    _field_problem(world.delete(world.token(), other.email), "NOT_YOURS")  # planned by another
    tampered = world.token()
    expires, rest = tampered.split(".", 2)[1], tampered.split(".", 2)[2]
    _field_problem(world.delete(f"v1.{int(expires) + 3600}.{rest}"), "NOT_YOURS")  # stretched
    assert world.gateway.deleted == []


def test_an_expired_token_is_a_conflict(world: World) -> None:
    settings = world.api.container.settings
    admin = world.run(world.api.container.ports.directory.user_by_email(ADMIN))
    expired = issue_token(
        deletion_key(settings.session_secret),
        region=world.region,
        name=SPARE,
        principal_id=admin.user_id,
        digest=plan_digest(world.gateway.spare),
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    _problem(world.delete(expired), 409, "CONFIRMATION_EXPIRED")
    assert world.gateway.deleted == []


def test_a_cluster_that_changed_since_the_plan_needs_a_new_plan(world: World) -> None:
    token = world.token()
    head = world.gateway.spare.head_node
    assert head is not None
    world.gateway.spare = replace(
        world.gateway.spare, head_node=replace(head, instance_id="i-0replaced")
    )
    _problem(world.delete(token), 409, "CONFIRMATION_STALE")
    assert world.gateway.deleted == []
    assert world.delete(world.token()).status_code == 202
    assert world.gateway.deleted == [(world.region, SPARE)]


def test_a_read_only_admin_token_may_not_delete(world: World) -> None:
    container = world.api.container
    admin = world.run(container.ports.directory.user_by_email(ADMIN))
    secret, _ = world.run(
        issue_api_token(container.ports, admin, name="ro", scopes=frozenset({Scope.READ}))
    )
    headers = {"Authorization": f"Bearer {secret}"}
    planned = world.api.client.post(world.url(suffix="/delete-plan"), headers=headers)
    _problem(planned, 403, "SCOPE_MISSING")
    deleted = world.api.client.delete(world.url(), headers={**headers, HEADER: world.token()})
    _problem(deleted, 403, "SCOPE_MISSING")
    assert world.gateway.deleted == []


@pytest.mark.parametrize(("name", "region"), [("no-such-cluster", None), (SPARE, "eu-north-1")])
def test_an_unknown_cluster_is_not_found(world: World, name: str, region: str | None) -> None:
    planned = world.api.client.post(
        world.url(name, "/delete-plan", region), headers=world.api.auth(ADMIN)
    )
    _problem(planned, 404, "NOT_FOUND")


def test_without_the_engine_there_is_no_control_plane(api: Api) -> None:
    region = api.container.settings.aws_region
    url = f"/api/v1/clusters/{region}/{SIM_CLUSTER}"
    _problem(api.client.post(f"{url}/delete-plan", headers=api.auth(ADMIN)), 503, "UNAVAILABLE")
    token = f"v1.9999999999.{'0' * 32}.{'A' * 43}"
    deleted = api.client.delete(url, headers={**api.auth(ADMIN), HEADER: token})
    _problem(deleted, 503, "UNAVAILABLE")
