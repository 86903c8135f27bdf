"""The audit service on the in-memory product: mutations chain per tenant, races retry,
verification pages through the chain and finds tampering."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pytest

from builders import ACME, ACME_ADMIN, ACME_USER, GLOBEX, GLOBEX_ADMIN, NOW
from service_world import World
from ursa.domain.audit import (
    PROVIDER_TENANT,
    AuditAction,
    AuditDraft,
    AuditRecord,
    chain,
    snapshot_digest,
)
from ursa.domain.customers import User
from ursa.domain.errors import Conflict
from ursa.domain.ports import AuditLog
from ursa.domain.principals import ENGINE, Role
from ursa.domain.services import audit, lifecycle, quotes
from ursa.domain.services.auth import issue_token
from ursa.domain.services.submit import SubmitRequest, submit_workset

pytestmark = pytest.mark.anyio
RequestFor = Callable[..., SubmitRequest]


async def test_submit_then_cancel_make_a_verifiable_two_record_chain(
    world: World, request_for: RequestFor
) -> None:
    ports = world.container.ports
    submitted = (await submit_workset(ports, ACME_USER, request_for())).workset
    world.clock.advance(60)
    canceled = (await lifecycle.cancel_workset(ports, ACME_USER, submitted.workset_id)).workset

    first, second = await ports.audit.for_tenant(ACME)
    target = f"workset:{submitted.workset_id}"
    assert (first.seq, first.action, first.target) == (1, AuditAction.WORKSET_SUBMIT, target)
    assert (second.seq, second.action, second.target) == (2, AuditAction.WORKSET_CANCEL, target)
    assert first.actor_id == second.actor_id == ACME_USER.user_id
    assert (first.at, second.at) == (NOW, world.clock.now())
    assert first.before_digest == "" and first.after_digest == second.before_digest
    assert first.after_digest == snapshot_digest(audit.workset_snapshot(submitted))
    assert second.after_digest == snapshot_digest(
        {"state": canceled.state, "version": canceled.version}
    )
    assert second.prev_hash == first.hash and second.request_id is None

    report = await audit.verify_tenant(ports, ACME)
    assert report.ok and report.checked == 2 and report.head_hash == second.hash
    assert await ports.audit.for_tenant(GLOBEX) == ()


async def test_a_replayed_submit_or_a_no_op_writes_no_audit_record(
    world: World, request_for: RequestFor
) -> None:
    ports = world.container.ports
    ws = (await submit_workset(ports, ACME_USER, request_for())).workset
    await submit_workset(ports, ACME_USER, request_for())  # replay of the same key
    await lifecycle.cancel_workset(ports, ACME_USER, ws.workset_id)
    await lifecycle.cancel_workset(ports, ACME_USER, ws.workset_id)  # already canceled
    assert [r.action for r in await ports.audit.for_tenant(ACME)] == [
        AuditAction.WORKSET_SUBMIT,
        AuditAction.WORKSET_CANCEL,
    ]


async def test_approve_and_token_issue_land_in_their_tenants_chain(
    world: World, request_for: RequestFor
) -> None:
    ports = world.container.ports
    ws = (await submit_workset(ports, GLOBEX_ADMIN, request_for())).workset
    quote = await quotes.current_quote(ports, GLOBEX_ADMIN, ws.workset_id)
    await quotes.approve_quote(ports, GLOBEX_ADMIN, ws.workset_id, quote.quote_id)
    admin = User(
        user_id="u-root",
        email="root@ursa.example",
        display_name="root",
        role=Role.PROVIDER_ADMIN,
        customer_id=None,
        created_at=NOW,
    )
    _, token = await issue_token(ports, admin, name="ops")
    assert [r.action for r in await ports.audit.for_tenant(GLOBEX)] == [
        AuditAction.WORKSET_SUBMIT,
        AuditAction.WORKSET_APPROVE,
    ]
    (issued,) = await ports.audit.for_tenant(PROVIDER_TENANT)
    assert (issued.action, issued.target, issued.actor_id) == (
        AuditAction.TOKEN_ISSUE,
        f"token:{token.token_id}",
        "u-root",
    )
    assert (await audit.verify_tenant(ports, GLOBEX)).ok


@dataclass
class RacingLog:
    """Another writer takes the next seq just before each of our first ``races`` appends."""

    inner: AuditLog
    races: int
    attempts: list[int] = field(default_factory=list)

    async def append(self, record: AuditRecord) -> None:
        self.attempts.append(record.seq)
        if len(self.attempts) <= self.races:
            rival = chain(
                await self.inner.head(record.customer_id),
                AuditDraft(
                    customer_id=record.customer_id,
                    at=record.at,
                    actor_id=ENGINE.id,
                    action="rival",
                    target="workset:other",
                ),
            )
            await self.inner.append(rival)
        await self.inner.append(record)

    async def head(self, customer_id: str) -> AuditRecord | None:
        return await self.inner.head(customer_id)

    async def for_tenant(
        self, customer_id: str, limit: int = 100, after_seq: int | None = None
    ) -> tuple[AuditRecord, ...]:
        return await self.inner.for_tenant(customer_id, limit, after_seq)


async def test_an_append_that_loses_the_race_rereads_the_head_and_retries(world: World) -> None:
    racing = RacingLog(world.container.ports.audit, races=2)
    ports = replace(world.container.ports, audit=racing)
    mine = await audit.record(
        ports,
        actor=ACME_ADMIN,
        customer_id=ACME,
        action="workset.archive",
        target="workset:ws-1",
        request_id="req-1",
    )
    assert racing.attempts == [1, 2, 3] and mine.seq == 3 and mine.request_id == "req-1"
    assert [r.action for r in await ports.audit.for_tenant(ACME)] == [
        "rival",
        "rival",
        "workset.archive",
    ]
    assert (await audit.verify_tenant(ports, ACME)).ok


async def test_the_service_gives_up_after_five_lost_races(world: World) -> None:
    racing = RacingLog(world.container.ports.audit, races=99)
    ports = replace(world.container.ports, audit=racing)
    with pytest.raises(Conflict, match="busy"):
        await audit.record(ports, actor=ENGINE, customer_id=ACME, action="x", target="workset:ws-1")
    assert racing.attempts == [1, 2, 3, 4, 5] == list(range(1, audit.MAX_ATTEMPTS + 1))
    assert (await audit.verify_tenant(ports, ACME)).checked == 5


@dataclass
class TamperedLog:
    """Reads come back with one stored record altered, as if someone edited the table."""

    inner: AuditLog
    seq: int
    pages: list[tuple[int | None, int]] = field(default_factory=list)

    async def append(self, record: AuditRecord) -> None:
        await self.inner.append(record)

    async def head(self, customer_id: str) -> AuditRecord | None:
        return await self.inner.head(customer_id)

    async def for_tenant(
        self, customer_id: str, limit: int = 100, after_seq: int | None = None
    ) -> tuple[AuditRecord, ...]:
        self.pages.append((after_seq, limit))
        page = await self.inner.for_tenant(customer_id, limit, after_seq)
        return tuple(replace(r, actor_id="someone-else") if r.seq == self.seq else r for r in page)


async def test_verify_tenant_pages_through_the_chain_and_finds_tampering(world: World) -> None:
    ports = world.container.ports
    for n in range(5):
        await audit.record(
            ports, actor=ENGINE, customer_id=ACME, action=f"a{n}", target="workset:ws-1"
        )
    clean = TamperedLog(ports.audit, seq=0)
    report = await audit.verify_tenant(replace(ports, audit=clean), ACME, page_size=2)
    assert report.ok and report.checked == 5
    assert clean.pages == [(None, 2), (2, 2), (4, 2)]
    tampered = TamperedLog(ports.audit, seq=4)
    report = await audit.verify_tenant(replace(ports, audit=tampered), ACME, page_size=2)
    assert not report.ok and report.first_bad_seq == 4 and report.checked == 3
    assert "changed" in report.problem and tampered.pages == [(None, 2), (2, 2)]
    with pytest.raises(ValueError, match="page_size"):
        await audit.verify_tenant(ports, ACME, page_size=0)
