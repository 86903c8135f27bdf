"""The service tier's world: an in-memory product with two customers and the fixture FASTQs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from builders import ACME, ACME_ADMIN, ACME_COLLEAGUE, ACME_USER, GLOBEX, GLOBEX_ADMIN, NOW
from ursa.adapters.memory.system import FixedClock, SeededIds
from ursa.app.container import Container, build_in_memory
from ursa.app.settings import Environment, Settings
from ursa.domain.creation import ApprovalMode, ApprovalPolicy
from ursa.domain.customers import Customer, User
from ursa.domain.enums import PipelineType, ReferenceGenome
from ursa.domain.services.submit import SubmitRequest

FIXTURES = Path(__file__).parent / "fixtures" / "manifests"
MANIFEST = (FIXTURES / "stage_samples.tsv").read_bytes()
LAB_BUCKET = "ursa-demo-lab-a"


@dataclass
class World:
    container: Container
    clock: FixedClock


def _inputs(container: Container) -> None:
    assert container.objects is not None
    container.objects.create_bucket(LAB_BUCKET)
    container.objects.create_bucket("acme-genomics-ursa")
    container.objects.create_bucket("globex-bio-ursa")
    for line in MANIFEST.decode().splitlines()[1:]:
        for uri in line.split("\t")[10:12]:
            key = uri.removeprefix(f"s3://{LAB_BUCKET}/")
            container.objects.seed_object(LAB_BUCKET, key, 30 * 2**30)


@pytest.fixture
async def world() -> World:
    clock = FixedClock(NOW)
    container = build_in_memory(Settings(env=Environment.TEST), clock=clock, ids=SeededIds(3))
    _inputs(container)
    directory = container.ports.directory
    await directory.put_customer(
        Customer(
            customer_id=ACME,
            name="Acme",
            bucket="acme-genomics-ursa",
            linked_buckets=(LAB_BUCKET,),
            created_at=NOW,
        )
    )
    await directory.put_customer(
        Customer(
            customer_id=GLOBEX,
            name="Globex",
            bucket="globex-bio-ursa",
            linked_buckets=(LAB_BUCKET,),
            approval=ApprovalPolicy(mode=ApprovalMode.ALWAYS),
            created_at=NOW,
        )
    )
    for p in (ACME_USER, ACME_ADMIN, ACME_COLLEAGUE, GLOBEX_ADMIN):
        await directory.put_user(
            User(
                user_id=p.user_id,
                email=p.email,
                display_name=p.email,
                role=p.role,
                customer_id=p.customer_id,
                created_at=NOW,
            )
        )
    return World(container=container, clock=clock)


@pytest.fixture
def request_for() -> Callable[..., SubmitRequest]:
    def build(key: str = "key-00000001", **overrides: object) -> SubmitRequest:
        fields: dict[str, object] = {
            "name": "GIAB trio",
            "pipeline_type": PipelineType.GERMLINE_WGS_SNV,
            "reference_genome": ReferenceGenome.GRCH38,
            "manifest": MANIFEST,
            "idempotency_key": key,
        }
        fields.update(overrides)
        return SubmitRequest(**fields)  # type: ignore[arg-type]

    return build
