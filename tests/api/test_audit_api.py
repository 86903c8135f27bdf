"""/api/v1/audit through the real app: NDJSON pages of a tenant's hash chain, verification,
and who may read which tenant."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from api_client import Api
from ursa.domain.audit import GENESIS_HASH, PROVIDER_TENANT, record_hash
from ursa.domain.records import AuditRecord

SAM, ADA, GIL, PAT = (
    "sam@acme.example",
    "ada@acme.example",
    "gil@globex.example",
    "admin@ursa.example",
)
ACME = "acme-genomics-3f9c01ab"
GLOBEX = "globex-bio-7d20e4c1"
NDJSON = "application/x-ndjson"
PROBLEM = "application/problem+json"
FIELDS = {
    "seq",
    "tenant",
    "time",
    "actor",
    "action",
    "target",
    "request_id",
    "before_digest",
    "after_digest",
    "prev_hash",
    "hash",
}


def _lines(api: Api, email: str, **params: str) -> tuple[list[dict[str, Any]], Any]:
    response = api.client.get("/api/v1/audit", headers=api.auth(email), params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(NDJSON)
    assert response.text == "" or response.text.endswith("\n")
    return [json.loads(line) for line in response.text.splitlines()], response


def _as_record(line: dict[str, Any]) -> AuditRecord:
    return AuditRecord(
        customer_id=line["tenant"],
        seq=line["seq"],
        at=datetime.fromisoformat(line["time"]),
        actor_id=line["actor"],
        action=line["action"],
        target=line["target"],
        request_id=line["request_id"],
        before_digest=line["before_digest"],
        after_digest=line["after_digest"],
        prev_hash=line["prev_hash"],
        hash=line["hash"],
    )


def test_a_customer_admin_reads_the_whole_chain_and_it_links(api: Api) -> None:
    records, _ = _lines(api, ADA, limit="1000")
    assert records and all(set(r) == FIELDS for r in records)
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    assert {r["tenant"] for r in records} == {ACME}
    assert records[0]["prev_hash"] == GENESIS_HASH
    for before, after in itertools.pairwise(records):
        assert after["prev_hash"] == before["hash"]
    for line in records:  # each line is exactly the stored record: its hash recomputes
        assert record_hash(_as_record(line)) == line["hash"]
    verified = api.client.get("/api/v1/audit/verify", headers=api.auth(ADA)).json()
    assert verified == {
        "tenant": ACME,
        "ok": True,
        "checked": len(records),
        "first_bad_seq": None,
        "problem": "",
        "head_hash": records[-1]["hash"],
    }


def test_pages_follow_since(api: Api) -> None:
    everything, _ = _lines(api, ADA, limit="1000")
    first, response = _lines(api, ADA, limit="2")
    assert first == everything[:2] and response.headers["x-next-since"] == "2"
    rest, last = _lines(api, ADA, since="2", limit="1000")
    assert first + rest == everything and "x-next-since" not in last.headers


def test_a_mutation_appears_with_its_request_id(api: Api) -> None:
    listed = api.client.get(
        "/api/v1/worksets", headers=api.auth(SAM), params={"state": "error"}
    ).json()["items"]
    workset_id = listed[0]["workset_id"]
    canceled = api.client.post(
        f"/api/v1/worksets/{workset_id}/cancel",
        headers={**api.auth(SAM), "X-Request-ID": "req-audit-api-01"},
    )
    assert canceled.status_code == 200, canceled.text
    records, _ = _lines(api, ADA, limit="1000")
    assert (records[-1]["action"], records[-1]["target"], records[-1]["request_id"]) == (
        "workset.cancel",
        f"workset:{workset_id}",
        "req-audit-api-01",
    )


def test_verify_names_the_first_bad_seq(api: Api) -> None:
    head = asyncio.run(api.container.ports.audit.head(ACME))
    assert head is not None
    # A record that skips a seq (as if the one before it had been removed).
    skipped = replace(head, seq=head.seq + 2, prev_hash=head.hash, action="workset.forged")
    asyncio.run(api.container.ports.audit.append(replace(skipped, hash=record_hash(skipped))))
    for email, params in ((ADA, {}), (PAT, {"customer_id": ACME})):
        report = api.client.get(
            "/api/v1/audit/verify", headers=api.auth(email), params=params
        ).json()
        assert report["ok"] is False and report["first_bad_seq"] == head.seq + 1
        assert report["checked"] == head.seq and report["head_hash"] == head.hash


def test_who_reads_which_trail(api: Api) -> None:
    for path in ("/api/v1/audit", "/api/v1/audit/verify"):
        sam = api.client.get(path, headers=api.auth(SAM))
        assert sam.status_code == 403 and sam.headers["content-type"].startswith(PROBLEM)
        for email, params in ((GIL, {"customer_id": ACME}), (ADA, {"customer_id": GLOBEX})):
            other = api.client.get(path, headers=api.auth(email), params=params)
            assert other.status_code == 404, (email, path)
        unnamed = api.client.get(path, headers=api.auth(PAT))
        assert unnamed.status_code == 422
        nobody_id = {"customer_id": "nobody-00000000"}
        nobody = api.client.get(path, headers=api.auth(PAT), params=nobody_id)
        assert nobody.status_code == 404
        provider = api.client.get(
            path, headers=api.auth(PAT), params={"customer_id": PROVIDER_TENANT}
        )
        assert provider.status_code == 200, provider.text
        refused = api.client.get(
            path, headers=api.auth(ADA), params={"customer_id": PROVIDER_TENANT}
        )
        assert refused.status_code == 404
    globex, _ = _lines(api, PAT, customer_id=GLOBEX, limit="1000")
    assert globex and {r["tenant"] for r in globex} == {GLOBEX}
    for params in ({"limit": "0"}, {"limit": "1001"}, {"since": "-1"}, {"customer_id": "ACME!"}):
        bad = api.client.get("/api/v1/audit", headers=api.auth(ADA), params=params)
        assert bad.status_code == 422, params
