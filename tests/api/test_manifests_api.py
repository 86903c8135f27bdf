"""/api/v1/manifests through the real app: schemas, problem details, ETags, tenancy."""

from __future__ import annotations

from typing import Any

import pytest

from api_client import Api
from ursa.app.api.manifest_schemas import EXAMPLE_TSV
from ursa.app.api.manifests import expected_version
from ursa.domain.errors import PreconditionFailed

SAM, ADA, GIL, PAT = (
    "sam@acme.example",
    "ada@acme.example",
    "gil@globex.example",
    "admin@ursa.example",
)
ACME = "acme-genomics-3f9c01ab"
PROBLEM = "application/problem+json"
BASE = "/api/v1/manifests"
SEEDED = "NA12878 trio template"
TRIO = "sequencing/na12878-trio/"


def _list(api: Api, email: str, **params: str) -> list[dict[str, Any]]:
    response = api.client.get(BASE, headers=api.auth(email), params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _seeded(api: Api) -> dict[str, Any]:
    (found,) = [m for m in _list(api, SAM) if m["name"] == SEEDED]
    return found


def _save(api: Api, email: str, **body: Any) -> dict[str, Any]:
    response = api.client.post(
        BASE, headers=api.auth(email), json={"name": "Saved", "tsv": EXAMPLE_TSV, **body}
    )
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    saved: dict[str, Any] = response.json()
    return saved


def test_the_seeded_manifest_is_shared_within_acme_only(api: Api) -> None:
    seeded = _seeded(api)
    assert seeded["customer_id"] == ACME and seeded["sample_count"] == 3
    assert seeded["version"] == 1 and seeded["row_count"] == 3
    assert seeded["manifest_id"] in {m["manifest_id"] for m in _list(api, ADA)}
    assert seeded["manifest_id"] in {m["manifest_id"] for m in _list(api, PAT)}
    assert _list(api, GIL) == [] and _list(api, GIL, customer_id=ACME) == []
    assert len(_list(api, PAT, customer_id=ACME)) == 1
    assert _list(api, PAT, customer_id="globex-bio-7d20e4c1") == []
    one = api.client.get(f"{BASE}/{seeded['manifest_id']}", headers=api.auth(ADA))
    assert one.status_code == 200 and one.json() == seeded and one.headers["etag"] == '"1"'


def test_another_tenant_gets_the_same_404_as_for_a_missing_manifest(api: Api) -> None:
    seeded = _seeded(api)["manifest_id"]
    for suffix in ("", "/download"):
        hidden = api.client.get(f"{BASE}/{seeded}{suffix}", headers=api.auth(GIL))
        missing = api.client.get(f"{BASE}/mf-ghost-0badc0de{suffix}", headers=api.auth(GIL))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.headers["content-type"].startswith(PROBLEM)
        bodies = [r.json() for r in (hidden, missing)]
        for body in bodies:
            body.pop("instance"), body.pop("request_id", None)
        assert bodies[0] == bodies[1]
    for method, body in (("PATCH", {"name": "Mine"}), ("DELETE", None)):
        refused = api.client.request(method, f"{BASE}/{seeded}", headers=api.auth(GIL), json=body)
        assert refused.status_code == 404
    assert _seeded(api)["version"] == 1


def test_validate_reports_issues_by_row_and_column_without_saving(api: Api) -> None:
    good = api.client.post(f"{BASE}/validate", headers=api.auth(SAM), json={"tsv": EXAMPLE_TSV})
    assert good.status_code == 200, good.text
    body = good.json()
    assert body["valid"] and body["sample_count"] == 1 and body["issues"] == []
    assert body["samples"][0]["sample_id"] == "HG002" and len(body["sha256"]) == 64
    bad_tsv = EXAMPLE_TSV.replace("\tblood\t", "\tblod\t").replace("\tILMN\t", "\tILLUMINA\t")
    bad = api.client.post(f"{BASE}/validate", headers=api.auth(SAM), json={"tsv": bad_tsv})
    assert bad.status_code == 200
    report = bad.json()
    assert not report["valid"] and report["sample_count"] is None and report["row_count"] == 1
    assert {(i["row"], i["field"]) for i in report["issues"]} >= {
        (2, "SAMPLE_TYPE"),
        (2, "SEQ_VENDOR"),
    }
    # Globex may not name Acme's bucket.
    theirs = api.client.post(f"{BASE}/validate", headers=api.auth(GIL), json={"tsv": EXAMPLE_TSV})
    assert {i["code"] for i in theirs.json()["issues"]} == {"INPUT_NOT_ALLOWED"}
    assert len(_list(api, SAM)) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"tsv": EXAMPLE_TSV, "extra": 1},
        {"tsv": ""},
        {"tsv": 3},
        {},
        {"tsv": EXAMPLE_TSV, "customer_id": "x" * 65},
    ],
)
def test_malformed_bodies_are_422(api: Api, body: dict[str, Any]) -> None:
    response = api.client.post(f"{BASE}/validate", headers=api.auth(SAM), json=body)
    assert response.status_code == 422 and response.headers["content-type"].startswith(PROBLEM)


def test_save_then_read_and_download_the_file(api: Api) -> None:
    crlf = EXAMPLE_TSV.replace("\n", "\r\n")
    saved = _save(api, SAM, name="  Single HG002 ", description="one sample", tsv=crlf)
    assert saved["name"] == "Single HG002" and saved["owner_user_id"]
    assert saved["manifest_id"].startswith("mf-single-hg002-")
    download = api.client.get(f"{BASE}/{saved['manifest_id']}/download", headers=api.auth(ADA))
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/tab-separated-values")
    disposition = download.headers["content-disposition"]
    assert disposition == f'attachment; filename="{saved["manifest_id"]}_stage_samples.tsv"'
    assert download.content == EXAMPLE_TSV.encode()  # CRLF normalised, as digested
    assert download.headers["etag"] == '"1"' and len(_list(api, SAM)) == 2


def test_an_invalid_save_is_422_with_every_issue(api: Api) -> None:
    bad_tsv = EXAMPLE_TSV.replace("\tblood\t", "\tblod\t").replace("\t1\t1\t\n", "\t\t\t\n")
    response = api.client.post(BASE, headers=api.auth(SAM), json={"name": "Bad", "tsv": bad_tsv})
    assert response.status_code == 422 and response.headers["content-type"].startswith(PROBLEM)
    errors = {(e["row"], e["field"], e["code"]) for e in response.json()["errors"]}
    assert {(2, "SAMPLE_TYPE", "BAD_VALUE"), (2, "N_X", "EMPTY_REQUIRED")} <= errors
    named = api.client.post(BASE, headers=api.auth(SAM), json={"name": "-x", "tsv": EXAMPLE_TSV})
    assert named.status_code == 422 and named.json()["errors"][0]["field"] == "name"
    assert len(_list(api, SAM)) == 1


def test_an_idempotency_key_replays_the_first_save(api: Api) -> None:
    headers = {**api.auth(SAM), "Idempotency-Key": "save-manifest-0001"}
    body = {"name": "Once", "tsv": EXAMPLE_TSV}
    first = api.client.post(BASE, headers=headers, json=body)
    again = api.client.post(BASE, headers=headers, json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    other = api.client.post(BASE, headers=headers, json={**body, "name": "Twice"})
    assert other.status_code == 409 and other.json()["code"] == "IDEMPOTENCY_CONFLICT"
    assert len(_list(api, SAM)) == 2


def test_patch_takes_if_match_and_answers_the_new_etag(api: Api) -> None:
    manifest_id = _seeded(api)["manifest_id"]
    url = f"{BASE}/{manifest_id}"
    renamed = api.client.patch(
        url, headers={**api.auth(SAM), "If-Match": '"1"'}, json={"name": "Trio v2"}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Trio v2" and renamed.headers["etag"] == '"2"'
    for stale in ('"1"', 'W/"1"', "nonsense", '"99999999999999999999"'):
        refused = api.client.patch(
            url, headers={**api.auth(ADA), "If-Match": stale}, json={"description": "late"}
        )
        assert refused.status_code == 412, stale
        assert refused.json()["code"] == "PRECONDITION_FAILED"
    by_admin = api.client.patch(url, headers=api.auth(ADA), json={"description": "by Ada"})
    assert by_admin.status_code == 200 and by_admin.json()["version"] == 3
    assert api.client.patch(url, headers=api.auth(SAM), json={"bogus": 1}).status_code == 422
    current = api.client.get(url, headers=api.auth(SAM))
    assert current.json()["description"] == "by Ada" and current.headers["etag"] == '"3"'


def test_a_customer_user_may_not_change_a_colleagues_manifest(api: Api) -> None:
    adas = _save(api, ADA, name="Ada template")
    url = f"{BASE}/{adas['manifest_id']}"
    assert api.client.get(url, headers=api.auth(SAM)).status_code == 200
    patched = api.client.patch(url, headers=api.auth(SAM), json={"name": "Sams now"})
    deleted = api.client.delete(url, headers=api.auth(SAM))
    assert (patched.status_code, deleted.status_code) == (403, 403)
    assert api.client.get(url, headers=api.auth(ADA)).json() == adas


def test_delete_removes_the_manifest_and_its_file(api: Api) -> None:
    saved = _save(api, SAM)
    url = f"{BASE}/{saved['manifest_id']}"
    stale = api.client.delete(url, headers={**api.auth(SAM), "If-Match": '"7"'})
    assert stale.status_code == 412
    gone = api.client.delete(url, headers={**api.auth(SAM), "If-Match": '"1"'})
    assert gone.status_code == 204 and gone.content == b""
    assert api.client.get(url, headers=api.auth(SAM)).status_code == 404
    assert api.client.get(f"{url}/download", headers=api.auth(SAM)).status_code == 404
    assert api.client.delete(url, headers=api.auth(SAM)).status_code == 404


def test_list_pages_with_a_cursor(api: Api) -> None:
    made = {_save(api, SAM, name=f"Page {n}")["manifest_id"] for n in range(4)}
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = api.client.get(BASE, headers=api.auth(SAM), params=params).json()
        seen += [m["manifest_id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5 and made < set(seen)
    forged = api.client.get(BASE, headers=api.auth(SAM), params={"cursor": "bm90LWEtY3Vyc29y"})
    assert forged.status_code == 422
    for bad in ("0", "101", "x"):
        assert api.client.get(BASE, headers=api.auth(SAM), params={"limit": bad}).status_code == 422


def test_generate_drafts_from_a_prefix_and_can_save(api: Api) -> None:
    body = {"bucket": "acme-genomics-ursa", "prefix": TRIO}
    draft = api.client.post(f"{BASE}/generate", headers=api.auth(SAM), json=body)
    assert draft.status_code == 200, draft.text
    result = draft.json()
    assert result["pair_count"] == 3 and not result["valid"] and result["manifest"] is None
    assert {"RUN_ID", "N_X"} <= {i["field"] for i in result["issues"]}
    assert result["defaults"]["stage_target"] == "/fsx/staged_sample_data/"
    assert result["defaults"]["n_x"] is None and result["tsv"].count("\n") == 4
    ready = {**body, "run_id": "RUN1", "experiment_id": "EXP1", "n_x": 2, "n_y": 0}
    saved = api.client.post(
        f"{BASE}/generate", headers=api.auth(SAM), json={**ready, "save": True, "name": "Gen"}
    )
    assert saved.status_code == 200, saved.text
    manifest = saved.json()["manifest"]
    assert saved.json()["valid"] and manifest["sample_count"] == 3 and manifest["name"] == "Gen"
    download = api.client.get(f"{BASE}/{manifest['manifest_id']}/download", headers=api.auth(SAM))
    assert download.text == saved.json()["tsv"]


def test_generate_refuses_other_tenants_buckets_and_bad_bodies(api: Api) -> None:
    theirs = api.client.post(
        f"{BASE}/generate",
        headers=api.auth(GIL),
        json={"bucket": "acme-genomics-ursa", "prefix": TRIO, "customer_id": ACME},
    )
    assert theirs.status_code == 422
    assert [e["code"] for e in theirs.json()["errors"]] == ["INPUT_NOT_ALLOWED"]
    for bad in (
        {"bucket": "acme-genomics-ursa", "prefix": "../"},
        {"bucket": "ab", "prefix": ""},
        {"bucket": "acme-genomics-ursa", "n_x": 5},
        {"bucket": "acme-genomics-ursa", "seq_vendor": "ILLUMINA"},
        {"bucket": "acme-genomics-ursa", "save": True},
    ):
        response = api.client.post(f"{BASE}/generate", headers=api.auth(SAM), json=bad)
        assert response.status_code == 422, bad
    assert len(_list(api, SAM)) == 1


def test_anonymous_callers_are_challenged(api: Api) -> None:
    assert api.client.get(BASE).status_code == 401
    assert api.client.post(f"{BASE}/validate", json={"tsv": EXAMPLE_TSV}).status_code == 401


@pytest.mark.parametrize(
    ("header", "version"),
    [(None, None), ("*", None), ('"3"', 3), ('W/"3"', 3), ("3", 3), (' "12" ', 12)],
)
def test_if_match_names_a_version(header: str | None, version: int | None) -> None:
    assert expected_version(header) == version


@pytest.mark.parametrize("header", ["", '"x"', '"-1"', '"1.0"', '"١"', '"' + "9" * 19 + '"'])
def test_an_if_match_naming_no_version_fails_the_precondition(header: str) -> None:
    with pytest.raises(PreconditionFailed):
        expected_version(header)
