"""ClusterGateway adapters: PclusterGateway against a fake ``pcluster`` executable (canned
fixture JSON and exit codes per subcommand), and StaticClusterGateway."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from journals import RecordingJournal
from ursa.adapters.pcluster import (
    HeadNodeAddress,
    PclusterGateway,
    PclusterSettings,
    StaticClusterGateway,
)
from ursa.domain.errors import Forbidden, InvalidInput, NotFound, Unavailable, UrsaError
from ursa.domain.ports import ClusterGateway
from ursa.domain.ports.cluster import ClusterStatus
from ursa.domain.run_record import HeadNodeRef

pytestmark = pytest.mark.anyio

REGION = "us-west-2"
CLUSTER = "daylily-usw2d-01"
FAKE_PCLUSTER = """#!{python}
import json, os, sys, time
REPLIES = json.loads({replies!r})
args = sys.argv[1:]
with open({calls!r}, "a") as calls:
    env = {{k: os.environ.get(k) for k in ("AWS_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL")}}
    calls.write(json.dumps({{"argv": args, "env": env, "pid": os.getpid()}}) + "\\n")
def value(flag):
    return args[args.index(flag) + 1] if flag in args else None
keys = [f"{{args[0]}} {{value(f)}}" for f in ("--cluster-name", "--next-token") if value(f)]
reply = next((REPLIES[k] for k in keys if k in REPLIES), REPLIES.get(args[0]))
if reply is None:
    print(json.dumps({{"message": "no canned reply for " + " ".join(args)}}))
    sys.exit(2)
time.sleep(reply.get("sleep", 0))
sys.stdout.write(reply["stdout"])
sys.exit(reply.get("exit", 0))
"""


@dataclass
class FakePcluster:
    path: Path
    calls_file: Path

    def calls(self) -> list[dict[str, Any]]:
        if not self.calls_file.exists():
            return []
        return [json.loads(line) for line in self.calls_file.read_text().splitlines()]


def reply(stdout: str, exit_code: int = 0, sleep: float = 0) -> dict[str, Any]:
    return {"stdout": stdout, "exit": exit_code, "sleep": sleep}


def fixture_reply(fixtures_dir: Path, name: str, exit_code: int = 0) -> dict[str, Any]:
    return reply((fixtures_dir / "pcluster" / name).read_text(), exit_code)


def message(text: str) -> str:
    return json.dumps({"message": text})


@pytest.fixture
def fake_pcluster(tmp_path: Path) -> Any:
    def write(replies: Mapping[str, dict[str, Any]]) -> FakePcluster:
        path = tmp_path / "pcluster"
        calls = tmp_path / "calls.jsonl"
        text = FAKE_PCLUSTER.format(
            python=sys.executable, replies=json.dumps(replies), calls=str(calls)
        )
        path.write_text(text)
        path.chmod(0o755)
        return FakePcluster(path=path, calls_file=calls)

    return write


def gateway(fake: FakePcluster, **overrides: Any) -> PclusterGateway:
    settings: dict[str, Any] = {
        "pcluster_path": str(fake.path),
        "regions": (REGION, "us-east-1"),
        "cluster_config": "/etc/ursa/cluster-{region}.yaml",
        "profile": "ursa-prod",
        "timeout_s": 10.0,
    }
    return PclusterGateway(PclusterSettings(**(settings | overrides)))


@pytest.fixture
def healthy(fake_pcluster: Any, fixtures_dir: Path) -> FakePcluster:
    fake: FakePcluster = fake_pcluster(
        {
            "list-clusters": fixture_reply(fixtures_dir, "list_clusters.json"),
            "describe-cluster": fixture_reply(fixtures_dir, "describe_cluster.json"),
            "describe-cluster daylily-usw2d-02": fixture_reply(
                fixtures_dir, "describe_cluster_failed.json"
            ),
            "describe-cluster daylily-usw2d-09": fixture_reply(
                fixtures_dir, "error_not_found.json", exit_code=1
            ),
            "describe-cluster-instances": fixture_reply(
                fixtures_dir, "describe_cluster_instances.json"
            ),
            "create-cluster": reply(json.dumps({"cluster": {"clusterName": "x"}})),
            "delete-cluster": reply(json.dumps({"cluster": {"clusterName": "x"}})),
            "delete-cluster daylily-usw2d-09": fixture_reply(
                fixtures_dir, "error_not_found.json", exit_code=1
            ),
        }
    )
    return fake


# -- list ---------------------------------------------------------------------------------


async def test_list_maps_every_cluster_status(healthy: FakePcluster) -> None:
    journal = RecordingJournal()

    clusters = await gateway(healthy).list_clusters(REGION, journal=journal)

    assert [(c.name, c.status) for c in clusters] == [
        ("daylily-usw2d-01", ClusterStatus.READY),
        ("daylily-usw2d-02", ClusterStatus.FAILED),
        ("ngs-scratch-usw2b", ClusterStatus.READY),
        ("daylily-usw2a-old", ClusterStatus.DELETING),
    ]
    assert all(c.region == REGION and not c.static for c in clusters)
    [entry] = journal.entries
    assert entry["label"] == "describe_cluster" and entry["transport"] == "local"
    assert entry["argv"] == [str(healthy.path), "list-clusters", "--region", REGION]
    assert (
        entry["rendered"] == f"AWS_PROFILE=ursa-prod {healthy.path} list-clusters --region {REGION}"
    )
    assert entry["result"].exit_code == 0
    assert entry["env_names"] == ["AWS_PROFILE", "AWS_REGION"]


async def test_the_cli_gets_profile_region_and_endpoint(healthy: FakePcluster) -> None:
    endpoint = "http://127.0.0.1:5055"

    await gateway(healthy, endpoint_url=endpoint).list_clusters(REGION)

    [call] = healthy.calls()
    assert call["env"] == {
        "AWS_REGION": REGION,
        "AWS_PROFILE": "ursa-prod",
        "AWS_ENDPOINT_URL": endpoint,
    }


async def test_list_follows_next_token(fake_pcluster: Any) -> None:
    def page(name: str, token: str | None) -> dict[str, Any]:
        cluster = {"clusterName": name, "clusterStatus": "CREATE_IN_PROGRESS", "region": REGION}
        body: dict[str, Any] = {"clusters": [cluster]}
        return reply(json.dumps(body | ({"nextToken": token} if token else {})))

    fake = fake_pcluster(
        {"list-clusters": page("first", "t1"), "list-clusters t1": page("second", None)}
    )
    journal = RecordingJournal()

    clusters = await gateway(fake).list_clusters(REGION, journal=journal)

    assert [(c.name, c.status) for c in clusters] == [
        ("first", ClusterStatus.CREATING),
        ("second", ClusterStatus.CREATING),
    ]
    assert [e["argv"][2:] for e in journal.entries] == [
        ["--region", REGION],
        ["--region", REGION, "--next-token", "t1"],
    ]


# -- describe -----------------------------------------------------------------------------


async def test_describe_reads_the_head_node_from_the_instances(healthy: FakePcluster) -> None:
    journal = RecordingJournal()

    cluster = await gateway(healthy).describe(REGION, CLUSTER, journal=journal)

    assert cluster.status is ClusterStatus.READY
    assert cluster.head_node == HeadNodeRef(host="203.0.113.24", instance_id="i-0a1b2c3d4e5f60718")
    assert cluster.tags["aws-parallelcluster-project"] == "da-us-west-2d-daylily-usw2d-01"
    assert cluster.fsx_id is None and cluster.failure == ""
    assert [e["argv"][1:] for e in journal.entries] == [
        ["describe-cluster", "--region", REGION, "--cluster-name", CLUSTER],
        [
            "describe-cluster-instances",
            *("--region", REGION, "--cluster-name", CLUSTER, "--node-type", "HeadNode"),
        ],
    ]


async def test_the_presigned_configuration_url_is_never_journaled(healthy: FakePcluster) -> None:
    journal = RecordingJournal()

    await gateway(healthy).describe(REGION, CLUSTER, journal=journal)

    logged = journal.entries[0]["result"].stdout
    assert "clusterConfiguration" in logged  # the rest of the output is kept
    assert "X-Amz" not in logged and "parallelcluster-0a1b2c3d4e5f6a7b" not in logged


async def test_describe_can_use_the_private_address(healthy: FakePcluster) -> None:
    private = gateway(healthy, head_node_address=HeadNodeAddress.PRIVATE, ssh_user="ec2-user")

    cluster = await private.describe(REGION, CLUSTER)

    assert cluster.head_node == HeadNodeRef(
        host="10.0.0.232", user="ec2-user", instance_id="i-0a1b2c3d4e5f60718"
    )


async def test_a_failed_creation_carries_the_failure_reason(healthy: FakePcluster) -> None:
    journal = RecordingJournal()

    cluster = await gateway(healthy).describe(REGION, "daylily-usw2d-02", journal=journal)

    assert cluster.status is ClusterStatus.FAILED
    assert cluster.failure == (
        "OnNodeConfiguredExecutionFailure: Failed to execute OnNodeConfigured script."
    )
    assert cluster.head_node is None
    assert len(journal.entries) == 1  # no head node, so no instance lookup


async def test_the_fsx_id_comes_from_the_cluster_tags(
    fake_pcluster: Any, fixtures_dir: Path
) -> None:
    described = json.loads((fixtures_dir / "pcluster" / "describe_cluster.json").read_text())
    described["tags"].append({"key": "ursa:fsx-id", "value": "fs-0123456789abcdef0"})
    described["computeFleetStatus"] = "STOPPED"
    del described["headNode"]
    fake = fake_pcluster({"describe-cluster": reply(json.dumps(described))})

    cluster = await gateway(fake).describe(REGION, CLUSTER)

    assert cluster.fsx_id == "fs-0123456789abcdef0"
    assert cluster.status is ClusterStatus.UNKNOWN  # complete, but the fleet is stopped


async def test_an_unknown_cluster_is_not_found(healthy: FakePcluster) -> None:
    journal = RecordingJournal()

    with pytest.raises(NotFound, match="daylily-usw2d-09' does not exist"):
        await gateway(healthy).describe(REGION, "daylily-usw2d-09", journal=journal)

    [entry] = journal.entries
    assert entry["result"].exit_code == 1


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Could not connect to the endpoint URL: https://cloudformation.x/", Unavailable),
        ("An error occurred (AccessDeniedException) when calling ListStacks", Forbidden),
        ("UnauthorizedOperation: You are not authorized", Forbidden),
        ("Bad Request: something else went wrong", Unavailable),
    ],
)
async def test_cli_messages_map_to_domain_errors(
    fake_pcluster: Any, text: str, error: type[UrsaError]
) -> None:
    fake = fake_pcluster({"list-clusters": reply(message(text), exit_code=1)})

    with pytest.raises(error) as raised:
        await gateway(fake).list_clusters(REGION)

    assert raised.value.message == text


async def test_output_that_is_not_json_is_unavailable(fake_pcluster: Any) -> None:
    fake = fake_pcluster({"list-clusters": reply("Traceback (most recent call last):\n")})

    with pytest.raises(Unavailable, match="pcluster printed something that is not JSON"):
        await gateway(fake).list_clusters(REGION)


async def test_a_hanging_cli_is_killed_at_the_timeout(fake_pcluster: Any) -> None:
    fake = fake_pcluster({"list-clusters": reply("{}", sleep=60)})
    journal = RecordingJournal()
    started = time.monotonic()

    with pytest.raises(Unavailable, match=r"did not finish within 0\.5 s"):
        await gateway(fake, timeout_s=0.5).list_clusters(REGION, journal=journal)

    assert time.monotonic() - started < 5
    [entry] = journal.entries
    assert entry["result"].exit_code != 0 and "timed out" in entry["result"].stderr
    with pytest.raises(ProcessLookupError):
        os.kill(fake.calls()[0]["pid"], 0)


async def test_a_missing_executable_is_unavailable(tmp_path: Path) -> None:
    settings = PclusterSettings(pcluster_path=str(tmp_path / "nope"), regions=(REGION,))

    with pytest.raises(Unavailable, match="cannot run"):
        await PclusterGateway(settings).list_clusters(REGION)


@pytest.mark.parametrize(("region", "name"), [("eu-west-1", CLUSTER), (REGION, "--help")])
async def test_bad_regions_and_names_are_refused_before_running(
    healthy: FakePcluster, region: str, name: str
) -> None:
    with pytest.raises(InvalidInput):
        await gateway(healthy).describe(region, name)

    assert healthy.calls() == []


# -- create and delete --------------------------------------------------------------------


async def test_create_runs_create_cluster_with_the_regional_config(healthy: FakePcluster) -> None:
    journal = RecordingJournal()

    await gateway(healthy).create(REGION, "ursa-usw2-202611231015", journal=journal)

    [entry] = journal.entries
    assert entry["label"] == "create_cluster"
    assert entry["argv"] == [
        str(healthy.path),
        *("create-cluster", "--region", REGION, "--cluster-name", "ursa-usw2-202611231015"),
        *("--cluster-configuration", "/etc/ursa/cluster-us-west-2.yaml"),
    ]


async def test_create_follows_a_configured_command(fake_pcluster: Any) -> None:
    fake = fake_pcluster({"create": reply("Cluster creation started\n")})
    dayec = (
        *(str(fake.path), "create", "--profile", "{profile}", "--region-az", "{region_az}"),
        *("--config", "{config}", "--non-interactive"),
    )
    configured = gateway(fake, create_argv=dayec, region_azs={REGION: "us-west-2d"})
    journal = RecordingJournal()

    await configured.create(REGION, "ursa-usw2-202611231015", journal=journal)

    assert journal.entries[0]["argv"][1:] == [
        *("create", "--profile", "ursa-prod", "--region-az", "us-west-2d"),
        *("--config", "/etc/ursa/cluster-us-west-2.yaml", "--non-interactive"),
    ]
    with pytest.raises(InvalidInput, match="region_az"):
        await configured.create("us-east-1", "ursa-use1-202611231015")


async def test_delete_runs_delete_cluster(healthy: FakePcluster) -> None:
    journal = RecordingJournal()

    await gateway(healthy).delete(REGION, CLUSTER, journal=journal)
    with pytest.raises(NotFound):
        await gateway(healthy).delete(REGION, "daylily-usw2d-09", journal=journal)

    assert [(e["label"], e["argv"][1:], e["result"].exit_code) for e in journal.entries] == [
        ("delete_cluster", ["delete-cluster", "--region", REGION, "--cluster-name", CLUSTER], 0),
        (
            "delete_cluster",
            ["delete-cluster", "--region", REGION, "--cluster-name", "daylily-usw2d-09"],
            1,
        ),
    ]


async def test_regions_are_the_configured_ones(healthy: FakePcluster) -> None:
    assert gateway(healthy).regions() == (REGION, "us-east-1")


# -- the static gateway -------------------------------------------------------------------

HEAD = HeadNodeRef(host="slurm-head.example.org", user="ursa", port=2222)


def static_gateway() -> ClusterGateway:
    return StaticClusterGateway(name="onprem", region="local", head_node=HEAD)


async def test_the_static_cluster_is_always_ready() -> None:
    gateway = static_gateway()

    [cluster] = await gateway.list_clusters("local")

    assert (cluster.name, cluster.status, cluster.static) == ("onprem", ClusterStatus.READY, True)
    assert cluster.head_node == HEAD
    assert await gateway.describe("local", "onprem") == cluster
    assert await gateway.list_clusters(REGION) == ()
    assert gateway.regions() == ("local",)


async def test_the_static_gateway_knows_only_its_cluster() -> None:
    with pytest.raises(NotFound):
        await static_gateway().describe("local", "other")


async def test_a_static_cluster_is_never_created_or_deleted() -> None:
    gateway = static_gateway()

    with pytest.raises(InvalidInput, match="cannot be created or deleted"):
        await gateway.create("local", "onprem")
    with pytest.raises(InvalidInput, match="cannot be created or deleted"):
        await gateway.delete("local", "onprem")
