"""The engine against the real head node: DynamoDB and S3 on the emulator, a customer with
FASTQs in its bucket, and ``ursa monitor`` processes in static-cluster mode over real SSH to
the tier's sshd and Slurm, running the shipped test pipeline."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aws_support import REGION
from ursa.adapters.dynamodb.table import ensure_table
from ursa.adapters.memory.seed_data import HEADER
from ursa.adapters.ssh import AsyncsshShell
from ursa.app.container import Container
from ursa.app.container_aws import build_aws
from ursa.app.emulator import FAKE_AWS_ENV
from ursa.app.settings import Environment, Settings
from ursa.domain.customers import Customer, User
from ursa.domain.enums import PipelineType, ReferenceGenome, WorksetState
from ursa.domain.ports.cluster import RemoteCommand
from ursa.domain.principals import Principal, Role
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.services.submit import SubmitRequest, submit_workset
from ursa.domain.shell import script
from ursa.domain.worksets import Workset

CUSTOMER = "itlab-5a5a5a5a"
BUCKET = "itlab-ursa"
USER = Principal(
    user_id="u-it", email="it@itlab.example", role=Role.CUSTOMER_USER, customer_id=CUSTOMER
)
PIPELINE = Path(__file__).parent / "pipeline" / "ursa_test_pipeline.sh"
FASTQ = b"@r1\nACGTACGTAC\n+\nIIIIIIIIII\n" * 20
SETTLED = frozenset(
    {WorksetState.COMPLETE, WorksetState.RETRYING, WorksetState.ERROR, WorksetState.FAILED}
    | {WorksetState.CANCELED}
)


@dataclass
class HeadNodeSetup:
    node: HeadNodeRef
    key: Path
    known_hosts: Path
    home: str
    pipeline: str


@dataclass
class EngineWorld:
    endpoint: str
    table: str
    setup: HeadNodeSetup
    container: Container
    shell: AsyncsshShell
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def pipeline_base(self) -> str:
        return f"{self.setup.home}/ursa-runs/{self.table}/"

    def engine_env(self, *, fail_sample: str = "", sleep_s: int = 1) -> dict[str, str]:
        node = self.setup.node
        pipeline_env = f"URSA_TEST_SLEEP={sleep_s} URSA_TEST_POLL=0.5"
        if fail_sample:
            pipeline_env += f" URSA_TEST_FAIL_SAMPLE={fail_sample}"
        return {
            **os.environ,
            **FAKE_AWS_ENV,
            "URSA_ENV": "test",
            "URSA_LOG_LEVEL": "INFO",
            "URSA_STORE": "aws",
            "URSA_AWS_ENDPOINT_URL": self.endpoint,
            "URSA_AWS_REGION": REGION,
            "URSA_AWS_TABLE": self.table,
            "URSA_CLUSTER_MODE": "static",
            "URSA_CLUSTER_NAME": "it-slurm",
            "URSA_HEAD_HOST": node.host,
            "URSA_HEAD_PORT": str(node.port),
            "URSA_HEAD_USER": node.user,
            "URSA_SSH_KEY_PATH": str(self.setup.key),
            "URSA_SSH_KNOWN_HOSTS_PATH": str(self.setup.known_hosts),
            "URSA_PIPELINE_BASE": self.pipeline_base,
            "URSA_STAGE_BASE": f"{self.setup.home}/ursa-stage/",
            "URSA_CLONE_COMMAND": "mkdir -p {pipeline_dir}",
            "URSA_PIPELINE_COMMAND": f"bash {self.setup.pipeline}",
            "URSA_PIPELINE_ENV": pipeline_env,
            # Short leases so a takeover after kill -9 takes seconds, not five minutes.
            "URSA_ENGINE_LEASE_S": "6",
            "URSA_ENGINE_HEARTBEAT_S": "1",
            "URSA_ENGINE_TAKEOVER_MARGIN_S": "1",
            "URSA_ENGINE_POLL_S": "1",
            "URSA_ENGINE_FAST_POLL_S": "0.5",
            "URSA_ENGINE_CLAIM_INTERVAL_S": "0.5",
        }

    def start_engine(self, log: Path, **env: object) -> subprocess.Popen[bytes]:
        """A real ``ursa monitor`` process; its output goes to ``log``."""
        out = log.open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "ursa.app.cli", "monitor"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=self.engine_env(**env),  # type: ignore[arg-type]
        )
        out.close()
        self.processes.append(process)
        return process

    async def submit(self, name: str, samples: tuple[str, ...]) -> Workset:
        rows = [HEADER]
        for index, sample in enumerate(samples, start=1):
            keys = [f"fastq/{name}/{sample}_R{r}.fastq.gz" for r in (1, 2)]
            for key in keys:
                await self.container.ports.objects.put(BUCKET, key, FASTQ)
            cells = ["RUN1", sample, "EXP1", "blood", "noampwgs", "ILMN", "NOVASEQX", "0"]
            cells += [f"S{index}", "", *(f"s3://{BUCKET}/{k}" for k in keys)]
            cells += [
                "stage_data",
                "/fsx/staged_sample_data/",
                "na",
                "false",
                "false",
                "2",
                "0",
                "",
            ]
            rows.append("\t".join(cells))
        result = await submit_workset(
            self.container.ports,
            USER,
            SubmitRequest(
                name=name,
                pipeline_type=PipelineType.GERMLINE_WGS_SNV,
                reference_genome=ReferenceGenome.GRCH38,
                manifest=("\n".join(rows) + "\n").encode(),
                idempotency_key=f"it-{name}-{time.monotonic_ns()}",
            ),
        )
        assert result.workset.state is WorksetState.READY
        return result.workset

    async def wait_for(
        self, workset_id: str, done: Callable[[Workset], bool], timeout_s: float = 120
    ) -> Workset:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ws = await self.container.ports.worksets.get(workset_id)
            if done(ws):
                return ws
            for process in self.processes:
                assert process.poll() in (None, -signal.SIGKILL, 0), "an engine died"
            await asyncio.sleep(0.1)
        raise AssertionError(f"{workset_id} is still {ws.state}/{ws.progress_step}")

    async def remote(self, *argv: str) -> str:
        result = await self.shell.run(
            self.setup.node, RemoteCommand(label="it", script=script(list(argv))), timeout_s=30
        )
        assert result.exit_code == 0, result.stderr
        return result.stdout

    async def jobs_under(self, directory: str) -> list[str]:
        rows = await self.remote("squeue", "-h", "-o", "%i|%Z")
        return [
            r.split("|")[0] for r in rows.splitlines() if r.split("|")[-1].startswith(directory)
        ]


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def engines(world: EngineWorld) -> Iterator[EngineWorld]:
    try:
        yield world
    finally:
        stop(world.processes)
        world.processes.clear()


async def install_pipeline(shell: AsyncsshShell, node: HeadNodeRef) -> tuple[str, str]:
    home = (
        await shell.run(node, RemoteCommand(label="it", script='printf %s "$HOME"'), timeout_s=10)
    ).stdout
    target = f"{home}/ursa-pipeline/ursa_test_pipeline.sh"
    await shell.put_file(node, target, PIPELINE.read_bytes(), mode=0o755, timeout_s=30)
    return home, target


@asynccontextmanager
async def engine_world(
    endpoint: str, table: str, node: HeadNodeRef, key: Path, known_hosts: Path
) -> AsyncIterator[EngineWorld]:
    pinned = known_hosts.read_text()  # noqa: ASYNC240  (a few bytes, read once per test)
    settings = Settings(
        env=Environment.TEST,
        store="aws",
        aws_endpoint_url=endpoint,
        aws_region=REGION,
        aws_table=table,
    )
    async with AsyncExitStack() as stack:
        container = await build_aws(settings, stack)
        await ensure_table(await _dynamodb(stack, settings), table)
        await _customer(container)
        shell = AsyncsshShell(client_keys=key, known_hosts=pinned)
        stack.push_async_callback(shell.aclose)
        home, pipeline = await install_pipeline(shell, node)
        setup = HeadNodeSetup(
            node=node, key=key, known_hosts=known_hosts, home=home, pipeline=pipeline
        )
        yield EngineWorld(
            endpoint=endpoint, table=table, setup=setup, container=container, shell=shell
        )


async def _dynamodb(stack: AsyncExitStack, settings: Settings) -> object:
    from ursa.adapters.aws.clients import AwsClients
    from ursa.app.container_aws import aws_options

    return await AwsClients(aws_options(settings), stack).client("dynamodb")


async def _customer(container: Container) -> None:
    import boto3

    now = datetime.now(UTC)
    s3 = boto3.client(
        "s3",
        endpoint_url=container.settings.aws_endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket=BUCKET)
    directory = container.ports.directory
    await directory.put_customer(
        Customer(customer_id=CUSTOMER, name="IT Lab", bucket=BUCKET, created_at=now)
    )
    await directory.put_user(
        User(
            user_id=USER.user_id,
            email=USER.email,
            display_name="IT",
            role=USER.role,
            customer_id=CUSTOMER,
            created_at=now,
        )
    )
