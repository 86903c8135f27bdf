"""The portal list's search box takes the API's ``key:value`` operators; an operator it
cannot use is an inline message in ``#worksets-table`` (422, swapped by htmx), not a toast."""

from __future__ import annotations

from web_portal import HTMX, Portal, row_names


def test_search_operators_filter_and_bad_ones_show_inline(ada: Portal) -> None:
    found = ada.client.get("/worksets", params={"q": 'state:ready name:"wave 3"'}, headers=HTMX)
    assert found.status_code == 200
    assert row_names(found.text) == ["Cohort B wave 3"]

    bad = ada.client.get("/worksets", params={"q": "colour:blue state:<b>x"}, headers=HTMX)
    assert bad.status_code == 422
    assert bad.text.lstrip().startswith('<section id="worksets-table"')
    assert "HX-Reswap" not in bad.headers  # the region is swapped, not a toast
    assert 'id="worksets-search-error" class="field-error" role="alert"' in bad.text
    assert "Search not understood: unknown search operator &#39;colour:&#39;" in bad.text
    assert "state: must be one of" in bad.text and "&lt;b&gt;x" in bad.text
    assert "<b>x" not in bad.text
    assert row_names(bad.text) == [] and "No worksets" not in bad.text

    page = ada.client.get("/worksets", params={"q": "created>=yesterday"})
    assert page.status_code == 422 and "<html" in page.text
    assert 'value="created&gt;=yesterday"' in page.text  # the box keeps what was typed
    assert "created&gt;= expects a date" in page.text
