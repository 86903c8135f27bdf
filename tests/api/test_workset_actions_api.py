"""/api/v1/worksets actions through the real app on the seeded demo: validate, estimate, the
quote and its approval, retry, archive, restore, delete (with the purge) and the results."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx

from api_client import Api
from ursa.adapters.memory.seed_data import GIB, HEADER
from ursa.domain.ports import WorksetQuery

SAM, ADA, GIL, UMA, PAT = (
    "sam@acme.example",
    "ada@acme.example",
    "gil@globex.example",
    "uma@globex.example",
    "admin@ursa.example",
)
ACME_BUCKET = "acme-genomics-ursa"
PROBLEM = "application/problem+json"
API = "/api/v1/worksets"


def _id(api: Api, name: str) -> str:
    page = api.client.get(
        API, headers=api.auth(PAT), params={"q": name, "include_archived": "true"}
    ).json()
    (found,) = [w["workset_id"] for w in page["items"] if w["name"] == name]
    return str(found)


def _manifest(api: Api, *samples: str, bucket: str = ACME_BUCKET) -> str:
    rows = [HEADER]
    for index, sample in enumerate(samples, start=1):
        keys = [f"sequencing/api/{sample}_S{index}_L001_R{read}_001.fastq.gz" for read in (1, 2)]
        for key in keys:
            assert api.container.objects is not None
            api.container.objects.seed_object(bucket, key, 20 * GIB)
        uris = [f"s3://{bucket}/{key}" for key in keys]
        rows.append(
            "\t".join(
                [
                    *("RUN1", sample, "EXP1", "blood", "noampwgs", "ILMN", "NOVASEQX", "0"),
                    *(f"S{index}", "", *uris, "stage_data", "/fsx/staged_sample_data/"),
                    *("na", "false", "false", "2", "0", ""),
                ]
            )
        )
    return "\n".join(rows) + "\n"


def _body(manifest: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "API check",
        "pipeline_type": "germline_wgs_snv",
        "manifest_tsv": manifest,
        **extra,
    }


def _count(api: Api) -> int:
    page = asyncio.run(
        api.container.ports.worksets.list(WorksetQuery(include_archived=True, limit=100))
    )
    return len(page.items)


# -- validate and estimate ------------------------------------------------------------------


def test_validate_reports_a_good_submission_and_creates_nothing(api: Api) -> None:
    before = _count(api)
    body = _body(_manifest(api, "AP1", "AP2"))
    response = api.client.post(f"{API}/validate", headers=api.auth(SAM), json=body)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["valid"] is True and report["issues"] == []
    assert (report["sample_count"], report["row_count"], report["input_bytes"]) == (2, 2, 80 * GIB)
    figures = report["estimate"]
    assert Decimal(figures["low"]) < Decimal(figures["point"]) < Decimal(figures["high"])
    assert [s["sample_id"] for s in figures["samples"]] == ["AP1", "AP2"]
    assert set(figures["samples"][0]["lines"]) >= {"compute_direct", "overhead", "storage"}
    assert _count(api) == before
    # The same body submitted gets the very point the dry run projected.
    submitted = api.client.post(
        API, headers={**api.auth(SAM), "Idempotency-Key": "api-validate-0001"}, json=body
    )
    assert submitted.status_code == 201, submitted.text
    assert Decimal(submitted.json()["cost_estimate"]) == Decimal(figures["point"])


def test_validate_lists_every_issue_as_a_200_report(api: Api) -> None:
    manifest = _manifest(api, "BAD1").replace("BAD1_S1_L001_", "GONE_S1_L001_")
    body = _body(manifest, name="", notification_emails=["x@y.example", "nope"])
    response = api.client.post(f"{API}/validate", headers=api.auth(SAM), json=body)
    assert response.status_code == 200
    report = response.json()
    assert report["valid"] is False and report["estimate"] is None
    issues = {(i["field"], i["code"], i["row"]) for i in report["issues"]}
    assert {
        ("name", "BAD_VALUE", None),
        ("notification_emails[1]", "BAD_VALUE", None),
        ("R1_FQ", "INPUT_NOT_FOUND", 2),
        ("R2_FQ", "INPUT_NOT_FOUND", 2),
    } <= issues
    garbled = api.client.post(
        f"{API}/validate", headers=api.auth(SAM), json=_body("SAMPLE_ID\tR1_FQ\nS1\tx\n")
    ).json()
    assert garbled["valid"] is False and garbled["sample_count"] == 0
    assert {"MISSING_COLUMN"} <= {i["code"] for i in garbled["issues"]}


def test_validate_refuses_malformed_bodies_like_submit(api: Api) -> None:
    for body in (
        {"name": "x"},
        {**_body("x"), "priority": "high"},
        {**_body("x"), "surprise": 1},
    ):
        response = api.client.post(f"{API}/validate", headers=api.auth(SAM), json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["code"] == "VALIDATION_ERROR"
    anonymous = api.client.post(f"{API}/validate", json=_body("x"))
    assert anonymous.status_code == 401


def test_estimate_prices_a_body_and_refuses_missing_inputs(api: Api) -> None:
    before = _count(api)
    body = _body(_manifest(api, "ES1"), priority="urgent")
    response = api.client.post(f"{API}/estimate", headers=api.auth(ADA), json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["sample_count"], answer["row_count"], answer["input_bytes"]) == (1, 1, 40 * GIB)
    assert Decimal(answer["estimate"]["point"]) > 0
    assert answer["estimate"]["rate_card_version"] and answer["estimate"]["band_source"]
    missing = _body(_manifest(api, "ES2").replace("ES2_S1", "NONE_S1"))
    refused = api.client.post(f"{API}/estimate", headers=api.auth(ADA), json=missing)
    assert refused.status_code == 422
    assert {e["code"] for e in refused.json()["errors"]} == {"INPUT_NOT_FOUND"}
    assert _count(api) == before


# -- the quote ------------------------------------------------------------------------------


def test_quote_and_approval(api: Api) -> None:
    workset_id = _id(api, "Population study 9")
    quote = api.client.get(f"{API}/{workset_id}/quote", headers=api.auth(GIL))
    assert quote.status_code == 200, quote.text
    q = quote.json()
    assert q["workset_id"] == workset_id and Decimal(q["low"]) <= Decimal(q["high"])
    assert sum(Decimal(line["amount"]) for line in q["lines"]) == Decimal(q["point"])
    assert api.client.get(f"{API}/{workset_id}/quote", headers=api.auth(ADA)).status_code == 404
    url = f"{API}/{workset_id}/quote/approve"
    stale = api.client.post(url, headers=api.auth(GIL), json={"quote_id": "q-other-1"})
    assert (stale.status_code, stale.json()["code"]) == (409, "QUOTE_SUPERSEDED")
    approved = api.client.post(url, headers=api.auth(GIL), json={"quote_id": q["quote_id"]})
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "ready" and approved.json()["cost_cap"] == q["high"]
    again = api.client.post(url, headers=api.auth(GIL), json={"quote_id": q["quote_id"]})
    assert again.status_code == 200 and again.json()["version"] == approved.json()["version"]
    bad = api.client.post(url, headers=api.auth(GIL), json={"quote_id": "q x"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "quote_id"


def test_a_clinical_submitter_cannot_approve_their_own_quote(api: Api) -> None:
    workset_id = _id(api, "Clinical exome 44")
    q = api.client.get(f"{API}/{workset_id}/quote", headers=api.auth(UMA)).json()
    url = f"{API}/{workset_id}/quote/approve"
    own = api.client.post(url, headers=api.auth(UMA), json={"quote_id": q["quote_id"]})
    assert (own.status_code, own.json()["code"]) == (409, "APPROVAL_REQUIRED")
    other = api.client.post(url, headers=api.auth(GIL), json={"quote_id": q["quote_id"]})
    assert other.status_code == 200 and other.json()["state"] == "ready"


# -- retry ----------------------------------------------------------------------------------


def _retry(api: Api, workset_id: str, key: str, path: str = "retry", **body: str) -> httpx.Response:
    return api.client.post(
        f"{API}/{workset_id}/{path}",
        headers={**api.auth(SAM), "Idempotency-Key": key},
        json=body or None,
    )


def test_retry_clones_once_per_key(api: Api) -> None:
    original_id = _id(api, "Truncated upload")
    original = api.client.get(f"{API}/{original_id}", headers=api.auth(SAM)).json()
    first = _retry(api, original_id, "api-retry-0001", reason="re-uploaded")
    assert first.status_code == 201, first.text
    clone = first.json()
    assert clone["retried_from"] == original_id and clone["state"] == "ready"
    assert "idempotent-replayed" not in first.headers
    mine = api.client.get(f"{API}/{clone['workset_id']}", headers=api.auth(SAM))
    assert mine.status_code == 200  # owned by Sam, not by Sam's token
    replay = _retry(api, original_id, "api-retry-0001", reason="re-uploaded")
    assert replay.status_code == 200 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["workset_id"] == clone["workset_id"]
    conflict = _retry(api, original_id, "api-retry-0001", reason="something else")
    assert (conflict.status_code, conflict.json()["code"]) == (409, "IDEMPOTENCY_CONFLICT")
    assert api.client.get(f"{API}/{original_id}", headers=api.auth(SAM)).json() == original
    no_key = api.client.post(f"{API}/{original_id}/retry", headers=api.auth(SAM))
    assert no_key.status_code == 422
    running = _retry(api, _id(api, "Newborn screen Q4"), "api-retry-0002")
    assert (running.status_code, running.json()["code"]) == (409, "NOT_RETRYABLE")


def test_retry_failed_skips_what_succeeded(api: Api) -> None:
    original_id = _id(api, "Truncated upload")
    response = _retry(api, original_id, "api-retry-failed-1", path="retry-failed")
    assert response.status_code == 201, response.text
    clone_id = response.json()["workset_id"]
    samples = api.client.get(f"{API}/{clone_id}/samples", headers=api.auth(SAM)).json()
    before = api.client.get(f"{API}/{original_id}/samples", headers=api.auth(SAM)).json()
    expected = ["skipped" if s["state"] == "succeeded" else "pending" for s in before]
    assert [s["state"] for s in samples] == expected


# -- archive, restore, delete ---------------------------------------------------------------


def test_archive_and_restore(api: Api) -> None:
    workset_id = _id(api, "Cardio panel batch 7")
    archived = api.client.post(f"{API}/{workset_id}/archive", headers=api.auth(SAM))
    assert archived.status_code == 200 and archived.json()["state"] == "archived"
    again = api.client.post(f"{API}/{workset_id}/archive", headers=api.auth(SAM))
    assert again.json()["version"] == archived.json()["version"]
    restored = api.client.post(f"{API}/{workset_id}/restore", headers=api.auth(SAM))
    assert restored.status_code == 200 and restored.json()["state"] == "complete"
    busy = api.client.post(f"{API}/{_id(api, 'Newborn screen Q4')}/archive", headers=api.auth(SAM))
    assert (busy.status_code, busy.json()["code"]) == (409, "INVALID_STATE_TRANSITION")
    hidden = api.client.post(f"{API}/{workset_id}/archive", headers=api.auth(GIL))
    assert hidden.status_code == 404


def _folder(api: Api, prefix: str) -> list[str]:
    objects = api.container.ports.objects
    return [o.key for o in asyncio.run(objects.list(ACME_BUCKET, prefix)).items]


def test_soft_delete_keeps_data_and_hard_delete_purges_it(api: Api) -> None:
    workset_id = _id(api, "NA12878 trio")
    prefix = f"worksets/{workset_id}/"
    files = _folder(api, prefix)
    assert any("/results/" in key for key in files)
    refused = api.client.delete(
        f"{API}/{workset_id}", headers=api.auth(SAM), params={"hard": "true"}
    )
    assert refused.status_code == 403 and _folder(api, prefix) == files
    soft = api.client.delete(f"{API}/{workset_id}", headers=api.auth(SAM), params={"reason": "dup"})
    assert soft.status_code == 200, soft.text
    assert soft.json()["workset"]["state"] == "deleted" and soft.json()["objects_removed"] == 0
    assert _folder(api, prefix) == files
    hard = api.client.delete(f"{API}/{workset_id}", headers=api.auth(ADA), params={"hard": "true"})
    assert hard.status_code == 200, hard.text
    assert hard.json()["hard"] is True and hard.json()["objects_removed"] == len(files)
    assert _folder(api, prefix) == []
    history = api.client.get(f"{API}/{workset_id}/history", headers=api.auth(ADA)).json()
    assert [h["event"] for h in history[-2:]] == ["delete", "purge_completed"]
    again = api.client.delete(f"{API}/{workset_id}", headers=api.auth(PAT), params={"hard": "true"})
    assert again.status_code == 200 and again.json()["objects_removed"] == 0
    assert again.json()["workset"]["version"] == hard.json()["workset"]["version"]


# -- results --------------------------------------------------------------------------------


def test_results_are_listed_with_their_samples_and_downloadable(api: Api) -> None:
    workset_id = _id(api, "NA12878 trio")
    listing = api.client.get(f"{API}/{workset_id}/results", headers=api.auth(SAM))
    assert listing.status_code == 200, listing.text
    items = listing.json()["items"]
    samples = {
        s["sample_id"]
        for s in api.client.get(f"{API}/{workset_id}/samples", headers=api.auth(SAM)).json()
    }
    assert {i["sample_id"] for i in items} == samples | {None}
    assert all(i["key"].startswith(f"worksets/{workset_id}/results/") for i in items)
    crams = [i for i in items if i["path"].endswith(".cram")]
    assert len(crams) == len(samples)
    seen, cursor = [], None
    while True:
        page = api.client.get(
            f"{API}/{workset_id}/results",
            headers=api.auth(SAM),
            params={"limit": "2", **({"cursor": cursor} if cursor else {})},
        ).json()
        seen += [i["key"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [i["key"] for i in items]
    link = api.client.get(
        f"{API}/{workset_id}/results/download",
        headers=api.auth(SAM),
        params={"key": crams[0]["key"]},
    )
    assert link.status_code == 200, link.text
    answer = link.json()
    expires = datetime.fromisoformat(answer["expires_at"])
    assert timedelta(minutes=14) < expires - datetime.now(expires.tzinfo) <= timedelta(minutes=15)
    url = urlsplit(answer["url"])
    fetched = api.client.get(f"{url.path}?{url.query}")
    assert fetched.status_code == 200 and fetched.content.startswith(b"seeded ")


def test_download_refuses_keys_outside_the_results(api: Api) -> None:
    workset_id = _id(api, "NA12878 trio")
    url = f"{API}/{workset_id}/results/download"
    other = _id(api, "Cardio panel batch 7")
    for key in (
        f"worksets/{workset_id}/stage_samples.tsv",
        f"worksets/{other}/results/results/day/hg38/CP701/CP701.cram",
        f"worksets/{workset_id}/results/../../{other}/results/x",
    ):
        refused = api.client.get(url, headers=api.auth(SAM), params={"key": key})
        assert refused.status_code == 422, key
        assert {e["field"] for e in refused.json()["errors"]} == {"key"}
    missing = api.client.get(
        url, headers=api.auth(SAM), params={"key": f"worksets/{workset_id}/results/nope.txt"}
    )
    assert missing.status_code == 404
    outsider = api.client.get(url, headers=api.auth(GIL), params={"key": "x"})
    assert outsider.status_code == 404
    forged = api.client.get(
        f"{API}/{workset_id}/results", headers=api.auth(SAM), params={"cursor": "forged"}
    )
    assert forged.status_code == 422 and forged.json()["errors"][0]["field"] == "cursor"


def test_the_operations_are_documented_with_examples(api: Api) -> None:
    schema = api.client.get("/schema/openapi.json").json()
    operations = {
        op["operationId"]: op
        for path in schema["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    wanted = {
        "validateWorkset",
        "estimateWorkset",
        "getWorksetQuote",
        "approveWorksetQuote",
        "retryWorkset",
        "retryWorksetFailedSamples",
        "archiveWorkset",
        "restoreWorkset",
        "deleteWorkset",
        "listWorksetResults",
        "downloadWorksetResult",
    }
    assert wanted <= set(operations)
    for name in ("validateWorkset", "estimateWorkset", "approveWorksetQuote", "retryWorkset"):
        content = operations[name]["requestBody"]["content"]["application/json"]
        assert content["schema"]["examples"], name
    assert all(operations[name]["tags"] == ["worksets"] for name in wanted)
