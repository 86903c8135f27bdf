"""The workset list and detail pages: tenancy, partials, filters, paging and polling."""

from __future__ import annotations

import re

from web_portal import BOOSTED, HTMX, Portal, row_names

SAM_VISIBLE = {
    "NA12878 trio",
    "Cardio panel batch 7",
    "Newborn screen Q4",
    "Tumor normal pair 3",
    "Validation set 2",
    "Deep WGS 120x",
    "Truncated upload",
    "Duplicate order",
}
ADA_ONLY = {
    "Rare disease family 12",
    "Smoke test",
    "Cohort B wave 2",
    "Cohort B wave 3",
    "Legacy reprocess",
    "Ignored legacy folder",
}
HIDDEN_BY_DEFAULT = {"Pilot 2025", "Wrong project"}  # archived, deleted


def test_customer_user_sees_only_own_worksets(sam: Portal) -> None:
    page = sam.client.get("/worksets")
    assert page.status_code == 200
    assert set(row_names(page.text)) == SAM_VISIBLE


def test_customer_admin_sees_the_whole_customer_and_no_other_tenant(ada: Portal) -> None:
    names = set(row_names(ada.client.get("/worksets").text))
    assert names == SAM_VISIBLE | ADA_ONLY
    assert not any(name.startswith("Globex") for name in names)
    assert not names & HIDDEN_BY_DEFAULT


def test_list_rows_show_state_progress_priority_samples_and_cost(sam: Portal) -> None:
    page = sam.client.get("/worksets").text
    assert 'class="badge badge-running" data-state="in_progress">In progress<' in page
    assert 'class="badge badge-done" data-state="complete">Complete<' in page
    assert 'class="badge badge-error" data-state="error">Error<' in page
    assert 'class="badge badge-inactive" data-state="canceled">Canceled<' in page
    assert 'class="badge badge-queued" data-state="ready">Ready<' in page
    assert "Pipeline running" in page
    assert '<progress max="100" value="42"' in page
    assert "Urgent" in page
    assert re.search(r"\$\d+\.\d\d<", page)  # an actual cost
    assert re.search(r"est\. \$\d+\.\d\d<", page)  # an estimate
    assert sam.id_of("Newborn screen Q4") in page


def test_other_tenants_workset_is_a_404_page(sam: Portal) -> None:
    response = sam.client.get(f"/worksets/{sam.id_of('Globex batch 4')}")
    assert response.status_code == 404
    assert "<html" in response.text
    assert "Not found" in response.text
    assert "Globex batch 4" not in response.text


def test_customer_user_cannot_open_a_colleagues_workset(sam: Portal) -> None:
    assert sam.client.get(f"/worksets/{sam.id_of('Smoke test')}").status_code == 404


def test_htmx_request_returns_only_the_table_partial(sam: Portal) -> None:
    response = sam.client.get("/worksets", headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<section id="worksets-table"')
    assert 'hx-trigger="worksetChanged from:body"' in response.text
    assert set(row_names(response.text)) == SAM_VISIBLE


def test_boosted_navigation_and_history_restore_get_the_full_page(sam: Portal) -> None:
    assert "<html" in sam.client.get("/worksets", headers=BOOSTED).text
    restore = {**HTMX, "HX-History-Restore-Request": "true"}
    assert "<html" in sam.client.get("/worksets", headers=restore).text


def test_full_page_has_filters_that_push_real_urls(sam: Portal) -> None:
    page = sam.client.get("/worksets").text
    assert 'id="worksets-table"' in page
    assert '<form id="worksets-filters"' in page
    assert 'action="/worksets" method="get"' in page
    assert 'hx-trigger="keyup changed delay:300ms, search"' in page
    assert page.count('hx-push-url="true"') >= 2
    assert '<option value="in_progress">In progress</option>' in page


def test_state_filter(ada: Portal) -> None:
    response = ada.client.get("/worksets?state=complete", headers=HTMX)
    assert set(row_names(response.text)) == {
        "NA12878 trio",
        "Cardio panel batch 7",
        "Rare disease family 12",
        "Smoke test",
    }
    page = ada.client.get("/worksets?state=archived").text
    assert row_names(page) == ["Pilot 2025"]
    assert '<option value="archived" selected>' in page


def test_search_filter(ada: Portal) -> None:
    response = ada.client.get("/worksets?q=cohort", headers=HTMX)
    assert set(row_names(response.text)) == {"Cohort B wave 2", "Cohort B wave 3"}
    by_id = ada.client.get(f"/worksets?q={ada.id_of('Smoke test')}", headers=HTMX)
    assert row_names(by_id.text) == ["Smoke test"]
    none = ada.client.get("/worksets?q=zzz-nothing", headers=HTMX)
    assert row_names(none.text) == []
    assert "No worksets match these filters." in none.text


def test_unknown_state_is_rejected(sam: Portal) -> None:
    response = sam.client.get("/worksets?state=bogus")
    assert response.status_code == 422
    assert "state must be one of" in response.text


def test_search_text_is_escaped(sam: Portal) -> None:
    page = sam.client.get("/worksets", params={"q": '"><script>alert(1)</script>'}).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_pagination_with_cursor(ada: Portal) -> None:
    first = ada.client.get("/worksets?limit=5", headers=HTMX).text
    assert len(row_names(first)) == 5
    assert "First page" not in first
    next_url = re.search(r'rel="next" href="([^"]+)"', first)
    assert next_url
    url = next_url.group(1).replace("&amp;", "&")
    assert "cursor=" in url
    assert "limit=5" in url
    second = ada.client.get(url, headers=HTMX).text
    assert len(row_names(second)) == 5
    assert not set(row_names(first)) & set(row_names(second))
    assert 'href="/worksets?limit=5"' in second  # back to the first page
    seen = set(row_names(first)) | set(row_names(second))
    while match := re.search(r'rel="next" href="([^"]+)"', second):
        second = ada.client.get(match.group(1).replace("&amp;", "&"), headers=HTMX).text
        seen |= set(row_names(second))
    assert seen == SAM_VISIBLE | ADA_ONLY


def test_detail_page_shows_facts_samples_and_history(sam: Portal) -> None:
    page = sam.client.get(f"/worksets/{sam.id_of('NA12878 trio')}")
    assert page.status_code == 200
    text = page.text
    assert "<title>NA12878 trio · Ursa</title>" in text
    for sample in ("HG002", "HG003", "HG004"):
        assert sample in text
    for fact in (
        "Pipeline",
        "Reference",
        "GRCh38 / hg38",
        "Priority",
        "Owner",
        "sam@acme.example",
        "Attempts",
        "Cost estimate",
        "Actual cost",
        "Cost cap",
    ):
        assert fact in text
    assert 'class="timeline"' in text
    assert "Submit" in text
    assert "Ready → In progress" in text
    assert "GiB" in text


def test_detail_of_failed_workset_shows_remediation(sam: Portal) -> None:
    text = sam.client.get(f"/worksets/{sam.id_of('Truncated upload')}").text
    assert "Last error" in text
    assert "WS-DAT-001" in text
    assert "What to do:" in text


def test_in_progress_detail_polls_and_offers_cancel(sam: Portal) -> None:
    text = sam.client.get(f"/worksets/{sam.id_of('Newborn screen Q4')}").text
    assert 'id="workset-status"' in text
    assert 'hx-trigger="every 3s, worksetChanged from:body"' in text
    assert "Step 5 of 10" in text
    assert 'hx-target="#dialogs"' in text
    assert "Cancel workset" in text


def test_complete_detail_does_not_poll_nor_offer_cancel(sam: Portal) -> None:
    text = sam.client.get(f"/worksets/{sam.id_of('NA12878 trio')}").text
    assert 'id="workset-status"' in text
    assert "load delay" not in text
    assert "every 3s" not in text
    assert 'hx-trigger="worksetChanged from:body"' in text
    assert "Cancel workset" not in text


def test_htmx_detail_request_returns_the_status_partial(sam: Portal) -> None:
    response = sam.client.get(f"/worksets/{sam.id_of('Newborn screen Q4')}", headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<section id="workset-status"')
    assert "every 3s" in response.text
    status = response.text.split("</section>", 1)[0]
    assert "NB001" not in status  # samples are not part of the status region...
    # ...but the regions a poll outdates come along, swapped out-of-band
    for region in ("workset-facts", "workset-samples", "workset-history"):
        assert f'<section id="{region}" class="card"' in response.text
        assert re.search(rf'id="{region}"[^>]*hx-swap-oob="true"', response.text)
    assert "NB001" in response.text


def test_waiting_states_poll_slowly(ada: Portal) -> None:
    text = ada.client.get(f"/worksets/{ada.id_of('Deep WGS 120x')}").text  # retrying
    assert 'hx-trigger="load delay:5s, worksetChanged from:body"' in text
    assert "every 3s" not in text
