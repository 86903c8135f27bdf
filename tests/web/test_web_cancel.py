"""Cancel: a confirmation dialog that says what will happen, then a CSRF-checked POST."""

from __future__ import annotations

import json

from web_portal import HTMX, Portal

from ursa.domain.enums import WorksetState
from ursa.web.presenters import QUEUED_CANCEL, RUNNING_CANCEL


def test_dialog_for_a_running_workset_explains_the_stop(sam: Portal) -> None:
    url = f"/worksets/{sam.id_of('Newborn screen Q4')}/cancel"
    response = sam.client.get(url, headers=HTMX)
    assert response.status_code == 200
    text = response.text
    assert "<html" not in text
    assert "<dialog" in text
    assert "data-onload-showmodal" in text
    assert "stop the pipeline on the cluster, cancel its Slurm jobs" in text
    assert "samples that already finished keep their results and costs" in text
    assert RUNNING_CANCEL in text
    assert f'hx-post="{url}"' in text
    assert f'action="{url}" ' in text
    assert 'method="post"' in text
    assert 'name="_csrf_token"' in text
    assert '<textarea id="cancel-reason" name="reason"' in text
    assert 'method="dialog"' in text  # "Keep workset" closes without a request


def test_dialog_for_a_queued_workset_says_nothing_is_charged(sam: Portal) -> None:
    text = sam.client.get(f"/worksets/{sam.id_of('Validation set 2')}/cancel", headers=HTMX).text
    assert QUEUED_CANCEL in text
    assert "it will not run" in text.lower()
    assert "nothing has been charged" in text


def test_dialog_for_a_finished_workset_offers_no_cancel(sam: Portal) -> None:
    text = sam.client.get(f"/worksets/{sam.id_of('NA12878 trio')}/cancel", headers=HTMX).text
    assert "can no longer be canceled" in text
    assert 'name="reason"' not in text
    assert ">Close<" in text


def test_cancel_confirm_page_works_without_javascript(sam: Portal) -> None:
    response = sam.client.get(f"/worksets/{sam.id_of('Validation set 2')}/cancel")
    assert response.status_code == 200
    assert "<html" in response.text
    assert "<dialog" in response.text
    assert " open" in response.text
    assert "data-onload-showmodal" not in response.text
    assert QUEUED_CANCEL in response.text


def test_cancel_without_csrf_token_is_rejected(sam: Portal) -> None:
    name = "Validation set 2"
    response = sam.client.post(
        f"/worksets/{sam.id_of(name)}/cancel", data={"reason": ""}, headers=HTMX
    )
    assert response.status_code == 403
    assert sam.workset(name).state is WorksetState.READY


def test_cancel_with_csrf_closes_the_dialog_and_signals_the_change(sam: Portal) -> None:
    name = "Validation set 2"
    response = sam.cancel(name, headers=HTMX, reason="duplicate order")
    assert response.status_code == 200
    trigger = json.loads(response.headers["hx-trigger"])
    assert trigger == {"closeDialog": True, "worksetChanged": sam.id_of(name)}
    assert response.headers["hx-reswap"] == "none"
    assert '<div id="toasts" hx-swap-oob="beforeend">' in response.text
    assert "Workset canceled" in response.text
    assert sam.workset(name).state is WorksetState.CANCELED
    detail = sam.client.get(f"/worksets/{sam.id_of(name)}").text
    assert "duplicate order" in detail
    assert "load delay" not in detail


def test_cancel_with_csrf_header_like_htmx_sends_it(sam: Portal) -> None:
    name = "Deep WGS 120x"
    headers = {**HTMX, "x-csrftoken": sam.csrf()}
    response = sam.client.post(f"/worksets/{sam.id_of(name)}/cancel", data={}, headers=headers)
    assert response.status_code == 200
    assert sam.workset(name).state is WorksetState.CANCELED


def test_cancel_a_running_workset_requests_a_stop(sam: Portal) -> None:
    name = "Newborn screen Q4"
    response = sam.cancel(name, headers=HTMX)
    assert response.status_code == 200
    assert "Stopping workset" in response.text
    ws = sam.workset(name)
    assert ws.state is WorksetState.IN_PROGRESS
    assert ws.cancel_pending
    detail = sam.client.get(f"/worksets/{ws.workset_id}").text
    assert "Cancel requested" in detail
    assert "Cancel workset" not in detail


def test_plain_form_post_redirects_to_the_detail_page(sam: Portal) -> None:
    name = "Validation set 2"
    response = sam.cancel(name)
    assert response.status_code == 303
    assert response.headers["location"] == f"/worksets/{sam.id_of(name)}"
    assert sam.workset(name).state is WorksetState.CANCELED


def test_overlong_reason_re_renders_the_dialog_with_422(sam: Portal) -> None:
    name = "Validation set 2"
    response = sam.cancel(name, headers=HTMX, reason="x" * 501)
    assert response.status_code == 422
    assert "<dialog" in response.text
    assert "Keep the reason under 500 characters" in response.text
    assert 'aria-invalid="true"' in response.text
    assert sam.workset(name).state is WorksetState.READY


def test_cancel_of_another_tenants_workset_is_not_found(sam: Portal) -> None:
    name = "Globex batch 5"
    response = sam.cancel(name, headers=HTMX)
    assert response.status_code == 404
    assert sam.workset(name).state is WorksetState.READY


def test_dialog_for_a_retrying_workset_says_earlier_charges_stay(sam: Portal) -> None:
    text = sam.client.get(f"/worksets/{sam.id_of('Deep WGS 120x')}/cancel", headers=HTMX).text
    assert "It will not run again" in text
    assert "nothing has been charged" not in text
