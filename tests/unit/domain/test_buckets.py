"""Linked-bucket validation: the report, remediation per failed probe, generated policies."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from ursa.domain.buckets import (
    BucketProbe,
    Probe,
    bucket_policy,
    bucket_report,
    iam_policy,
    policy_json,
    remediation,
)
from ursa.domain.errors import InvalidInput

ROLE = "arn:aws:iam::123456789012:role/ursa-engine"
GOOD = BucketProbe(
    bucket="acme-genomics-ursa",
    prefix="data/",
    exists=True,
    region="us-west-2",
    can_list=True,
    can_read=True,
    can_write=True,
)


def outcomes(probe: BucketProbe) -> dict[Probe, bool | None]:
    return {r.probe: r.ok for r in bucket_report(probe).results}


def test_all_probes_pass() -> None:
    report = bucket_report(GOOD)
    assert report.ok and not report.failures and report.region == "us-west-2"
    assert outcomes(GOOD) == dict.fromkeys(Probe, True)
    assert all(r.remediation == "" for r in report.results)


def test_missing_bucket_reports_only_existence() -> None:
    report = bucket_report(BucketProbe(bucket="acme-genomics-ursa", exists=False))
    assert not report.ok
    assert [(f.probe, f.ok) for f in report.results] == [(Probe.EXISTS, False)]
    assert "acme-genomics-ursa" in report.failures[0].remediation


@pytest.mark.parametrize(
    ("change", "failed", "needle"),
    [
        ({"region": None}, Probe.REGION, "s3:GetBucketLocation"),
        ({"can_list": False}, Probe.LIST, "s3:ListBucket"),
        ({"can_read": False}, Probe.READ, "s3:GetObject"),
        ({"can_write": False}, Probe.WRITE, "s3:PutObject"),
    ],
)
def test_each_failed_probe_has_its_remediation(
    change: dict[str, Any], failed: Probe, needle: str
) -> None:
    report = bucket_report(replace(GOOD, **change))
    assert not report.ok
    assert [f.probe for f in report.failures] == [failed]
    text = report.failures[0].remediation
    assert needle in text and "acme-genomics-ursa" in text


def test_read_only_links_skip_the_write_probe() -> None:
    probe = replace(GOOD, read_only=True, can_write=None)
    assert Probe.WRITE not in outcomes(probe) and bucket_report(probe).ok


def test_nothing_to_read_is_not_a_failure() -> None:
    probe = replace(GOOD, read_only=True, can_write=None, can_read=None)
    report = bucket_report(probe)
    assert report.ok and outcomes(probe)[Probe.READ] is None


def test_a_write_probe_that_did_not_run_is_not_ok() -> None:
    assert not bucket_report(replace(GOOD, can_write=None)).ok


@pytest.mark.parametrize("probe", list(Probe))
def test_remediation_names_the_resource(probe: Probe) -> None:
    text = remediation(probe, "acme-genomics-ursa", "data/")
    assert "acme-genomics-ursa" in text and text.endswith(".")


def test_remediation_names_the_object_arn() -> None:
    assert "arn:aws:s3:::acme-genomics-ursa/data/*" in remediation(
        Probe.WRITE, "acme-genomics-ursa", "data/"
    )


def _by_sid(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}


def test_iam_policy_is_scoped_to_the_prefix() -> None:
    doc = iam_policy("acme-genomics-ursa", "data")
    statements = _by_sid(doc)
    assert doc["Version"] == "2012-10-17"
    assert set(statements) == {"UrsaList", "UrsaLocate", "UrsaRead", "UrsaWrite"}
    assert statements["UrsaList"]["Condition"] == {"StringLike": {"s3:prefix": ["data/*"]}}
    assert statements["UrsaList"]["Resource"] == "arn:aws:s3:::acme-genomics-ursa"
    assert statements["UrsaRead"]["Resource"] == "arn:aws:s3:::acme-genomics-ursa/data/*"
    assert "s3:PutObject" in statements["UrsaWrite"]["Action"]
    assert all("Principal" not in s for s in doc["Statement"])


def test_iam_policy_for_a_whole_bucket_read_only() -> None:
    statements = _by_sid(iam_policy("acme-genomics-ursa", read_only=True))
    assert set(statements) == {"UrsaList", "UrsaRead"}
    assert "Condition" not in statements["UrsaList"]
    assert statements["UrsaRead"]["Resource"] == "arn:aws:s3:::acme-genomics-ursa/*"


def test_bucket_policy_grants_the_principal() -> None:
    doc = bucket_policy("acme-genomics-ursa", ROLE, "data/", read_only=True)
    assert {s["Sid"] for s in doc["Statement"]} == {"UrsaList", "UrsaLocate", "UrsaRead"}
    assert all(s["Principal"] == {"AWS": ROLE} for s in doc["Statement"])
    assert json.loads(policy_json(doc)) == doc


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::12345:role/x",
        "arn:aws:s3:::bucket",
        "role/ursa",
        "arn:aws:iam::123456789012:group/x",
        "arn:aws-us-gov:iam::123456789012:role/x",
    ],
)
def test_bucket_policy_rejects_odd_principals(arn: str) -> None:
    with pytest.raises(InvalidInput):
        bucket_policy("acme-genomics-ursa", arn)


@pytest.mark.parametrize(
    ("bucket", "prefix"), [("Bad_Bucket", ""), ("ok-bucket", "/abs"), ("ok-bucket", "a*")]
)
def test_policies_reject_bad_buckets_and_prefixes(bucket: str, prefix: str) -> None:
    with pytest.raises(InvalidInput):
        iam_policy(bucket, prefix)
