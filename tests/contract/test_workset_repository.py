"""WorksetRepository contract: the twin and DynamoDB keep the same promises."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from builders import ACME, GLOBEX, NOW, USER_ACTOR, make_workset
from store_world import Stores
from ursa.domain import commands, runs
from ursa.domain.creation import created
from ursa.domain.enums import Priority, WorksetState, WorksetType
from ursa.domain.errors import Conflict, GuardFailed, InvalidInput, NotFound, StaleVersion
from ursa.domain.ports import WorksetQuery
from ursa.domain.principals import ENGINE
from ursa.domain.samples import Sample
from ursa.domain.worksets import Workset

pytestmark = pytest.mark.anyio


def _samples(ws: Workset, count: int = 3) -> list[Sample]:
    return [
        Sample(workset_id=ws.workset_id, sample_id=f"S{i}", customer_id=ws.customer_id)
        for i in range(1, count + 1)
    ]


async def _create(stores: Stores, ws: Workset, samples: int = 3) -> Workset:
    await stores.worksets.create(
        created(ws, event="submit", actor=USER_ACTOR, now=ws.created_at), _samples(ws, samples)
    )
    return ws


async def test_create_then_read_back_everything(stores: Stores) -> None:
    ws = await _create(stores, make_workset())
    assert await stores.worksets.get(ws.workset_id) == ws
    assert [s.sample_id for s in await stores.worksets.samples(ws.workset_id)] == ["S1", "S2", "S3"]
    (entry,) = await stores.worksets.history(ws.workset_id)
    assert entry.to_state is WorksetState.READY and entry.seq == 1


async def test_create_never_overwrites(stores: Stores) -> None:
    ws = await _create(stores, make_workset())
    with pytest.raises(Conflict):
        await _create(stores, replace(ws, name="impostor"), samples=1)
    assert (await stores.worksets.get(ws.workset_id)).name == ws.name
    assert len(await stores.worksets.samples(ws.workset_id)) == 3


async def test_a_large_workset_keeps_every_sample_in_order(stores: Stores) -> None:
    ws = await _create(stores, make_workset(), samples=130)
    samples = await stores.worksets.samples(ws.workset_id)
    assert [s.sample_id for s in samples] == [f"S{i}" for i in range(1, 131)]


async def test_missing_workset_is_not_found(stores: Stores) -> None:
    for read in (stores.worksets.get, stores.worksets.samples, stores.worksets.history):
        with pytest.raises(NotFound):
            await read("acme-none-00000000")


async def test_commit_is_conditioned_on_the_version_read(stores: Stores) -> None:
    ws = await _create(stores, make_workset())
    first = commands.hold(ws, actor=USER_ACTOR, now=NOW, reason="waiting for consent")
    second = commands.cancel(ws, actor=USER_ACTOR, now=NOW, reason="changed my mind")
    await stores.worksets.commit(first)
    with pytest.raises(StaleVersion):
        await stores.worksets.commit(second)
    stored = await stores.worksets.get(ws.workset_id)
    assert stored.state is WorksetState.ON_HOLD and stored.version == ws.version + 1
    assert [h.event for h in await stores.worksets.history(ws.workset_id)] == ["submit", "hold"]


async def test_commit_of_a_missing_workset_is_not_found(stores: Stores) -> None:
    transition = commands.hold(make_workset(), actor=USER_ACTOR, now=NOW, reason="x")
    with pytest.raises(NotFound):
        await stores.worksets.commit(transition)


async def test_save_samples_replaces_the_set_and_checks_ownership(stores: Stores) -> None:
    ws = await _create(stores, make_workset(), samples=5)
    kept = [replace(s, input_bytes=7) for s in _samples(ws, 2)]
    await stores.worksets.save_samples(ws.workset_id, kept)
    assert list(await stores.worksets.samples(ws.workset_id)) == kept
    stranger = Sample(workset_id="other-ws-00000000", sample_id="X", customer_id=ACME)
    with pytest.raises(Conflict):
        await stores.worksets.save_samples(ws.workset_id, [stranger])
    with pytest.raises(NotFound):
        await stores.worksets.save_samples("acme-none-00000000", [])


async def test_lease_claim_heartbeat_takeover_and_fencing(stores: Stores) -> None:
    ws = await _create(stores, make_workset())
    claim = runs.claim(ws, actor=ENGINE, owner="host-a/1/aaaaaaaa", now=NOW)
    await stores.worksets.commit(claim)
    held = await stores.worksets.get(ws.workset_id)
    assert held.state is WorksetState.IN_PROGRESS and held.lease_token == ws.lease_token + 1

    # A second claimer that read the READY workset loses: Conflict, not a double claim.
    with pytest.raises(Conflict):
        await stores.worksets.commit(
            runs.claim(ws, actor=ENGINE, owner="host-b/2/bbbbbbbb", now=NOW)
        )

    beat = runs.heartbeat(held, token=held.lease_token, now=NOW + timedelta(seconds=60))
    await stores.worksets.save_workset(beat, expected_version=held.version)

    # Takeover is refused while the lease is live, allowed after expiry + margin.
    with pytest.raises(GuardFailed):
        runs.takeover(
            beat,
            actor=ENGINE,
            owner="host-b/2/bbbbbbbb",
            seen_token=beat.lease_token,
            now=NOW + timedelta(seconds=90),
        )
    late = (
        NOW
        + timedelta(seconds=60)
        + runs.LEASE_DURATION
        + runs.TAKEOVER_MARGIN
        + timedelta(seconds=1)
    )
    takeover = runs.takeover(
        beat, actor=ENGINE, owner="host-b/2/bbbbbbbb", seen_token=beat.lease_token, now=late
    )
    await stores.worksets.commit(takeover)
    taken = await stores.worksets.get(ws.workset_id)
    assert taken.lease_token == beat.lease_token + 1 and taken.lease_owner == "host-b/2/bbbbbbbb"

    # The old holder is fenced: its heartbeat (built on what it last read) cannot land.
    stale = runs.heartbeat(beat, token=beat.lease_token, now=late)
    with pytest.raises(StaleVersion):
        await stores.worksets.save_workset(stale, expected_version=beat.version)
    assert (await stores.worksets.get(ws.workset_id)).lease_owner == "host-b/2/bbbbbbbb"


_H = timedelta(hours=1)


def _fleet() -> list[Workset]:
    fleet = []
    for i in range(12):
        customer = ACME if i % 3 else GLOBEX
        fleet.append(
            make_workset(
                workset_id=f"ws-{i:02d}-{i:08x}",
                name=f"batch {i:02d}" + (" tumour" if i % 4 == 0 else ""),
                customer_id=customer,
                owner_user_id="u-cu" if i % 2 else "u-other",
                created_at=NOW - timedelta(hours=i),
                state=WorksetState.ARCHIVED if i == 5 else WorksetState.READY,
                pre_archive_state=WorksetState.COMPLETE if i == 5 else None,
                priority=Priority.URGENT if i == 7 else Priority.NORMAL,
                workset_type=WorksetType.CLINICAL if i == 8 else WorksetType.RUO,
            )
        )
    return fleet


async def _all_pages(stores: Stores, query: WorksetQuery) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(50):
        page = await stores.worksets.list(replace(query, cursor=cursor))
        # Pages are filled: only the last one may be short, and a cursor always has more.
        assert len(page.items) == query.limit or page.next_cursor is None
        assert page.items or not seen
        seen += [w.workset_id for w in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (WorksetQuery(limit=2), [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]),
        (WorksetQuery(limit=3, customer_id=ACME), [1, 2, 4, 7, 8, 10, 11]),
        (WorksetQuery(limit=2, customer_id=ACME, owner_user_id="u-cu"), [1, 7, 11]),
        (WorksetQuery(limit=2, customer_id=GLOBEX, include_archived=True), [0, 3, 6, 9]),
        (WorksetQuery(limit=2, include_archived=True), list(range(12))),
        (WorksetQuery(limit=5, states=frozenset({WorksetState.ARCHIVED})), [5]),
        (
            WorksetQuery(limit=2, customer_id=ACME, states=frozenset({WorksetState.READY})),
            [1, 2, 4, 7, 8, 10, 11],
        ),
        (WorksetQuery(limit=2, priority=Priority.URGENT), [7]),
        (WorksetQuery(limit=2, workset_type=WorksetType.CLINICAL), [8]),
        (WorksetQuery(limit=2, text="TUMOUR"), [0, 4, 8]),
        (WorksetQuery(limit=2, text="ws-03"), [3]),
        # -- workset list filters: owner, created range, id prefix, name, value sets --
        (WorksetQuery(limit=2, owner_user_id="u-other"), [0, 2, 4, 6, 8, 10]),
        (WorksetQuery(limit=1, customer_id=GLOBEX, owner_user_id="u-cu"), [3, 9]),
        (WorksetQuery(limit=2, created_after=NOW - _H * 3), [0, 1, 2, 3]),
        (WorksetQuery(limit=2, created_after=NOW - _H * 6, created_before=NOW - _H * 2), [3, 4, 6]),
        (WorksetQuery(limit=1, customer_id=ACME, created_before=NOW - _H * 8), [10, 11]),
        (WorksetQuery(limit=2, owner_user_id="u-cu", created_before=NOW - _H * 2), [3, 7, 9, 11]),
        (
            WorksetQuery(
                limit=1,
                customer_id=ACME,
                states=frozenset({WorksetState.READY}),
                created_after=NOW - _H * 7,
            ),
            [1, 2, 4, 7],
        ),
        (WorksetQuery(limit=2, created_after=NOW, created_before=NOW), []),
        (
            WorksetQuery(limit=5, include_archived=True, created_before=NOW - _H * 4),
            [5, 6, 7, 8, 9, 10, 11],
        ),
        (WorksetQuery(limit=2, id_prefix="ws-1"), [10, 11]),
        (WorksetQuery(limit=3, id_prefix="ws-0", customer_id=GLOBEX), [0, 3, 6, 9]),
        (WorksetQuery(limit=2, id_prefix="WS-0"), []),
        (WorksetQuery(limit=2, names=("TUMOUR",)), [0, 4, 8]),
        (WorksetQuery(limit=2, names=("batch 0", "tumour")), [0, 4, 8]),
        (WorksetQuery(limit=2, names=("batch 1",), owner_user_id="u-cu"), [11]),
        (WorksetQuery(limit=2, names=("ws-03",)), []),  # the id is not the name
        (WorksetQuery(limit=2, priorities=frozenset({Priority.URGENT, Priority.LOW})), [7]),
        (
            WorksetQuery(limit=3, workset_types=frozenset({WorksetType.RUO, WorksetType.LSMC})),
            [0, 1, 2, 3, 4, 6, 7, 9, 10, 11],
        ),
        (
            WorksetQuery(
                limit=1,
                customer_id=ACME,
                owner_user_id="u-cu",
                created_after=NOW - _H * 9,
                names=("batch",),
                text="0",
            ),
            [1, 7],
        ),
    ],
)
async def test_list_pages_newest_first_with_filters(
    stores: Stores, query: WorksetQuery, expected: list[int]
) -> None:
    fleet = _fleet()
    for ws in fleet:
        await _create(stores, ws, samples=1)
    assert await _all_pages(stores, query) == [fleet[i].workset_id for i in expected]


async def test_a_tampered_cursor_is_invalid_input(stores: Stores) -> None:
    for ws in _fleet():
        await _create(stores, ws, samples=1)
    page = await stores.worksets.list(WorksetQuery(limit=2))
    assert page.next_cursor
    forged = page.next_cursor[:-3] + ("AAA" if not page.next_cursor.endswith("AAA") else "BBB")
    with pytest.raises(InvalidInput):
        await stores.worksets.list(WorksetQuery(limit=2, cursor=forged))


async def test_due_for_claim_orders_by_priority_then_age(stores: Stores) -> None:
    old = make_workset(workset_id="ws-old-00000001", updated_at=NOW - timedelta(hours=3))
    new = make_workset(workset_id="ws-new-00000002", updated_at=NOW - timedelta(hours=1))
    urgent = make_workset(workset_id="ws-urg-00000003", priority=Priority.URGENT, updated_at=NOW)
    due = make_workset(
        workset_id="ws-due-00000004",
        state=WorksetState.RETRYING,
        attempts=1,
        next_attempt_at=NOW - timedelta(minutes=1),
        updated_at=NOW - timedelta(hours=2),
    )
    later = replace(due, workset_id="ws-lat-00000005", next_attempt_at=NOW + timedelta(hours=1))
    held = make_workset(workset_id="ws-hld-00000006", state=WorksetState.ON_HOLD)
    for ws in (old, new, urgent, due, later, held):
        await _create(stores, ws, samples=1)
    queue = await stores.worksets.due_for_claim(NOW)
    assert [w.workset_id for w in queue] == [
        urgent.workset_id,
        old.workset_id,
        due.workset_id,
        new.workset_id,
    ]


async def test_leased_lists_running_worksets_soonest_expiry_first(stores: Stores) -> None:
    ready = make_workset(workset_id="ws-rdy-00000001")
    await _create(stores, ready, samples=1)
    later, sooner = "ws-lat-00000002", "ws-soo-00000003"
    for workset_id, minutes in ((later, 9), (sooner, 1)):
        ws = make_workset(workset_id=workset_id)
        await _create(stores, ws, samples=1)
        claim = runs.claim(ws, actor=ENGINE, owner="e/1/00000001", now=NOW)
        await stores.worksets.commit(claim)
        held = claim.workset
        await stores.worksets.save_workset(
            replace(
                held, lease_expires_at=NOW + timedelta(minutes=minutes), version=held.version + 1
            ),
            expected_version=held.version,
        )
    assert [w.workset_id for w in await stores.worksets.leased()] == [sooner, later]
