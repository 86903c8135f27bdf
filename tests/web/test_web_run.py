"""The run panel inside the polling status region: the stepper, progress, attempt, cluster,
head node (provider admins), the last error, per-sample outcomes and when polling stops."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from web_portal import HTMX, Portal

from ursa.domain.enums import STEP_ORDER, ProgressStep, WorksetState
from ursa.web import formatting as fmt
from ursa.web.presenters_run import step_status

S = WorksetState
P = ProgressStep


def steps(html: str) -> dict[str, str]:
    """Step value → status, from the stepper."""
    return dict(re.findall(r'data-step="([a-z_]+)" data-status="([a-z]+)"', html))


def status_region(html: str) -> str:
    match = re.search(r'<section id="workset-status".*?</section>', html, re.S)
    assert match
    return match.group(0)


def test_in_progress_workset_shows_the_stepper_and_the_run(sam: Portal) -> None:
    ws = sam.workset("Newborn screen Q4")  # seeded at pipeline_running, 42 %
    region = status_region(sam.client.get(f"/worksets/{ws.workset_id}").text)
    shown = steps(region)
    assert list(shown) == [s.value for s in STEP_ORDER]
    assert [shown[s.value] for s in STEP_ORDER] == ["done"] * 4 + ["current"] + ["pending"] * 5
    assert 'data-step="pipeline_running" data-status="current" aria-current="step"' in region
    assert region.count('aria-current="step"') == 1
    assert '<span class="sr-only">(in progress)</span>' in region
    assert '<ol class="stepper" aria-label="Progress steps">' in region
    assert '<progress max="100" value="42"' in region
    assert "Step 5 of 10" in region
    assert "Attempt 1 of 3" in region
    assert ws.run is not None
    assert f'<dd class="mono">{ws.run.run_id}</dd>' in region
    assert "ursa-sim-01" in region
    assert "Pipeline launched" in region
    assert "Started" in region
    assert "Head node" not in region  # customers never see the head node
    assert "sim-headnode" not in region


def test_provider_admin_sees_the_head_node(pat: Portal) -> None:
    region = status_region(pat.client.get(f"/worksets/{pat.id_of('Newborn screen Q4')}").text)
    assert "<dt>Head node</dt>" in region
    assert "ubuntu@sim-headnode.ursa.local (i-0sim0head)" in region


def test_polling_region_is_live_and_polls_only_while_active(sam: Portal) -> None:
    for name in ("Newborn screen Q4", "Validation set 2"):  # in progress, ready
        region = status_region(sam.client.get(f"/worksets/{sam.id_of(name)}").text)
        assert 'hx-trigger="every 3s, worksetChanged from:body"' in region, name
        assert 'hx-swap="outerHTML"' in region
        assert 'aria-live="polite"' in region
        assert "refreshes automatically" in region
    for name in ("NA12878 trio", "Truncated upload", "Duplicate order"):  # terminal
        region = status_region(sam.client.get(f"/worksets/{sam.id_of(name)}").text)
        assert 'hx-trigger="worksetChanged from:body"' in region, name
        assert "every 3s" not in region
        assert "refreshes automatically" not in region


def test_polling_stops_once_the_workset_is_terminal(sam: Portal) -> None:
    url = f"/worksets/{sam.id_of('Validation set 2')}"
    assert "every 3s" in sam.client.get(url, headers=HTMX).text  # ready
    assert sam.cancel("Validation set 2", headers=HTMX).status_code == 200  # not started: done
    answer = sam.client.get(url, headers=HTMX).text
    assert 'data-state="canceled"' in answer
    assert 'hx-trigger="worksetChanged from:body"' in answer
    assert "every 3s" not in answer


def test_canceling_a_running_workset_keeps_polling_and_stops_its_step(sam: Portal) -> None:
    url = f"/worksets/{sam.id_of('Newborn screen Q4')}"
    sam.cancel("Newborn screen Q4", headers=HTMX)
    stopping = sam.client.get(url, headers=HTMX).text
    assert "every 3s" in stopping  # still in progress while the engine stops the run
    shown = steps(stopping)
    assert shown["pipeline_running"] == "stopped"  # the step it was at, no longer current
    assert shown["staging"] == "done"
    assert 'aria-current="step"' not in stopping


def test_ready_workset_is_queued_with_every_step_pending(sam: Portal) -> None:
    region = status_region(sam.client.get(f"/worksets/{sam.id_of('Validation set 2')}").text)
    assert set(steps(region).values()) == {"pending"}
    assert "Queued: the engine starts the run shortly." in region
    assert "3 attempts allowed" in region
    assert "Run ID" not in region


def test_complete_workset_shows_every_step_done_and_sample_costs(sam: Portal) -> None:
    text = sam.client.get(f"/worksets/{sam.id_of('NA12878 trio')}").text
    region = status_region(text)
    assert set(steps(region).values()) == {"done"}
    assert "All 10 steps done" in region
    assert "<dt>Ended</dt>" in region
    samples = re.search(r'<section id="workset-samples".*?</section>', text, re.S)
    assert samples
    assert '<th scope="col" class="num">Actual cost</th>' in samples.group(0)
    for row in re.findall(r'<tr data-sample="[^"]+">.*?</tr>', samples.group(0), re.S):
        assert 'data-state="succeeded"' in row
        assert re.search(r'<td class="num">\$\d+\.\d\d</td>', row)  # the posted actual


def test_failed_attempt_marks_its_step_and_shows_the_last_error(sam: Portal) -> None:
    text = sam.client.get(f"/worksets/{sam.id_of('Truncated upload')}").text
    region = status_region(text)
    shown = steps(region)
    assert shown["pipeline_running"] == "failed"
    assert shown["pipeline_starting"] == "done"
    assert shown["finalizing"] == "pending"
    assert "Failed at step 5 of 10: pipeline running" in region
    assert "Last error" in region
    assert "<code>WS-DAT-001</code>" in region
    samples = re.search(r'<section id="workset-samples".*?</section>', text, re.S)
    assert samples
    assert 'data-state="failed"' in samples.group(0)
    assert "<code>WS-DAT-001 · InvalidFASTQ</code>" in samples.group(0)


def test_retrying_workset_shows_the_error_and_polls_slowly(sam: Portal) -> None:
    region = status_region(sam.client.get(f"/worksets/{sam.id_of('Deep WGS 120x')}").text)
    assert steps(region)["pipeline_running"] == "failed"
    assert "<code>WS-RES-001</code>" in region
    assert "load delay:5s" in region


def test_no_run_panel_before_a_run_exists(ada: Portal) -> None:
    region = status_region(ada.client.get(f"/worksets/{ada.id_of('Duplicate order')}").text)
    assert 'id="workset-run"' not in region


@pytest.mark.parametrize(
    ("state", "reached", "expected"),
    [
        (S.COMPLETE, P.FINALIZING, "d" * 10),
        (S.READY, None, "p" * 10),
        (S.IN_PROGRESS, P.STAGING, "c" + "p" * 9),
        (S.IN_PROGRESS, P.EXPORTING, "d" * 6 + "c" + "p" * 3),
        (S.RETRYING, P.CLUSTER_READY, "ddf" + "p" * 7),
        (S.FAILED, P.FINALIZING, "d" * 9 + "f"),
        (S.CANCELED, P.EXPORTING, "d" * 6 + "s" + "p" * 3),
        (S.ON_HOLD, None, "p" * 10),
    ],
)
def test_step_status(state: WorksetState, reached: ProgressStep | None, expected: str) -> None:
    assert "".join(step_status(state, reached, step)[0] for step in STEP_ORDER) == expected


def test_command_formatting() -> None:
    assert fmt.clock_time(datetime(2026, 11, 23, 14, 5, 9, tzinfo=UTC)) == "14:05:09"
    assert fmt.duration(0.25) == "0.25 s"
    assert fmt.duration(12.44) == "12.4 s"
    assert fmt.duration(185) == "3 min 05 s"
    assert fmt.duration(7620) == "2 h 07 min"
    assert fmt.duration(-1) == "0.00 s"
    assert fmt.line_count("a") == "1 line"
    assert fmt.line_count("a\nb\n") == "2 lines"
    assert fmt.money(Decimal("3.456")) == "$3.46"
