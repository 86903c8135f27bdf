"""The holder's writes that are not table rows (§6.2 rules 4–6): heartbeat, the run
record, progress within a step, a graceful hand-over and the posted cost. No history entry;
each is fenced by the lease token and bumps ``version``. ``runs`` re-exports them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from ursa.domain.enums import WorksetState as S
from ursa.domain.errors import GuardFailed, LeaseLost
from ursa.domain.run_record import Run
from ursa.domain.worksets import Workset

LEASE_DURATION = timedelta(seconds=300)


def fence(ws: Workset, token: int) -> None:
    if ws.lease_token != token or ws.state is not S.IN_PROGRESS:
        raise LeaseLost(f"lease token {token} is no longer current for {ws.workset_id}")


def heartbeat(
    ws: Workset, *, token: int, now: datetime, lease: timedelta = LEASE_DURATION
) -> Workset:
    """Extend the lease. Not a table row, so no history; the caller reads cancel_pending."""
    fence(ws, token)
    return replace(
        ws,
        lease_expires_at=now + lease,
        heartbeat_at=now,
        version=ws.version + 1,
        updated_at=now,
    )


def update_run(ws: Workset, *, token: int, run: Run, now: datetime) -> Workset:
    """Record what the holder learned about its run (a fenced write; no history row)."""
    fence(ws, token)
    if ws.run is None or run.run_id != ws.run.run_id:
        raise GuardFailed("the run record belongs to another run", code="RUN_MISMATCH")
    return replace(ws, run=run, version=ws.version + 1, updated_at=now)


def update_progress(
    ws: Workset, *, token: int, pct: int | None, message: str, now: datetime
) -> Workset:
    """Progress within the current step (percent done); a fenced write, no history row."""
    fence(ws, token)
    if pct == ws.progress_pct and message[:200] == ws.progress_message:
        return ws
    return replace(
        ws, progress_pct=pct, progress_message=message[:200], version=ws.version + 1, updated_at=now
    )


def release_lease(ws: Workset, *, token: int, now: datetime) -> Workset:
    """A graceful shutdown hands the run over at once: the lease ends now, so any replica
    may take over (T13) without waiting for expiry. The token stays as the fence."""
    fence(ws, token)
    return replace(
        ws,
        lease_owner=None,
        lease_expires_at=None,
        lease_acquired_at=None,
        version=ws.version + 1,
        updated_at=now,
    )


def record_actual_cost(ws: Workset, *, token: int, total: Decimal, now: datetime) -> Workset:
    """Post the run's actual cost (§9.10). A holder write, so fenced; not a table row."""
    fence(ws, token)
    return replace(ws, cost_actual=total, version=ws.version + 1, updated_at=now)
