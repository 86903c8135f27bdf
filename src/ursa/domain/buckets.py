"""Linked-bucket validation (glossary "linked bucket", §11.2): a report from the probe facts,
the remediation people see for each failed probe, and the IAM and bucket policies that
would make it pass. Pure: the probes themselves run in ``services/bucket_validation.py``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ursa.domain.errors import InvalidInput
from ursa.domain.validation import validate_bucket_name

POLICY_VERSION = "2012-10-17"
PRINCIPAL_ARN_RE = re.compile(r"^arn:aws:iam::[0-9]{12}:(?:role|user)/[A-Za-z0-9+=,.@_/-]{1,512}$")
"""Commercial partition only, like the ``arn:aws:s3:::`` resources the policies name."""
READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
WRITE_ACTIONS = (
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)


class Probe(StrEnum):
    EXISTS = "exists"
    REGION = "region"
    LIST = "list"
    READ = "read"
    WRITE = "write"


@dataclass(frozen=True, slots=True, kw_only=True)
class BucketProbe:
    """What the probes found. ``None`` means the probe was not run (or had nothing to
    test, e.g. no object to read in a read-only check of an empty prefix)."""

    bucket: str
    prefix: str = ""
    exists: bool
    region: str | None = None
    can_list: bool | None = None
    can_read: bool | None = None
    can_write: bool | None = None
    read_only: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    probe: Probe
    ok: bool | None
    remediation: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class BucketReport:
    bucket: str
    prefix: str
    region: str | None
    read_only: bool
    results: tuple[ProbeResult, ...]

    @property
    def failures(self) -> tuple[ProbeResult, ...]:
        return tuple(r for r in self.results if r.ok is False)

    @property
    def ok(self) -> bool:
        """Usable: every probe that had to run passed (a read-only link skips ``write``)."""
        required = {Probe.EXISTS, Probe.REGION, Probe.LIST, Probe.READ}
        if not self.read_only:
            required.add(Probe.WRITE)
        passed = {r.probe for r in self.results if r.ok}
        return not self.failures and (required - {Probe.READ}) <= passed


def _arn(bucket: str, prefix: str = "", *, objects: bool = False) -> str:
    return f"arn:aws:s3:::{bucket}/{prefix}*" if objects else f"arn:aws:s3:::{bucket}"


def remediation(probe: Probe, bucket: str, prefix: str = "") -> str:
    """One sentence per failed probe, naming the exact permission and resource."""
    where = f"s3://{bucket}/{prefix}"
    objects = _arn(bucket, prefix, objects=True)
    texts = {
        Probe.EXISTS: f"Bucket {bucket} does not exist or is not visible to Ursa: check the "
        "name and the AWS account, or create the bucket.",
        Probe.REGION: f"Ursa could not find the region of {bucket}: allow "
        f"s3:GetBucketLocation on {_arn(bucket)}.",
        Probe.LIST: f"Ursa cannot list {where}: allow s3:ListBucket on {_arn(bucket)}"
        + (f" for the prefix '{prefix}'." if prefix else "."),
        Probe.READ: f"Ursa cannot read objects in {where}: allow {', '.join(READ_ACTIONS)} "
        f"on {objects}.",
        Probe.WRITE: f"Ursa cannot write to {where}: allow {', '.join(WRITE_ACTIONS)} on "
        f"{objects}.",
    }
    return texts[probe]


def bucket_report(probe: BucketProbe) -> BucketReport:
    """The report people see: each probe's outcome and, for each failure, what to change."""
    checks: list[tuple[Probe, bool | None]] = [(Probe.EXISTS, probe.exists)]
    if probe.exists:
        checks += [
            (Probe.REGION, probe.region is not None),
            (Probe.LIST, probe.can_list),
            (Probe.READ, probe.can_read),
        ]
        if not probe.read_only:
            checks.append((Probe.WRITE, probe.can_write))
    return BucketReport(
        bucket=probe.bucket,
        prefix=probe.prefix,
        region=probe.region,
        read_only=probe.read_only,
        results=tuple(
            ProbeResult(
                probe=name,
                ok=ok,
                remediation=remediation(name, probe.bucket, probe.prefix) if ok is False else "",
            )
            for name, ok in checks
        ),
    )


def _statements(bucket: str, prefix: str, read_only: bool) -> list[dict[str, Any]]:
    listing: dict[str, Any] = {
        "Sid": "UrsaList",
        "Effect": "Allow",
        "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
        "Resource": _arn(bucket),
    }
    if prefix:
        # GetBucketLocation has no s3:prefix key, so the condition only narrows ListBucket.
        listing["Action"] = ["s3:ListBucket"]
        listing["Condition"] = {"StringLike": {"s3:prefix": [f"{prefix}*"]}}
    statements = [listing]
    if prefix:
        statements.append(
            {
                "Sid": "UrsaLocate",
                "Effect": "Allow",
                "Action": ["s3:GetBucketLocation"],
                "Resource": _arn(bucket),
            }
        )
    objects = _arn(bucket, prefix, objects=True)
    statements.append(
        {"Sid": "UrsaRead", "Effect": "Allow", "Action": list(READ_ACTIONS), "Resource": objects}
    )
    if not read_only:
        statements.append(
            {
                "Sid": "UrsaWrite",
                "Effect": "Allow",
                "Action": list(WRITE_ACTIONS),
                "Resource": objects,
            }
        )
    return statements


def _normalised(bucket: str, prefix: str) -> tuple[str, str]:
    validate_bucket_name(bucket)
    if prefix.startswith("/") or "*" in prefix or "?" in prefix:
        raise InvalidInput.single("prefix", "BAD_VALUE", "a prefix has no leading / or wildcards")
    return bucket, prefix.rstrip("/") + "/" if prefix.strip("/") else ""


def iam_policy(bucket: str, prefix: str = "", *, read_only: bool = False) -> dict[str, Any]:
    """The identity policy for Ursa's role (least privilege: this bucket and prefix only)."""
    bucket, prefix = _normalised(bucket, prefix)
    return {"Version": POLICY_VERSION, "Statement": _statements(bucket, prefix, read_only)}


def bucket_policy(
    bucket: str, principal_arn: str, prefix: str = "", *, read_only: bool = False
) -> dict[str, Any]:
    """The customer's bucket policy granting Ursa's principal the same access."""
    if not PRINCIPAL_ARN_RE.match(principal_arn):
        raise InvalidInput.single(
            "principal_arn", "BAD_VALUE", "expected arn:aws:iam::<12-digit account>:role/<name>"
        )
    bucket, prefix = _normalised(bucket, prefix)
    statements = _statements(bucket, prefix, read_only)
    for statement in statements:
        statement["Principal"] = {"AWS": principal_arn}
    return {"Version": POLICY_VERSION, "Statement": statements}


def policy_json(document: dict[str, Any]) -> str:
    """Stable, readable JSON for pasting into the AWS console."""
    return json.dumps(document, indent=2)
