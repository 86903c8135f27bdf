"""§5: sentinel names, the one precedence rule, desired sets, bodies and reconcile decisions."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from itertools import combinations, permutations

import pytest

from builders import NOW, make_workset
from ursa.domain.enums import WorksetState
from ursa.domain.errors import InvalidInput
from ursa.domain.reconcile import FolderFacts, ItemFacts, ReconcileAction, decide_reconcile
from ursa.domain.sentinels import (
    PRECEDENCE,
    Sentinel,
    SentinelView,
    derive_from_sentinels,
    desired_sentinels,
    error_body,
    ignore_body,
    in_progress_body,
    is_foreign,
    legacy_import_key,
    lock_body,
    one_line,
    ready_body,
    sentinel_body,
    sentinel_key,
    sentinel_of_key,
    stamp,
    writer_metadata,
)

S = Sentinel
W = WorksetState
A = ReconcileAction
TS = "2026-11-23T10:15:00.000000Z"


# -- precedence ------------------------------------------------------------------------------


def test_precedence_is_the_documented_order() -> None:
    assert [s.value for s in PRECEDENCE] == [
        "ignore",
        "complete",
        "error",
        "in_progress",
        "lock",
        "ready",
    ]


@pytest.mark.parametrize(("higher", "lower"), list(combinations(PRECEDENCE, 2)))
def test_every_pair_resolves_to_the_higher(higher: Sentinel, lower: Sentinel) -> None:
    for names in permutations([higher, lower]):
        assert derive_from_sentinels(names) is SentinelView(higher.value)


@pytest.mark.parametrize("name", list(Sentinel))
def test_a_single_sentinel_is_its_own_view(name: Sentinel) -> None:
    assert derive_from_sentinels([name]) is SentinelView(name.value)


def test_nothing_is_unknown_and_everything_is_ignore() -> None:
    assert derive_from_sentinels([]) is SentinelView.UNKNOWN
    assert derive_from_sentinels(list(Sentinel)) is SentinelView.IGNORE


# -- desired sets (§2.3) -------------------------------------------------------------------------

DESIRED = {
    W.AWAITING_APPROVAL: set(),
    W.READY: {S.READY},
    W.ON_HOLD: set(),
    W.IN_PROGRESS: {S.LOCK, S.IN_PROGRESS},
    W.RETRYING: {S.ERROR},
    W.ERROR: {S.ERROR},
    W.FAILED: {S.ERROR},
    W.COMPLETE: {S.COMPLETE},
    W.CANCELED: {S.IGNORE},
    W.IGNORED: {S.IGNORE},
    W.DELETED: {S.IGNORE},
}


def test_the_table_covers_every_state() -> None:
    assert set(DESIRED) | {W.ARCHIVED} == set(WorksetState)


@pytest.mark.parametrize(("state", "expected"), DESIRED.items())
def test_desired_set_per_state(state: WorksetState, expected: set[Sentinel]) -> None:
    assert desired_sentinels(state) == expected


@pytest.mark.parametrize(("prior", "expected"), DESIRED.items())
def test_archived_mirrors_its_prior_state(prior: WorksetState, expected: set[Sentinel]) -> None:
    assert desired_sentinels(W.ARCHIVED, prior) == expected


@pytest.mark.parametrize("prior", [None, W.ARCHIVED])
def test_archived_needs_a_real_prior_state(prior: WorksetState | None) -> None:
    with pytest.raises(InvalidInput):
        desired_sentinels(W.ARCHIVED, prior)


# -- keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["worksets/ws-1/", "worksets/ws-1", "worksets/ws-1//"])
def test_sentinel_key_is_exact_at_the_folder_top(prefix: str) -> None:
    assert sentinel_key(prefix, S.IN_PROGRESS) == "worksets/ws-1/daylily.in_progress"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("worksets/ws-1/daylily.ready", S.READY),
        ("worksets/ws-1/daylily.ignore", S.IGNORE),
        ("worksets/ws-1/results/daylily.ready", None),
        ("worksets/ws-1/daylily.ready.log", None),
        ("worksets/ws-1/daylily.successful_run", None),
        ("worksets/ws-10/daylily.ready", None),
        ("worksets/ws-1/daylily_info.yaml", None),
    ],
)
def test_only_exact_keys_name_a_sentinel(key: str, expected: Sentinel | None) -> None:
    assert sentinel_of_key("worksets/ws-1/", key) is expected


def test_bucket_root_folder() -> None:
    assert sentinel_key("", S.READY) == "daylily.ready"
    assert sentinel_of_key("", "daylily.ready") is S.READY


# -- bodies (§5.1) ------------------------------------------------------------------------------


def test_stamp_is_utc_with_microseconds() -> None:
    assert stamp(NOW) == TS
    plus_two = datetime(2026, 11, 23, 14, 15, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert stamp(plus_two) == "2026-11-23T12:15:00.123456Z"
    with pytest.raises(InvalidInput):
        stamp(datetime(2026, 11, 23, 10, 15))  # naive on purpose


def test_body_builders() -> None:
    assert ready_body(NOW, "acme-trio-7c1e2a9b", 7) == f"{TS}\tursa:acme-trio-7c1e2a9b:v7"
    assert lock_body(NOW, "engine-1", 12) == f"{TS}\tengine-1\t12"
    assert in_progress_body(NOW, "r-0001") == f"{TS}\tr-0001"
    assert ignore_body(NOW, "customer asked") == f"{TS}\tcustomer asked"
    assert ignore_body(NOW, "by u-1", "canceled") == f"{TS}\tcanceled: by u-1"


def test_error_body_is_one_line_and_capped() -> None:
    body = error_body(NOW, "WS-NET-002", "line one\nline\ttwo\r\nend")
    assert body == f"{TS}\tWS-NET-002: line one line two end"
    assert body.count("\t") == 1 and "\n" not in body
    retry = error_body(NOW, "X", "boom", NOW + timedelta(minutes=5))
    assert retry.endswith("; retrying at 2026-11-23T10:20:00.000000Z")
    long = error_body(NOW, "X", "é" * 2000)
    message = long.split(": ", 1)[1]
    assert len(message.encode()) <= 1024 and message == "é" * 512


def test_one_line_keeps_whole_characters() -> None:
    assert one_line("aé", 2) == "a"
    assert one_line("a\tb\nc") == "a b c"


def test_bodies_follow_the_workset() -> None:
    ws = make_workset(version=3)
    assert sentinel_body(S.READY, ws, NOW) == f"{TS}\tursa:acme-trio-7c1e2a9b:v3"
    running = replace(
        ws, state=W.IN_PROGRESS, current_run_id="r-1", lease_owner="eng-a", lease_token=4
    )
    assert sentinel_body(S.LOCK, running, NOW) == f"{TS}\teng-a\t4"
    assert sentinel_body(S.IN_PROGRESS, running, NOW) == f"{TS}\tr-1"
    retrying = replace(
        ws,
        state=W.RETRYING,
        last_error_code="WS-NET-002",
        last_error_message="refused",
        next_attempt_at=NOW + timedelta(minutes=1),
    )
    assert sentinel_body(S.ERROR, retrying, NOW) == (
        f"{TS}\tWS-NET-002: refused; retrying at 2026-11-23T10:16:00.000000Z"
    )
    failed = replace(retrying, state=W.FAILED)
    assert sentinel_body(S.ERROR, failed, NOW) == f"{TS}\tWS-NET-002: refused"
    canceled = replace(ws, state=W.CANCELED, cancel_requested_by="u-cu")
    assert sentinel_body(S.IGNORE, canceled, NOW) == f"{TS}\tcanceled: by u-cu"
    deleted = replace(ws, state=W.DELETED)
    assert sentinel_body(S.IGNORE, deleted, NOW, ignore_reason="tidy") == f"{TS}\tdeleted: tidy"
    archived = replace(ws, state=W.ARCHIVED, pre_archive_state=W.IGNORED)
    assert sentinel_body(S.IGNORE, archived, NOW) == f"{TS}\tignored"


def test_foreign_means_no_ursa_writer() -> None:
    assert is_foreign({})
    assert is_foreign({"owner": "legacy"})
    assert not is_foreign(writer_metadata("mirror", 3))
    assert not is_foreign({"Ursa-Writer": "eng-a"})
    assert writer_metadata("eng-a", 9) == {"ursa-writer": "eng-a", "ursa-version": "9"}


def test_legacy_import_key_is_stable() -> None:
    key = legacy_import_key("b", "worksets/x/", "etag1")
    assert key == legacy_import_key("b", "worksets/x/", "etag1") and len(key) == 64
    assert key != legacy_import_key("b", "worksets/x/", "etag2")


# -- reconcile decisions (§5.4) ----------------------------------------------------------------


def folder(
    found: set[Sentinel] | frozenset[Sentinel] = frozenset(),
    foreign: set[Sentinel] | frozenset[Sentinel] = frozenset(),
    **kw: bool,
) -> FolderFacts:
    return FolderFacts(
        found=frozenset(found),
        foreign=frozenset(foreign),
        has_objects=kw.pop("has_objects", True),
        **kw,
    )


@pytest.mark.parametrize(
    "state", [W.AWAITING_APPROVAL, W.READY, W.ON_HOLD, W.RETRYING, W.ERROR, W.FAILED]
)
def test_foreign_ignore_is_applied_on_waiting_states(state: WorksetState) -> None:
    found = desired_sentinels(state) | {S.IGNORE}
    decision = decide_reconcile(ItemFacts(state=state), folder(found, {S.IGNORE}))
    assert decision.action is A.APPLY_IGNORE and not decision.repairs
    assert decision.reason.startswith("sentinel written by")


def test_foreign_ignore_names_the_owner_when_known() -> None:
    facts = folder({S.IGNORE}, {S.IGNORE}, has_objects=True)
    decision = decide_reconcile(ItemFacts(state=W.READY), replace(facts, ignore_owner="lab-admin"))
    assert decision.reason == "sentinel written by lab-admin"


def test_foreign_ignore_never_stops_running_work() -> None:
    found = {S.LOCK, S.IN_PROGRESS, S.IGNORE}
    decision = decide_reconcile(ItemFacts(state=W.IN_PROGRESS), folder(found, {S.IGNORE}))
    assert decision.action is A.FLAG_IGNORE_ON_RUNNING and not decision.repairs


@pytest.mark.parametrize("state", [W.ERROR, W.FAILED])
def test_reappearing_ready_is_flagged_not_obeyed(state: WorksetState) -> None:
    decision = decide_reconcile(ItemFacts(state=state), folder({S.ERROR, S.READY}, {S.READY}))
    assert decision.action is A.FLAG_MANUAL_RESTART and not decision.repairs


def test_our_own_stale_ready_on_error_is_just_repaired() -> None:
    decision = decide_reconcile(ItemFacts(state=W.ERROR), folder({S.ERROR, S.READY}))
    assert decision.action is A.REPAIR and decision.to_delete == {S.READY}


@pytest.mark.parametrize("name", [S.COMPLETE, S.ERROR, S.IN_PROGRESS])
def test_foreign_status_sentinels_alarm_and_repair(name: Sentinel) -> None:
    decision = decide_reconcile(ItemFacts(state=W.READY), folder({S.READY, name}, {name}))
    assert decision.action is A.ALARM_FOREIGN_WRITER
    assert decision.to_delete == {name} and decision.to_put == set()


def test_foreign_writer_row_comes_after_the_ignore_rows() -> None:
    facts = folder({S.IGNORE, S.COMPLETE}, {S.IGNORE, S.COMPLETE})
    assert decide_reconcile(ItemFacts(state=W.READY), facts).action is A.APPLY_IGNORE


def test_no_item_under_legacy_intake_imports() -> None:
    decision = decide_reconcile(None, folder({S.READY}, {S.READY}, legacy_intake=True))
    assert decision.action is A.IMPORT_LEGACY


def test_no_item_outside_intake_is_an_orphan() -> None:
    assert decide_reconcile(None, folder({S.READY}, {S.READY})).action is A.REPORT_ORPHAN
    assert decide_reconcile(None, folder()).action is A.IN_SYNC


@pytest.mark.parametrize(
    ("found", "state", "code"),
    [
        ({S.READY}, W.READY, None),
        ({S.COMPLETE, S.READY}, W.COMPLETE, None),
        ({S.ERROR}, W.ERROR, None),
        ({S.IGNORE, S.ERROR}, W.IGNORED, None),
        ({S.LOCK, S.IN_PROGRESS}, W.ERROR, "RECOVERED_UNCERTAIN"),
        ({S.LOCK}, W.ERROR, "RECOVERED_UNCERTAIN"),
        (set(), W.ERROR, "RECOVERED_UNCERTAIN"),
    ],
)
def test_ursa_folder_without_item_is_recovered(
    found: set[Sentinel], state: WorksetState, code: str | None
) -> None:
    decision = decide_reconcile(None, folder(found, has_ursa_info=True))
    assert decision.action is A.RECOVER_ITEM
    assert (decision.recovered_state, decision.recovered_code) == (state, code)


def test_missing_folder_alarms_unless_purged() -> None:
    empty = folder(has_objects=False)
    assert decide_reconcile(ItemFacts(state=W.READY), empty).action is A.ALARM_FOLDER_MISSING
    purged = ItemFacts(state=W.DELETED, purged=True)
    assert decide_reconcile(purged, empty).action is A.IN_SYNC
    unpurged = ItemFacts(state=W.DELETED)
    assert decide_reconcile(unpurged, empty).action is A.ALARM_FOLDER_MISSING


@pytest.mark.parametrize(
    ("state", "found", "put", "delete"),
    [
        (W.READY, set(), {S.READY}, set()),
        (W.IN_PROGRESS, {S.READY}, {S.LOCK, S.IN_PROGRESS}, {S.READY}),
        (W.COMPLETE, {S.LOCK, S.IN_PROGRESS}, {S.COMPLETE}, {S.LOCK, S.IN_PROGRESS}),
        (W.AWAITING_APPROVAL, {S.READY}, set(), {S.READY}),
        (W.COMPLETE, {S.COMPLETE, S.IGNORE}, set(), {S.IGNORE}),
    ],
)
def test_other_differences_are_repaired_in_s3(
    state: WorksetState, found: set[Sentinel], put: set[Sentinel], delete: set[Sentinel]
) -> None:
    decision = decide_reconcile(ItemFacts(state=state), folder(found))
    assert decision.action is A.REPAIR
    assert (decision.to_put, decision.to_delete) == (put, delete)
    assert decision.expected == desired_sentinels(state) and decision.found == found


@pytest.mark.parametrize("state", list(DESIRED))
def test_matching_sets_are_in_sync(state: WorksetState) -> None:
    decision = decide_reconcile(ItemFacts(state=state), folder(desired_sentinels(state)))
    assert decision.action is A.IN_SYNC and not decision.repairs


def test_archived_compares_against_its_prior_state() -> None:
    item = ItemFacts(state=W.ARCHIVED, pre_archive_state=W.COMPLETE)
    assert decide_reconcile(item, folder({S.COMPLETE})).action is A.IN_SYNC


def test_foreign_names_outside_found_are_ignored() -> None:
    decision = decide_reconcile(ItemFacts(state=W.READY), folder({S.READY}, {S.IGNORE}))
    assert decision.action is A.IN_SYNC
