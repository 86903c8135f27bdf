"""/api/v1/buckets through the real app: link (challenge, probes, one customer per bucket),
list, revalidate, edit with If-Match, unlink, and what each change does to submit's inputs.

The in-memory object store simulates refusals with ``deny(bucket, operation...)``."""

from __future__ import annotations

import asyncio

import httpx
from bucket_world import (
    ACME,
    ADA,
    GIL,
    GLOBEX,
    PAT,
    PROBLEM,
    SAM,
    SEEDED,
    audit_actions,
    inputs_of,
    link,
    listed,
    objects,
    ready_bucket,
    seeded_id,
)

from api_client import Api
from ursa.adapters.memory.seed_data import GIB, HEADER
from ursa.domain.linked_buckets import challenge_key


def test_the_seed_links_acmes_input_bucket(api: Api) -> None:
    assert listed(api, SAM) == [SEEDED] == listed(api, ADA)
    assert listed(api, GIL) == []
    assert listed(api, PAT) == [SEEDED]
    assert listed(api, PAT, customer_id=GLOBEX) == []
    assert inputs_of(api, ACME) == (SEEDED,)
    body = api.client.get(f"/api/v1/buckets/{seeded_id(api)}", headers=api.auth(SAM)).json()
    assert body["validation"]["ok"] and body["usable_for_inputs"] and body["bucket_type"] == "input"


def test_linking_needs_the_challenge_then_passing_probes(api: Api) -> None:
    objects(api).create_bucket("acme-new-inputs")
    first = link(api, ADA, "acme-new-inputs", prefix="runs")
    assert first.status_code == 422 and first.headers["content-type"].startswith(PROBLEM)
    problem = first.json()
    expected = challenge_key(ACME, "acme-new-inputs", "runs/")
    assert problem["validation"]["challenge_key"] == expected
    assert [e["code"] for e in problem["errors"]] == ["CHALLENGE_MISSING"]
    assert listed(api, ADA) == [SEEDED]

    objects(api).seed_object("acme-new-inputs", expected, 0)
    created = link(api, ADA, "acme-new-inputs", prefix="runs", description="NovaSeq X")
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["etag"] == '"1"' and body["version"] == 1
    assert body["prefix"] == "runs/" and body["validation"]["ok"] and body["region"]
    assert {r["probe"] for r in body["validation"]["results"]} == {
        "exists",
        "region",
        "list",
        "read",
        "write",
    }
    assert listed(api, SAM) == ["acme-new-inputs", SEEDED]
    assert inputs_of(api, ACME) == ("acme-new-inputs", SEEDED)
    assert audit_actions(api, ACME) == ["bucket.link", "bucket.link"]
    keys = [f.key for f in asyncio.run(objects(api).list("acme-new-inputs", "")).items]
    assert keys == [expected]  # the probe object is gone


def test_a_failed_probe_answers_422_with_remediation_and_stores_nothing(api: Api) -> None:
    ready_bucket(api, "acme-locked")
    objects(api).deny("acme-locked", "write")
    refused = link(api, ADA, "acme-locked")
    assert refused.status_code == 422
    problem = refused.json()
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("probes.write", "PROBE_FAILED")
    ]
    results = {r["probe"]: r["ok"] for r in problem["validation"]["results"]}
    assert results["write"] is False and results["list"] is True
    statements = problem["validation"]["iam_policy"]["Statement"]
    assert any("s3:PutObject" in s["Action"] for s in statements)
    assert listed(api, ADA) == [SEEDED] and inputs_of(api, ACME) == (SEEDED,)
    assert audit_actions(api, ACME) == ["bucket.link"]  # the seed's only
    # Read-only needs no write access: the same bucket links.
    read_only = link(api, ADA, "acme-locked", read_only=True)
    assert read_only.status_code == 201, read_only.text
    assert "write" not in {r["probe"] for r in read_only.json()["validation"]["results"]}


def test_a_missing_bucket_is_reported_by_the_exists_probe(api: Api) -> None:
    refused = link(api, ADA, "acme-never-created")
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["probes.exists"]


def test_a_bucket_of_another_customer_is_409_and_names_nobody(api: Api) -> None:
    taken = link(api, GIL, SEEDED)
    workset_bucket = link(api, GIL, "acme-genomics-ursa")
    for response in (taken, workset_bucket):
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "BUCKET_ALREADY_LINKED"
        assert ACME not in response.text and "Acme" not in response.text
    assert taken.json()["detail"] == workset_bucket.json()["detail"]
    assert listed(api, GIL) == []
    again = link(api, ADA, SEEDED)
    assert again.status_code == 409 and seeded_id(api) in again.json()["detail"]
    own = link(api, ADA, "acme-genomics-ursa")
    assert own.status_code == 422


def test_who_may_link(api: Api) -> None:
    ready_bucket(api, "acme-more-inputs")
    assert link(api, SAM, "acme-more-inputs").status_code == 403
    assert listed(api, ADA) == [SEEDED]
    assert link(api, PAT, "acme-more-inputs").status_code == 422  # which customer?
    created = link(api, PAT, "acme-more-inputs", customer_id=ACME)
    assert created.status_code == 201 and created.json()["customer_id"] == ACME
    ready_bucket(api, "globex-inputs", GLOBEX)
    mine = link(api, GIL, "globex-inputs", customer_id=ACME)  # the body cannot pick a tenant
    assert mine.status_code == 201 and mine.json()["customer_id"] == GLOBEX


def test_another_tenant_gets_404_exactly_like_a_missing_link(api: Api) -> None:
    hidden, ghost = seeded_id(api), "lb-0123456789abcdef"
    calls = [
        ("GET", "", None),
        ("PATCH", "", {"display_name": "x"}),
        ("DELETE", "", None),
        ("POST", "/revalidate", None),
        ("GET", "/objects", None),
        ("POST", "/uploads", {"key": "x.fastq.gz"}),
        ("POST", "/multipart", {"key": "x.fastq.gz", "parts": 2}),
        ("GET", "/download?key=x", None),
    ]
    for method, tail, body in calls:
        answers = [
            api.client.request(
                method, f"/api/v1/buckets/{bucket_id}{tail}", json=body, headers=api.auth(GIL)
            )
            for bucket_id in (hidden, ghost, "not-an-id")
        ]
        assert {a.status_code for a in answers} == {404}, (method, tail)
        details = {(a.json()["detail"], a.json()["code"]) for a in answers}
        assert len(details) == 1, (method, tail, details)
    assert listed(api, ADA) == [SEEDED]


def test_edit_with_if_match(api: Api) -> None:
    url = f"/api/v1/buckets/{seeded_id(api)}"
    got = api.client.get(url, headers=api.auth(ADA))
    assert got.headers["etag"] == '"1"'
    renamed = api.client.patch(
        url, json={"display_name": "Core FASTQs"}, headers={**api.auth(ADA), "If-Match": '"1"'}
    )
    assert renamed.status_code == 200 and renamed.headers["etag"] == '"2"'
    assert renamed.json()["display_name"] == "Core FASTQs"
    stale = api.client.patch(
        url, json={"display_name": "Lost"}, headers={**api.auth(ADA), "If-Match": '"1"'}
    )
    assert stale.status_code == 412 and stale.json()["code"] == "PRECONDITION_FAILED"
    bad = api.client.patch(
        url, json={"description": "x"}, headers={**api.auth(ADA), "If-Match": "v"}
    )
    assert bad.status_code == 412  # a tag that names no version can never match
    assert (
        api.client.patch(url, json={"description": "x"}, headers=api.auth(SAM)).status_code == 403
    )
    conflicting = api.client.patch(
        url, json={"read_only": True, "bucket_type": "both"}, headers=api.auth(ADA)
    )
    assert conflicting.status_code == 422
    unknown = api.client.patch(url, json={"bucket": "other"}, headers=api.auth(ADA))
    assert unknown.status_code == 422
    same = api.client.patch(url, json={"display_name": "Core FASTQs"}, headers=api.auth(ADA))
    assert same.headers["etag"] == '"2"'  # nothing changed: no new version
    assert audit_actions(api, ACME) == ["bucket.link", "bucket.edit"]


def test_a_new_prefix_or_access_is_probed_before_it_is_stored(api: Api) -> None:
    url = f"/api/v1/buckets/{seeded_id(api)}"
    objects(api).deny(SEEDED, "write")
    refused = api.client.patch(url, json={"prefix": "runs/2026/"}, headers=api.auth(ADA))
    assert refused.status_code == 422 and refused.json()["validation"]["prefix"] == "runs/2026/"
    assert api.client.get(url, headers=api.auth(ADA)).json()["prefix"] == ""
    read_only = api.client.patch(url, json={"read_only": True}, headers=api.auth(ADA))
    assert read_only.status_code == 200 and read_only.json()["read_only"]
    objects(api).deny(SEEDED)
    moved = api.client.patch(
        url, json={"prefix": "runs/2026", "read_only": False}, headers=api.auth(ADA)
    )
    assert moved.status_code == 200 and moved.json()["prefix"] == "runs/2026/"


def test_a_type_change_moves_the_bucket_out_of_and_back_into_the_inputs(api: Api) -> None:
    url = f"/api/v1/buckets/{seeded_id(api)}"
    delivery = api.client.patch(url, json={"bucket_type": "delivery"}, headers=api.auth(ADA))
    assert delivery.status_code == 200 and not delivery.json()["usable_for_inputs"]
    assert inputs_of(api, ACME) == ()
    both = api.client.patch(url, json={"bucket_type": "both"}, headers=api.auth(ADA))
    assert both.json()["usable_for_inputs"] and inputs_of(api, ACME) == (SEEDED,)


def test_revalidate_records_failures_and_recoveries(api: Api) -> None:
    url = f"/api/v1/buckets/{seeded_id(api)}/revalidate"
    assert api.client.post(url, headers=api.auth(SAM)).status_code == 403
    objects(api).deny(SEEDED, "list")
    failed = api.client.post(url, headers=api.auth(ADA))
    assert failed.status_code == 200 and failed.json()["version"] == 2
    body = failed.json()
    assert not body["validation"]["ok"] and not body["usable_for_inputs"]
    (bad,) = [r for r in body["validation"]["results"] if r["ok"] is False]
    assert bad["probe"] == "list" and "s3:ListBucket" in bad["remediation"]
    assert inputs_of(api, ACME) == ()
    objects(api).deny(SEEDED)
    passed = api.client.post(url, headers=api.auth(PAT))
    assert passed.json()["validation"]["ok"] and inputs_of(api, ACME) == (SEEDED,)
    assert audit_actions(api, ACME) == ["bucket.link", "bucket.revalidate", "bucket.revalidate"]


def test_unlink_frees_the_bucket_and_its_inputs(api: Api) -> None:
    url = f"/api/v1/buckets/{seeded_id(api)}"
    assert api.client.delete(url, headers=api.auth(SAM)).status_code == 403
    assert api.client.delete(url, headers=api.auth(ADA)).status_code == 204
    assert api.client.get(url, headers=api.auth(ADA)).status_code == 404
    assert api.client.delete(url, headers=api.auth(ADA)).status_code == 404
    assert inputs_of(api, ACME) == () and listed(api, ADA) == []
    assert audit_actions(api, ACME) == ["bucket.link", "bucket.unlink"]
    objects(api).seed_object(SEEDED, challenge_key(GLOBEX, SEEDED, ""), 0)
    assert link(api, GIL, SEEDED).status_code == 201  # the name is free again


def _manifest(bucket: str) -> str:
    keys = [f"runs/HG002_S1_L001_R{read}_001.fastq.gz" for read in (1, 2)]
    row = ["RUN1", "HG002", "EXP1", "blood", "noampwgs", "ILMN", "NOVASEQX", "0", "S1", "",
           *(f"s3://{bucket}/{k}" for k in keys), "stage_data", "/fsx/staged_sample_data/",
           "na", "false", "false", "2", "0", ""]  # fmt: skip
    return f"{HEADER}\n" + "\t".join(row) + "\n"


def test_submit_reads_inputs_only_from_validated_links(api: Api) -> None:
    for read in (1, 2):
        objects(api).seed_object(SEEDED, f"runs/HG002_S1_L001_R{read}_001.fastq.gz", GIB)

    def submit(key: str) -> httpx.Response:
        body = {"name": f"From link {key}", "pipeline_type": "germline_wgs_snv"}
        return api.client.post(
            "/api/v1/worksets",
            json={**body, "manifest_tsv": _manifest(SEEDED)},
            headers={**api.auth(SAM), "Idempotency-Key": f"bucket-{key}"},
        )

    assert submit("linked-1").status_code == 201
    api.client.delete(f"/api/v1/buckets/{seeded_id(api)}", headers=api.auth(ADA))
    refused = submit("unlinked-1")
    assert refused.status_code == 422
    assert {e["code"] for e in refused.json()["errors"]} == {"INPUT_NOT_ALLOWED"}
