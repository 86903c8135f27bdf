"""Plays ``seed_data`` through the real services and commands, so every seeded state is
one the domain can reach. Used by ``ursa dev`` and by tests."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from ursa.adapters.memory.identity import InMemoryIdentity
from ursa.adapters.memory.objects import InMemoryObjectStore
from ursa.adapters.memory.seed_data import (
    CUSTOMERS,
    GIB,
    HEADER,
    LINKS,
    USERS,
    WORKSETS,
    SeedLink,
    SeedWorkset,
)
from ursa.adapters.memory.seed_runs import drive_to
from ursa.adapters.memory.system import FixedClock, SeededIds
from ursa.domain.creation import ApprovalMode, ApprovalPolicy
from ursa.domain.customers import Customer, User
from ursa.domain.enums import Origin, ReferenceGenome
from ursa.domain.ids import new_customer_id
from ursa.domain.linked_buckets import challenge_key
from ursa.domain.principals import Principal, Role
from ursa.domain.services.auth import issue_token
from ursa.domain.services.context import Ports
from ursa.domain.services.linked_buckets import LinkRequest, link_bucket
from ursa.domain.services.manifests import SaveRequest as ManifestSave
from ursa.domain.services.manifests import save_manifest
from ursa.domain.services.submit import SubmitRequest, submit_workset


def _user_id(email: str) -> str:
    digest = hashlib.sha256(email.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


class DemoObjects(Protocol):
    """Where the demo's input FASTQs go: the in-memory twin, or S3 on the emulator."""

    async def ensure_bucket(self, bucket: str) -> None: ...
    async def place(self, bucket: str, key: str, nominal_size: int) -> None: ...


class MemoryDemoObjects:
    def __init__(self, objects: InMemoryObjectStore) -> None:
        self._objects = objects

    async def ensure_bucket(self, bucket: str) -> None:
        self._objects.create_bucket(bucket)

    async def place(self, bucket: str, key: str, nominal_size: int) -> None:
        self._objects.seed_object(bucket, key, nominal_size)


async def _manifest(ws: SeedWorkset, bucket: str, objects: DemoObjects) -> bytes:
    lines = [HEADER]
    folder = f"sequencing/{ws.name.lower().replace(' ', '-')}"
    for index, sample in enumerate(ws.samples, start=1):
        keys = [f"{folder}/{sample}_S{index}_L001_R{read}_001.fastq.gz" for read in (1, 2)]
        for key in keys:
            await objects.place(bucket, key, ws.gib_per_sample * GIB // 2 + index * 7919)
        sex = ("2", "0") if index % 2 else ("1", "1")
        lines.append(
            "\t".join(
                [
                    "RUN1",
                    sample,
                    "EXP1",
                    "blood",
                    "noampwgs",
                    "ILMN",
                    "NOVASEQX",
                    "0",
                    f"S{index}",
                    "",
                    f"s3://{bucket}/{keys[0]}",
                    f"s3://{bucket}/{keys[1]}",
                    "stage_data",
                    "/fsx/staged_sample_data/",
                    "na",
                    "false",
                    "false",
                    *sex,
                    "",
                ]
            )
        )
    return ("\n".join(lines) + "\n").encode()


async def seed_demo(
    ports: Ports, objects: InMemoryObjectStore | DemoObjects, now: datetime
) -> dict[str, str]:
    """Create the demo world; returns one API token per seeded user (email → secret)."""
    if isinstance(objects, InMemoryObjectStore):
        objects = MemoryDemoObjects(objects)
    customers: dict[str, Customer] = {}
    for c in CUSTOMERS:
        policy = (
            ApprovalPolicy(
                mode=ApprovalMode.ABOVE,
                threshold=c.approval_above,
                self_approval_below=Decimal("50"),
            )
            if c.approval_above
            else ApprovalPolicy()
        )
        customer = Customer(
            customer_id=new_customer_id(c.name, c.suffix),
            name=c.name,
            bucket=c.bucket,
            linked_buckets=tuple(link.bucket for link in LINKS if link.customer == c.key),
            approval=policy,
            created_at=now - timedelta(days=90),
        )
        await objects.ensure_bucket(c.bucket)
        await ports.directory.put_customer(customer)
        customers[c.key] = customer
    users: dict[str, User] = {}
    tokens: dict[str, str] = {}
    for u in USERS:
        user = User(
            user_id=_user_id(u.email),
            email=u.email,
            display_name=u.name,
            role=Role(u.role),
            created_at=now - timedelta(days=60),
            customer_id=customers[u.customer].customer_id if u.customer else None,
        )
        await ports.directory.put_user(user)
        if isinstance(ports.identity_admin, InMemoryIdentity):  # the twin's sign-in account
            await ports.identity_admin.create_user(
                user.email, customer_id=user.customer_id, role=user.role
            )
        users[u.email] = user
        secret, _ = await issue_token(ports, user, name="dev token")
        tokens[u.email] = secret
    provider = users["admin@ursa.example"].principal()
    for index, ws in enumerate(WORKSETS):
        customer = customers[ws.customer]
        clock = FixedClock(now - timedelta(hours=ws.hours_ago))
        seeding = replace(ports, clock=clock)
        owner: Principal = users[ws.owner].principal()
        result = await submit_workset(
            seeding,
            owner,
            SubmitRequest(
                name=ws.name,
                pipeline_type=ws.pipeline,
                reference_genome=ReferenceGenome.GRCH38,
                manifest=await _manifest(ws, customer.bucket, objects),
                priority=ws.priority,
                workset_type=ws.workset_type,
                idempotency_key=f"seed-{index:04d}-demo",
                origin=Origin.PORTAL,
            ),
        )
        await drive_to(seeding, clock, result.workset.workset_id, ws.target, provider)
    await _seed_manifest(ports, objects, customers["acme"], users["sam@acme.example"], now)
    for link in LINKS:
        await _seed_link(ports, objects, customers[link.customer], users[link.admin], link, now)
    return tokens


async def _seed_manifest(
    ports: Ports, objects: DemoObjects, customer: Customer, owner: User, now: datetime
) -> None:
    """One saved manifest in Acme's library (Sam's trio), with its own id stream so the
    workset ids above do not move."""
    saving = replace(ports, clock=FixedClock(now - timedelta(days=2)), ids=SeededIds(seed=4242))
    await save_manifest(
        saving,
        owner.principal(),
        ManifestSave(
            name="NA12878 trio template",
            description="HG002-HG004 on NovaSeq X; reuse for re-runs of the trio",
            tsv=await _manifest(WORKSETS[0], customer.bucket, objects),
        ),
    )


async def _seed_link(
    ports: Ports,
    objects: DemoObjects,
    customer: Customer,
    admin: User,
    link: SeedLink,
    now: datetime,
) -> None:
    """The admin writes the challenge object, then links the bucket (probes included), with
    its own id stream so no other seeded id moves."""
    await objects.ensure_bucket(link.bucket)
    await objects.place(link.bucket, challenge_key(customer.customer_id, link.bucket, ""), 0)
    linking = replace(ports, clock=FixedClock(now - timedelta(days=30)), ids=SeededIds(29))
    request = LinkRequest(
        bucket=link.bucket, display_name=link.display_name, description=link.description
    )
    await link_bucket(linking, admin.principal(), request)
