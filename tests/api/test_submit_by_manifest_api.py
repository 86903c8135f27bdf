"""Submitting by a saved manifest (`manifest_id` instead of `manifest_tsv`) through the real
app: submit, validate and estimate take either, exactly one; another tenant's id is 404
and creates nothing; the idempotent replay is stable by the manifest's content."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from api_client import Api
from ursa.domain.ports import WorksetQuery

SAM, ADA, GIL, PAT = (
    "sam@acme.example",
    "ada@acme.example",
    "gil@globex.example",
    "admin@ursa.example",
)
ACME, GLOBEX = "acme-genomics-3f9c01ab", "globex-bio-7d20e4c1"
API = "/api/v1/worksets"
SEEDED = "NA12878 trio template"


def _seeded_id(api: Api) -> str:
    items = api.client.get("/api/v1/manifests", headers=api.auth(SAM)).json()["items"]
    (found,) = [m["manifest_id"] for m in items if m["name"] == SEEDED]
    return str(found)


def _tsv(api: Api, manifest_id: str) -> str:
    response = api.client.get(f"/api/v1/manifests/{manifest_id}/download", headers=api.auth(SAM))
    assert response.status_code == 200, response.text
    return response.text


def _body(**manifest: Any) -> dict[str, Any]:
    return {"name": "Trio from the library", "pipeline_type": "germline_wgs_snv", **manifest}


def _submit(api: Api, email: str, key: str, body: dict[str, Any]) -> Any:
    return api.client.post(API, headers={**api.auth(email), "Idempotency-Key": key}, json=body)


def _worksets(api: Api) -> set[str]:
    query = WorksetQuery(include_archived=True, limit=100)
    page = asyncio.run(api.container.ports.worksets.list(query))
    return {w.workset_id for w in page.items}


def _stored(api: Api, workset_id: str) -> bytes:
    ws = asyncio.run(api.container.ports.worksets.get(workset_id))
    return asyncio.run(api.container.ports.objects.get(ws.bucket, ws.manifest.key))


def test_a_saved_manifest_is_submitted_as_stored_and_replays_by_content(api: Api) -> None:
    manifest_id = _seeded_id(api)
    first = _submit(api, SAM, "by-manifest-0001", _body(manifest_id=manifest_id))
    assert first.status_code == 201, first.text
    created = first.json()
    assert created["sample_count"] == 3 and created["owner_user_id"] != ""
    assert _stored(api, created["workset_id"]) == _tsv(api, manifest_id).encode()
    # The same key and the same saved manifest: the first answer again.
    again = _submit(api, SAM, "by-manifest-0001", _body(manifest_id=manifest_id))
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["workset_id"] == created["workset_id"]
    # The fingerprint takes the manifest's digest: its very bytes sent inline are the same
    # request, and renaming the saved manifest changes nothing about it.
    renamed = api.client.patch(
        f"/api/v1/manifests/{manifest_id}", headers=api.auth(SAM), json={"name": "Renamed"}
    )
    assert renamed.status_code == 200, renamed.text
    inline = _submit(api, SAM, "by-manifest-0001", _body(manifest_tsv=_tsv(api, manifest_id)))
    assert inline.status_code == 200 and inline.json()["workset_id"] == created["workset_id"]
    other = _submit(api, SAM, "by-manifest-0001", {**_body(manifest_id=manifest_id), "name": "x"})
    assert (other.status_code, other.json()["code"]) == (409, "IDEMPOTENCY_CONFLICT")
    # Shared within the customer: a colleague submits it too.
    ada = _submit(api, ADA, "by-manifest-0002", _body(manifest_id=manifest_id))
    assert ada.status_code == 201, ada.text


def test_another_tenants_manifest_is_404_and_creates_nothing(api: Api) -> None:
    manifest_id = _seeded_id(api)
    before = _worksets(api)
    audit = asyncio.run(api.container.ports.audit.head(GLOBEX))
    hidden = _submit(api, GIL, "by-manifest-gil1", _body(manifest_id=manifest_id))
    missing = _submit(api, GIL, "by-manifest-gil2", _body(manifest_id="mf-nothing-0badc0de"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == missing.json()["detail"]  # no existence leak
    for path in ("validate", "estimate"):
        dry = api.client.post(
            f"{API}/{path}", headers=api.auth(GIL), json=_body(manifest_id=manifest_id)
        )
        assert dry.status_code == 404, (path, dry.text)
    assert _worksets(api) == before
    assert asyncio.run(api.container.ports.audit.head(GLOBEX)) == audit


@pytest.mark.parametrize("path", ["", "/validate", "/estimate"])
def test_exactly_one_of_manifest_tsv_and_manifest_id(api: Api, path: str) -> None:
    manifest_id = _seeded_id(api)
    before = _worksets(api)
    headers = {**api.auth(SAM), "Idempotency-Key": "by-manifest-both"}
    for body, code in (
        (_body(manifest_id=manifest_id, manifest_tsv=_tsv(api, manifest_id)), "BAD_VALUE"),
        (_body(), "EMPTY_REQUIRED"),
        (_body(manifest_id=None, manifest_tsv=None), "EMPTY_REQUIRED"),
    ):
        refused = api.client.post(f"{API}{path}", headers=headers, json=body)
        assert refused.status_code == 422, refused.text
        errors = refused.json()["errors"]
        assert {(e["field"], e["code"]) for e in errors} == {
            ("manifest_tsv", code),
            ("manifest_id", code),
        }
    assert _worksets(api) == before


def test_validate_and_estimate_price_a_saved_manifest_like_its_bytes(api: Api) -> None:
    manifest_id = _seeded_id(api)
    by_id = _body(manifest_id=manifest_id)
    by_tsv = _body(manifest_tsv=_tsv(api, manifest_id))
    report = api.client.post(f"{API}/validate", headers=api.auth(SAM), json=by_id)
    assert report.status_code == 200 and report.json()["valid"] is True, report.text
    inline = api.client.post(f"{API}/validate", headers=api.auth(SAM), json=by_tsv).json()
    assert report.json() == inline
    estimate = api.client.post(f"{API}/estimate", headers=api.auth(ADA), json=by_id)
    assert estimate.status_code == 200, estimate.text
    assert Decimal(estimate.json()["estimate"]["point"]) == Decimal(inline["estimate"]["point"])


def test_a_provider_admin_submits_a_manifest_only_for_its_customer(api: Api) -> None:
    manifest_id = _seeded_id(api)
    body = _body(manifest_id=manifest_id, customer_id=GLOBEX)
    refused = _submit(api, PAT, "by-manifest-pat1", body)
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["manifest_id"]
    report = api.client.post(f"{API}/validate", headers=api.auth(PAT), json=body).json()
    assert [i["field"] for i in report["issues"]] == ["manifest_id"]
    accepted = _submit(api, PAT, "by-manifest-pat2", {**body, "customer_id": ACME})
    assert accepted.status_code == 201 and accepted.json()["customer_id"] == ACME


def test_a_saved_file_that_no_longer_matches_its_digest_is_refused(api: Api) -> None:
    manifest_id = _seeded_id(api)
    saved = asyncio.run(api.container.ports.manifests.get(manifest_id))
    tampered = _tsv(api, manifest_id).replace("\tblood\t", "\tsaliva\t", 1).encode()
    asyncio.run(api.container.ports.objects.put(saved.bucket, saved.key, tampered))
    before = _worksets(api)
    refused = _submit(api, SAM, "by-manifest-edit", _body(manifest_id=manifest_id))
    assert (refused.status_code, refused.json()["code"]) == (409, "MANIFEST_CHANGED")
    assert _worksets(api) == before


def test_the_schema_documents_both_fields_as_optional(api: Api) -> None:
    schema = api.client.get("/schema/openapi.json").json()
    submit = schema["components"]["schemas"]["SubmitWorkset"]
    assert {"manifest_tsv", "manifest_id"} <= set(submit["properties"])
    assert not {"manifest_tsv", "manifest_id"} & set(submit["required"])
    for field in ("manifest_tsv", "manifest_id"):
        assert "Exactly one" in submit["properties"][field]["description"]
