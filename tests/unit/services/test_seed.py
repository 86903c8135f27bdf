"""The demo seed reaches every state through the domain and its figures add up."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ursa.adapters.memory.seed import seed_demo
from ursa.app.container import build_in_memory
from ursa.app.settings import Environment, Settings
from ursa.domain.enums import SampleState, WorksetState
from ursa.domain.ports import WorksetQuery
from ursa.domain.services.auth import authenticate_token

pytestmark = pytest.mark.anyio


async def test_seed_covers_every_state_with_consistent_costs() -> None:
    container = build_in_memory(Settings(env=Environment.TEST))
    assert container.objects is not None
    tokens = await seed_demo(
        container.ports, container.objects, datetime(2026, 11, 23, 12, tzinfo=UTC)
    )
    ports = container.ports
    page = await ports.worksets.list(WorksetQuery(limit=100, include_archived=True))
    states = Counter(w.state for w in page.items)
    assert set(states) == set(WorksetState) and sum(states.values()) == 25
    for ws in page.items:
        samples = await ports.worksets.samples(ws.workset_id)
        if ws.state is WorksetState.COMPLETE:
            assert ws.cost_actual == sum((s.cost_actual or Decimal(0) for s in samples), Decimal(0))
            assert {s.state for s in samples} == {SampleState.SUCCEEDED}
        history = await ports.worksets.history(ws.workset_id)
        assert [h.seq for h in history] == list(range(1, ws.history_seq + 1))
    retrying = next(w for w in page.items if w.state is WorksetState.RETRYING)
    assert retrying.last_error_code == "WS-RES-001"
    failed_samples = [
        s
        for s in await ports.worksets.samples(retrying.workset_id)
        if s.state is SampleState.FAILED
    ]
    assert [s.failure_code for s in failed_samples] == ["WS-RES-001"]
    assert len(tokens) == 5
    for email, secret in tokens.items():
        assert (await authenticate_token(ports, secret)).email == email
