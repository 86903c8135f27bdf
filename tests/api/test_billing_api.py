"""/api/v1/billing and /api/v1/worksets/{id}/costs through the real app: the usage summary,
the invoice and the CSV export agree to the cent; samples add up to their workset."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from api_client import Api
from ursa.adapters.memory.seed_data import GIB, HEADER
from ursa.domain.billing import CostComponent
from ursa.domain.records import CostLedgerEntry

SAM, ADA, GIL, UMA, PAT = (
    "sam@acme.example",
    "ada@acme.example",
    "gil@globex.example",
    "uma@globex.example",
    "admin@ursa.example",
)
ACME = "acme-genomics-3f9c01ab"
ACME_BUCKET = "acme-genomics-ursa"
PROBLEM = "application/problem+json"
NOV = {"period": "2026-11"}


def _manifest(api: Api, samples: tuple[str, ...]) -> str:
    assert api.container.objects is not None
    lines = [HEADER]
    for index, sample in enumerate(samples, start=1):
        keys = [f"sequencing/billing/{sample}_S{index}_L001_R{r}_001.fastq.gz" for r in (1, 2)]
        for key in keys:
            api.container.objects.seed_object(ACME_BUCKET, key, GIB)
        row = ["RUN1", sample, "EXP1", "blood", "noampwgs", "ILMN", "NOVASEQX", "0"]
        row += [f"S{index}", "", *(f"s3://{ACME_BUCKET}/{k}" for k in keys)]
        row += ["stage_data", "/fsx/staged_sample_data/", "na", "false", "false", "2", "0", ""]
        lines.append("\t".join(row))
    return "\n".join(lines) + "\n"


def _submit_once(api: Api) -> dict[str, Any]:
    """The same Idempotency-Key twice: one workset, the second answer a replay."""
    body = {
        "name": "Billing trio",
        "pipeline_type": "germline_wgs_snv",
        "manifest_tsv": _manifest(api, ("BT001", "BT002", "BT003")),
    }
    headers = {**api.auth(SAM), "Idempotency-Key": "billing-acceptance-0001"}
    first = api.client.post("/api/v1/worksets", json=body, headers=headers)
    again = api.client.post("/api/v1/worksets", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["workset_id"] == first.json()["workset_id"]
    listed = api.client.get(
        "/api/v1/worksets", headers=api.auth(SAM), params={"q": "Billing trio"}
    ).json()["items"]
    assert [w["workset_id"] for w in listed] == [first.json()["workset_id"]]
    workset: dict[str, Any] = first.json()
    return workset


# Sub-cent postings as the engine makes them (storage and transfer at 6 places).
POSTINGS = (
    (CostComponent.COMPUTE_DIRECT, "12.345678", "actual"),
    (CostComponent.OVERHEAD, "0.333333", "actual"),
    (CostComponent.STORAGE, "0.004567", "estimated"),
    (CostComponent.TRANSFER_CROSS, "0.015005", "actual"),
)


def _post_costs(api: Api, workset_id: str, sample_ids: list[str]) -> list[CostLedgerEntry]:
    entries = [
        CostLedgerEntry(
            entry_id=f"{workset_id}-r1:{sample_id}:{component.value}",
            workset_id=workset_id,
            customer_id=ACME,
            run_id=f"{workset_id}-r1",
            sample_id=sample_id,
            component=component.value,
            amount=Decimal(amount),
            basis=basis,
            rate_card_version="2026-11",
            posted_at=datetime(2026, 11, 25, 8, n, tzinfo=UTC),
        )
        for n, sample_id in enumerate(sample_ids)
        for component, amount, basis in POSTINGS
    ]
    entries.append(  # idle cluster time, for the workset as a whole
        CostLedgerEntry(
            entry_id=f"{workset_id}-r1:idle",
            workset_id=workset_id,
            customer_id=ACME,
            run_id=f"{workset_id}-r1",
            sample_id=None,
            component=CostComponent.OVERHEAD.value,
            amount=Decimal("0.777777"),
            basis="estimated",
            rate_card_version="2026-11",
            posted_at=datetime(2026, 11, 26, tzinfo=UTC),
        )
    )
    december = CostLedgerEntry(
        entry_id=f"{workset_id}-storage-dec",
        workset_id=workset_id,
        customer_id=ACME,
        run_id=None,
        sample_id=sample_ids[0],
        component=CostComponent.STORAGE.value,
        amount=Decimal("0.41"),
        basis="actual",
        rate_card_version="2026-11",
        posted_at=datetime(2026, 12, 1, tzinfo=UTC),  # the next period: not on November's bill
    )
    for entry in [*entries, december]:
        asyncio.run(api.container.ports.ledger.post(entry))
    return [*entries, december]


def _get(api: Api, email: str, path: str, **params: str) -> Any:
    response = api.client.get(f"/api/v1{path}", headers=api.auth(email), params=params)
    assert response.status_code == 200, response.text
    return response


def _csv_total(text: str) -> tuple[Decimal, list[dict[str, str]]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    return sum((Decimal(r["amount_usd"]) for r in rows), Decimal(0)), rows


def test_usage_invoice_and_csv_agree_to_the_cent(api: Api) -> None:
    workset = _submit_once(api)
    workset_id = workset["workset_id"]
    samples = _get(api, SAM, f"/worksets/{workset_id}/samples").json()
    entries = _post_costs(api, workset_id, [s["sample_id"] for s in samples])

    for email, params in ((ADA, NOV), (PAT, {**NOV, "customer_id": ACME})):
        usage = _get(api, email, "/billing/usage", **params).json()
        bill = _get(api, email, "/billing/invoice", **params).json()
        exported = _get(api, email, "/billing/export.csv", **params)
        csv_total, rows = _csv_total(exported.text)
        assert exported.headers["content-type"].startswith("text/csv")
        assert exported.headers["content-disposition"] == (
            f'attachment; filename="ursa-{ACME}-2026-11.csv"'
        )
        assert Decimal(usage["total"]) == Decimal(bill["total"]) == csv_total
        assert usage["total"] == bill["total"]  # the same string, to the cent
        assert Decimal(bill["total"]) > 0 and usage["scope"] == "customer"
        assert sum(Decimal(line["total"]) for line in bill["lines"]) == Decimal(bill["total"])
        assert Decimal(bill["subtotal"]) + Decimal(bill["credits"]) == Decimal(bill["total"])
        # The same period written as start/end gives the same figures.
        between = {"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"}
        params_between = {**between, **({"customer_id": ACME} if email == PAT else {})}
        assert (
            _get(api, email, "/billing/usage", **params_between).json()["total"] == usage["total"]
        )
        # Our workset's invoice line = its row in the workset list = its CSV rows.
        (line,) = [x for x in bill["lines"] if x["workset_id"] == workset_id]
        listed = _get(api, email, "/billing/worksets", **params).json()
        (item,) = [x for x in listed["items"] if x["workset_id"] == workset_id]
        ours = sum(Decimal(r["amount_usd"]) for r in rows if r["workset_id"] == workset_id)
        assert line["total"] == item["total"] and Decimal(line["total"]) == ours
        assert listed["total"] == bill["total"]
        in_november = sum(e.amount for e in entries if e.posted_at.month == 11)
        assert abs(Decimal(line["total"]) - in_november) < Decimal("0.01") * len(entries)
        figures = {f["component"]: f for f in line["costs"]["figures"]}
        assert figures["storage"]["basis"] == "estimated" and line["basis"] == "estimated"
        assert figures["transfer_internet"]["source"] == "unmetered"
        assert "storage" in line["costs"]["estimated_components"]


def test_per_sample_costs_add_up_to_the_workset(api: Api) -> None:
    workset_id = _submit_once(api)["workset_id"]
    samples = _get(api, SAM, f"/worksets/{workset_id}/samples").json()
    sample_ids = [s["sample_id"] for s in samples]
    entries = _post_costs(api, workset_id, sample_ids)
    for email in (SAM, ADA, PAT):
        detail = _get(api, email, f"/worksets/{workset_id}/costs").json()
        total = Decimal(detail["workset"]["total"])
        assert sum(Decimal(s["total"]) for s in detail["samples"]) == total
        exact = sum((e.amount for e in entries), Decimal(0))  # all time, December included
        assert total == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
        assert [s["sample_id"] for s in detail["samples"]] == [*sample_ids, None]
        for sample in detail["samples"]:
            assert sum(Decimal(f["amount"]) for f in sample["costs"]["figures"]) == Decimal(
                sample["total"]
            )
    for email in (GIL, UMA):
        hidden = api.client.get(f"/api/v1/worksets/{workset_id}/costs", headers=api.auth(email))
        assert hidden.status_code == 404 and hidden.headers["content-type"].startswith(PROBLEM)


def test_who_sees_which_bill(api: Api) -> None:
    customer = _get(api, ADA, "/billing/usage", **NOV).json()
    own = _get(api, SAM, "/billing/usage", **NOV).json()
    assert own["scope"] == "own_worksets" and customer["scope"] == "customer"
    assert 0 < Decimal(own["total"]) < Decimal(customer["total"])
    sam_rows = _get(api, SAM, "/billing/worksets", **NOV).json()["items"]
    sam_id = _get(api, SAM, "/billing/worksets", **NOV).json()["items"][0]["owner_user_id"]
    assert sam_rows and all(row["owner_user_id"] == sam_id for row in sam_rows)
    for path in ("/billing/invoice", "/billing/export.csv"):
        refused = api.client.get(f"/api/v1{path}", headers=api.auth(SAM), params=NOV)
        assert refused.status_code == 403 and refused.headers["content-type"].startswith(PROBLEM)
    for path in ("/billing/usage", "/billing/invoice", "/billing/worksets"):
        other = api.client.get(
            f"/api/v1{path}", headers=api.auth(GIL), params={**NOV, "customer_id": ACME}
        )
        assert other.status_code == 404, path
        nobody = api.client.get(
            f"/api/v1{path}", headers=api.auth(PAT), params={"customer_id": "nobody-00000000"}
        )
        assert nobody.status_code == 404, path
        unnamed = api.client.get(f"/api/v1{path}", headers=api.auth(PAT), params=NOV)
        assert unnamed.status_code == 422
        assert unnamed.json()["errors"][0]["field"] == "customer_id"
    globex = _get(api, GIL, "/billing/usage", **NOV).json()
    assert globex["customer_id"] != ACME


def test_bad_periods_are_422_problems(api: Api) -> None:
    for params in (
        {"period": "2026-13"},
        {"period": "2026-11", "start": "2026-11-01"},
        {"start": "2026-11-01"},
        {"start": "2026-11-01T00:00:00", "end": "2026-12-01T00:00:00"},
        {"start": "2026-12-01", "end": "2026-11-01"},
        {"start": "2020-01-01", "end": "2026-01-01"},
        {"start": "yesterday-ish", "end": "2026-01-01"},
    ):
        response = api.client.get("/api/v1/billing/usage", headers=api.auth(ADA), params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
