"""plan_deletion and delete_cluster on the in-memory product with a recording control plane:
who may, what blocks, what the token binds, when the control plane is asked, the audit."""

from __future__ import annotations

from dataclasses import replace

import pytest

from builders import ACME_ADMIN, ACME_USER, NOW, PROVIDER, make_workset
from service_world import World
from ursa.adapters.pcluster.static import StaticClusterGateway
from ursa.domain.audit import PROVIDER_TENANT
from ursa.domain.cluster_deletion import CONFIRMATION_TTL, plan_digest
from ursa.domain.enums import ProgressStep, WorksetState
from ursa.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from ursa.domain.ports.cluster import ClusterInfo, ClusterStatus, CommandJournal
from ursa.domain.principals import ENGINE, Principal, Scope
from ursa.domain.run_record import HeadNodeRef, Run
from ursa.domain.services.cluster_deletion import delete_cluster, plan_deletion
from ursa.domain.slurm import ClusterSnapshot
from ursa.domain.worksets import HistoryEntry, Transition

KEY = b"s" * 32
REGION, NAME = "us-west-2", "ursa-usw2-202611231015"


class RecordingGateway:
    def __init__(self) -> None:
        self.info = ClusterInfo(
            name=NAME,
            region=REGION,
            status=ClusterStatus.READY,
            head_node=HeadNodeRef(host="203.0.113.10", instance_id="i-0head"),
            fsx_id="fs-0123456789abcdef0",
            tags={"ursa:managed": "true"},
        )
        self.deleted: list[tuple[str, str]] = []

    def regions(self) -> tuple[str, ...]:
        return (REGION,)

    async def list_clusters(
        self, region: str, *, journal: CommandJournal | None = None
    ) -> tuple[ClusterInfo, ...]:
        return (self.info,)

    async def describe(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> ClusterInfo:
        if name != NAME:
            raise NotFound(f"cluster {name} does not exist in {region}")
        return self.info

    async def create(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> None:
        raise AssertionError("not here")

    async def delete(
        self, region: str, name: str, *, journal: CommandJournal | None = None
    ) -> None:
        self.deleted.append((region, name))
        self.info = replace(self.info, status=ClusterStatus.DELETING)


@pytest.fixture
def gateway() -> RecordingGateway:
    return RecordingGateway()


async def _plan(world: World, gateway: RecordingGateway, who: Principal = PROVIDER) -> str:
    c = world.container
    plan = await plan_deletion(c.ports, gateway, c.snapshots, who, REGION, NAME, key=KEY)
    return plan.token


async def _delete(
    world: World, gateway: RecordingGateway, token: str | None, who: Principal = PROVIDER
) -> None:
    await delete_cluster(world.container.ports, gateway, who, REGION, NAME, token, key=KEY)


async def _start_run(world: World, workset_id: str, cluster: str = NAME) -> None:
    run = Run(
        run_id=f"{workset_id}-r1", attempt=1, started_at=NOW, cluster_name=cluster, region=REGION
    )
    ws = make_workset(
        workset_id=workset_id,
        state=WorksetState.IN_PROGRESS,
        current_run_id=run.run_id,
        run=run,
        attempts=1,
        progress_step=ProgressStep.PIPELINE_RUNNING,
        lease_owner="engine-1",
        lease_expires_at=NOW,
    )
    history = HistoryEntry(
        seq=1,
        at=NOW,
        actor=ENGINE,
        event="claim",
        from_state=WorksetState.READY,
        to_state=WorksetState.IN_PROGRESS,
        version_after=1,
    )
    transition = Transition(workset=ws, history=history, events=(), expected_version=None)
    await world.container.ports.worksets.create(transition, [])


@pytest.mark.anyio
async def test_the_plan_shows_what_goes_and_changes_nothing(
    world: World, gateway: RecordingGateway
) -> None:
    c = world.container
    await c.snapshots.put(
        ClusterSnapshot(
            cluster_name=NAME,
            region=REGION,
            generated_at=NOW,
            node_count=12,
            by_state=(("idle", 12),),
            unhappy=(),
        )
    )
    await _start_run(world, "acme-busy-00000001")
    await _start_run(world, "acme-other-00000002", cluster="ursa-usw2-other")
    plan = await plan_deletion(c.ports, gateway, c.snapshots, PROVIDER, REGION, NAME, key=KEY)
    assert plan.target.compute_nodes == 12 and plan.target.fsx_id == "fs-0123456789abcdef0"
    assert plan.target.head_node == gateway.info.head_node
    assert [b.workset_id for b in plan.blocking] == ["acme-busy-00000001"]
    assert not plan.clear
    assert plan.digest == plan_digest(gateway.info)
    assert plan.expires_at == NOW + CONFIRMATION_TTL
    assert gateway.deleted == []
    assert await c.ports.audit.for_tenant(PROVIDER_TENANT) == ()


@pytest.mark.anyio
async def test_a_failed_snapshot_gives_no_node_count(
    world: World, gateway: RecordingGateway
) -> None:
    c = world.container
    failed = ClusterSnapshot(
        cluster_name=NAME,
        region=REGION,
        generated_at=NOW,
        node_count=0,
        by_state=(),
        unhappy=(),
        error="sinfo timed out",
    )
    await c.snapshots.put(failed)
    plan = await plan_deletion(c.ports, gateway, c.snapshots, PROVIDER, REGION, NAME, key=KEY)
    assert plan.target.compute_nodes is None and plan.clear


@pytest.mark.anyio
async def test_delete_asks_once_and_audits_in_the_provider_chain(
    world: World, gateway: RecordingGateway
) -> None:
    token = await _plan(world, gateway)
    world.clock.advance(60)
    accepted = await delete_cluster(
        world.container.ports, gateway, PROVIDER, REGION, NAME, token, key=KEY, request_id="r-1"
    )
    assert (accepted.status, accepted.requested_at) == (ClusterStatus.DELETING, world.clock.now())
    assert gateway.deleted == [(REGION, NAME)]
    (record,) = await world.container.ports.audit.for_tenant(PROVIDER_TENANT)
    assert (record.action, record.target) == ("cluster.delete", f"cluster:{REGION}/{NAME}")
    assert (record.actor_id, record.request_id, record.seq) == (PROVIDER.user_id, "r-1", 1)


@pytest.mark.anyio
async def test_running_worksets_refuse_the_delete_until_they_end(
    world: World, gateway: RecordingGateway
) -> None:
    await _start_run(world, "acme-busy-00000001")
    token = await _plan(world, gateway)
    with pytest.raises(Conflict) as busy:
        await _delete(world, gateway, token)
    assert busy.value.code == "CLUSTER_IN_USE" and "acme-busy-00000001" in busy.value.message
    assert gateway.deleted == []
    ws = await world.container.ports.worksets.get("acme-busy-00000001")
    done = replace(ws, state=WorksetState.CANCELED, current_run_id=None, lease_owner=None)
    await world.container.ports.worksets.save_workset(done, expected_version=ws.version)
    await _delete(world, gateway, token)  # the same plan: the cluster did not change
    assert gateway.deleted == [(REGION, NAME)]


@pytest.mark.anyio
async def test_the_token_expires_after_five_minutes(
    world: World, gateway: RecordingGateway
) -> None:
    token = await _plan(world, gateway)
    world.clock.advance(CONFIRMATION_TTL.total_seconds())
    with pytest.raises(Conflict) as expired:
        await _delete(world, gateway, token)
    assert expired.value.code == "CONFIRMATION_EXPIRED" and gateway.deleted == []


@pytest.mark.anyio
async def test_a_changed_cluster_needs_a_new_plan(world: World, gateway: RecordingGateway) -> None:
    token = await _plan(world, gateway)
    gateway.info = replace(gateway.info, fsx_id="fs-0fedcba9876543210")
    with pytest.raises(Conflict) as stale:
        await _delete(world, gateway, token)
    assert stale.value.code == "CONFIRMATION_STALE" and gateway.deleted == []


@pytest.mark.anyio
@pytest.mark.parametrize("who", [ACME_ADMIN, ACME_USER])
async def test_customers_are_forbidden_before_anything_is_read(
    world: World, gateway: RecordingGateway, who: Principal
) -> None:
    with pytest.raises(Forbidden):
        await _plan(world, gateway, who)
    token = await _plan(world, gateway)
    with pytest.raises(Forbidden):
        await _delete(world, gateway, token, who)
    with pytest.raises(Forbidden):
        await delete_cluster(world.container.ports, None, who, "nowhere", "none", None, key=KEY)
    assert gateway.deleted == []


@pytest.mark.anyio
async def test_a_provider_credential_without_admin_scope_is_forbidden(
    world: World, gateway: RecordingGateway
) -> None:
    read_only = replace(PROVIDER, scopes=frozenset({Scope.READ, Scope.WRITE}))
    with pytest.raises(Forbidden) as caught:
        await _plan(world, gateway, read_only)
    assert caught.value.code == "SCOPE_MISSING"


@pytest.mark.anyio
async def test_token_problems_are_refused_before_the_control_plane_is_asked(
    world: World, gateway: RecordingGateway
) -> None:
    with pytest.raises(InvalidInput):
        await _delete(world, gateway, None)
    other_admin = replace(PROVIDER, user_id="u-pa-2")
    token = await _plan(world, gateway, other_admin)
    with pytest.raises(InvalidInput):
        await _delete(world, gateway, token)
    assert gateway.deleted == []


@pytest.mark.anyio
async def test_unknown_clusters_and_missing_engines(
    world: World, gateway: RecordingGateway
) -> None:
    c = world.container
    with pytest.raises(NotFound):
        await plan_deletion(c.ports, gateway, c.snapshots, PROVIDER, REGION, "nope", key=KEY)
    with pytest.raises(NotFound):
        await plan_deletion(c.ports, gateway, c.snapshots, PROVIDER, "eu-west-1", NAME, key=KEY)
    with pytest.raises(Unavailable):
        await plan_deletion(c.ports, None, c.snapshots, PROVIDER, REGION, NAME, key=KEY)
    with pytest.raises(Unavailable):
        await delete_cluster(c.ports, None, PROVIDER, REGION, NAME, "x", key=KEY)


@pytest.mark.anyio
async def test_a_static_cluster_is_planned_but_its_control_plane_refuses_the_delete(
    world: World,
) -> None:
    static = StaticClusterGateway(
        name="onprem", region=REGION, head_node=HeadNodeRef(host="10.0.0.5")
    )
    c = world.container
    plan = await plan_deletion(c.ports, static, c.snapshots, PROVIDER, REGION, "onprem", key=KEY)
    assert plan.target.static and plan.clear
    with pytest.raises(InvalidInput) as refused:
        await delete_cluster(c.ports, static, PROVIDER, REGION, "onprem", plan.token, key=KEY)
    assert refused.value.issues[0].code == "STATIC_CLUSTER"
    assert await c.ports.audit.for_tenant(PROVIDER_TENANT) == ()  # nothing happened
