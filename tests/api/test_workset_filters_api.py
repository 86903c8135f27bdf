"""Workset list filters through the real app (seeded demo: 25 worksets, SEED_NOW 2026-11-23
12:00 UTC): owner, created range, ``q`` operators, their combination, paging and tenancy."""

from __future__ import annotations

from typing import Any

import pytest

from api_client import Api

SAM, ADA, GIL, UMA, PAT = (
    "sam@acme.example",
    "ada@acme.example",
    "gil@globex.example",
    "uma@globex.example",
    "admin@ursa.example",
)
PROBLEM = "application/problem+json"


def _get(api: Api, email: str, **params: Any) -> Any:
    return api.client.get(
        "/api/v1/worksets", headers=api.auth(email), params={"limit": "100", **params}
    )


def _names(api: Api, email: str, **params: Any) -> set[str]:
    response = _get(api, email, **params)
    assert response.status_code == 200, response.text
    return {w["name"] for w in response.json()["items"]}


def _problem(api: Api, email: str, **params: Any) -> dict[str, Any]:
    response = _get(api, email, **params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    return body


def _user_id(api: Api, email: str) -> str:
    """A customer_user sees only their own worksets: the one owner id among them."""
    items = _get(api, email, include_archived="true").json()["items"]
    (found,) = {w["owner_user_id"] for w in items}
    return str(found)


SAM_ACTIVE = {
    "Validation set 2",
    "Newborn screen Q4",
    "Deep WGS 120x",
    "Tumor normal pair 3",
    "Truncated upload",
    "Duplicate order",
    "Cardio panel batch 7",
    "NA12878 trio",
}


def test_owner_by_email_id_or_me_for_an_admin(api: Api) -> None:
    assert _names(api, SAM) == SAM_ACTIVE
    assert _names(api, ADA, owner=SAM) == SAM_ACTIVE
    assert _names(api, ADA, owner=_user_id(api, SAM)) == SAM_ACTIVE
    assert _names(api, ADA, owner="SAM@acme.example") == SAM_ACTIVE
    mine = _names(api, ADA, owner="me")
    assert mine and not mine & SAM_ACTIVE and mine < _names(api, ADA)
    assert _names(api, SAM, owner="me") == _names(api, SAM, owner=SAM) == SAM_ACTIVE
    assert _names(api, PAT, owner=UMA) == {
        "Clinical exome 44",
        "Population study 9",
        "Globex batch 4",
        "Globex failed QC",
        "Globex rerun",
        "Globex trio 1",
    }


@pytest.mark.parametrize(
    ("email", "params"),
    [
        (SAM, {"owner": ADA}),  # a colleague: a customer_user sees only their own
        (SAM, {"q": f"owner:{ADA}"}),
        (ADA, {"owner": UMA}),  # another tenant's user
        (ADA, {"q": "owner:uma@globex.example"}),
        (GIL, {"owner": SAM, "include_archived": "true"}),
        (ADA, {"owner": "nobody@nowhere.example"}),
        (ADA, {"owner": "not-a-user-id"}),
        (GIL, {"q": "id:cohort-b"}),
        (UMA, {"q": "name:batch owner:gil@globex.example"}),
    ],
)
def test_an_owner_or_id_outside_the_callers_view_is_an_empty_list(
    api: Api, email: str, params: dict[str, str]
) -> None:
    response = _get(api, email, **params)
    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "next_cursor": None}


def test_filters_never_widen_what_a_caller_sees(api: Api) -> None:
    probes: list[dict[str, str]] = [
        {"owner": SAM},
        {"owner": UMA},
        {"q": "state:complete"},
        {"q": "-state:complete"},
        {"q": "created>=2026-01-01"},
        {"q": "name:globex"},
        {"q": "id:globex"},
        {"state": "archived", "q": "state:archived"},
        {"created_after": "2026-01-01T00:00:00Z"},
    ]
    for email in (SAM, ADA, GIL, UMA, PAT):
        visible = _names(api, email, include_archived="true")
        for probe in probes:
            assert _names(api, email, include_archived="true", **probe) <= visible, (email, probe)


def test_created_range_is_inclusive_then_exclusive(api: Api) -> None:
    window = {"created_after": "2026-11-23T00:00:00Z", "created_before": "2026-11-23T06:00:00Z"}
    expected = {"Globex budget hold", "Tumor normal pair 3", "Deep WGS 120x"}
    assert _names(api, PAT, **window) == expected
    shifted = {"created_after": "2026-11-23T01:00:00+01:00", "created_before": "2026-11-23T06:00Z"}
    assert _names(api, PAT, **shifted) == expected  # 00:00 UTC, given in +01:00
    assert _names(api, ADA, **window) == expected - {"Globex budget hold"}
    assert _names(api, PAT, created_after="2026-11-23T11:00:00Z") == {
        "Globex batch 5",
        "Cohort B wave 2",
    }
    assert _names(api, PAT, created_before="2026-11-02T16:00:00Z", include_archived="true") == {
        "Pilot 2025"
    }
    assert _names(api, PAT, **{**window, "created_before": "2026-11-22T00:00:00Z"}) == set()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("created_after", "yesterday"),
        ("created_after", "2026-11-23T00:00:00"),  # no timezone
        ("created_after", "2026-11-23"),  # a date, not a date-time
        ("created_before", "2026-13-01T00:00:00Z"),
        ("created_before", "1800-01-01T00:00:00Z"),
    ],
)
def test_a_bad_created_bound_is_422_on_that_parameter(api: Api, name: str, value: str) -> None:
    body = _problem(api, ADA, **{name: value})
    assert [e["field"] for e in body["errors"]] == [name]


def test_operators_in_q(api: Api) -> None:
    assert _names(api, ADA, q=f"state:in_progress owner:{SAM}") == {
        "Newborn screen Q4",
        "Tumor normal pair 3",
    }
    assert _names(api, ADA, q='name:"cohort b"') == {"Cohort B wave 2", "Cohort B wave 3"}
    assert _names(api, ADA, q="id:cohort-b-wave-3") == {"Cohort B wave 3"}
    assert _names(api, PAT, q="type:clinical") == {"Clinical exome 44"}
    assert _names(api, PAT, q="priority:urgent") == {"Newborn screen Q4"}
    assert _names(api, SAM, q="-state:complete -state:canceled -priority:urgent") == {
        "Validation set 2",
        "Deep WGS 120x",
        "Tumor normal pair 3",
        "Truncated upload",
    }
    assert _names(api, ADA, q="state:ready state:retrying") == {
        "Cohort B wave 3",
        "Validation set 2",
        "Deep WGS 120x",
    }
    assert _names(api, PAT, q="created>=2026-11-23 created<2026-11-23T06:00:00Z") == {
        "Globex budget hold",
        "Tumor normal pair 3",
        "Deep WGS 120x",
    }
    assert _names(api, PAT, q="created:2026-11-11", include_archived="true") == {
        "Ignored legacy folder",
        "Globex trio 1",
    }
    assert _names(api, ADA, q="owner:me trio") == set()
    assert _names(api, SAM, q="owner:me trio") == {"NA12878 trio"}


def test_the_documented_example_is_valid(api: Api) -> None:
    q = (
        "state:failed priority:urgent owner:sam@acme.example created>2026-11-01 "
        'type:clinical name:"exome batch" tumour'
    )
    assert _names(api, ADA, q=q) == set()


def test_parameters_and_operators_combine_and_conflicts_intersect(api: Api) -> None:
    assert _names(api, ADA, state="ready", q="state:in_progress") == set()
    assert _names(api, ADA, state=["ready", "in_progress"], q="state:in_progress") == {
        "Newborn screen Q4",
        "Tumor normal pair 3",
        "Cohort B wave 2",
    }
    assert _names(api, ADA, priority="low", q="priority:urgent") == set()
    assert _names(api, ADA, owner=SAM, q="owner:ada@acme.example") == set()
    assert _names(api, ADA, owner=SAM, q="owner:me") == set()
    assert _names(api, ADA, owner=SAM, q=f"owner:{SAM} state:ready") == {"Validation set 2"}
    assert _names(
        api, PAT, created_after="2026-11-23T00:00:00Z", q="created<2026-11-23T06:00:00Z globex"
    ) == {"Globex budget hold"}


def test_bad_operators_are_422_on_q_naming_the_operator(api: Api) -> None:
    body = _problem(api, ADA, q="colour:blue trio")
    assert body["errors"] == [
        {"field": "q", "row": None, "code": "UNKNOWN_OPERATOR", "message": body["detail"]}
    ]
    assert "'colour:'" in body["detail"]
    body = _problem(api, ADA, q="state:done priority:high -name:x created>last-week")
    assert [e["field"] for e in body["errors"]] == ["q"] * 4
    messages = " | ".join(e["message"] for e in body["errors"])
    for operator in ("state:", "priority:", "-name:", "created>"):
        assert operator in messages
    assert "q" in [e["field"] for e in _problem(api, ADA, q="x" * 201)["errors"]]


def test_quoted_text_with_a_colon_is_free_text(api: Api) -> None:
    assert _names(api, ADA, q='"cohort:"') == set()
    assert _names(api, ADA, q='"cohort b"') == {"Cohort B wave 2", "Cohort B wave 3"}


def test_filtered_pages_have_no_duplicates_or_gaps(api: Api) -> None:
    params = {"created_after": "2026-11-11T00:00:00Z", "q": "-state:complete"}
    everything = [w["workset_id"] for w in _get(api, PAT, **params).json()["items"]]
    assert len(everything) == 17
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = _get(api, PAT, **params, limit="4", **({"cursor": cursor} if cursor else {}))
        body = page.json()
        assert len(body["items"]) == 4 or body["next_cursor"] is None
        seen += [w["workset_id"] for w in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == everything
