"""Linked buckets (glossary, §4.5, §11.2, §11.3, defect 5): a customer's own S3 bucket that
Ursa reads inputs from or delivers results to. Pure rules: identity, field validation, the
proof-of-control challenge, the prefix restriction, what a read-only link forbids, who may
do what, and how a probe report is recorded. The probes run in ``services/bucket_validation``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from ursa.domain.buckets import BucketReport, ProbeResult, iam_policy
from ursa.domain.errors import Forbidden, InvalidInput, Issue, NotFound
from ursa.domain.principals import Principal, Role
from ursa.domain.tenancy import Action, require_role, require_scope
from ursa.domain.validation import check_input_key, validate_bucket_name

MAX_DISPLAY_NAME = 80
MAX_DESCRIPTION = 500
MAX_PREFIX_BYTES = 512
MAX_UPLOAD_PARTS = 1000
"""Part URLs handed out by one multipart start (S3 allows 10,000 parts; 1,000 parts of up
to 5 GiB each cover any sequencing file)."""
CHALLENGE_PREFIX = "ursa-link-challenge-"
BUCKET_ID_RE = re.compile(r"^lb-[0-9a-f]{16}$")
OUTSIDE_PREFIX = "OUTSIDE_PREFIX"
CHALLENGE_MISSING = "CHALLENGE_MISSING"
CHALLENGE_UNREADABLE = "CHALLENGE_UNREADABLE"


class BucketType(StrEnum):
    """What the customer uses the bucket for (glossary: "for inputs or delivery")."""

    INPUT = "input"
    DELIVERY = "delivery"
    BOTH = "both"


class LinkAction(StrEnum):
    VIEW = "view"
    """See the link, browse and download (any user of the customer)."""
    TRANSFER = "transfer"
    """Presigned uploads and multipart uploads (any user of the customer)."""
    MANAGE = "manage"
    """Link, revalidate, edit, unlink (customer admins and the provider)."""


class BucketAudit(StrEnum):
    LINK = "bucket.link"
    REVALIDATE = "bucket.revalidate"
    EDIT = "bucket.edit"
    UNLINK = "bucket.unlink"


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkValidation:
    """The last probe report: when, whether the link is usable, and each probe's outcome."""

    at: datetime
    ok: bool
    region: str | None
    results: tuple[ProbeResult, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkedBucket:
    bucket_id: str
    customer_id: str
    bucket: str
    region: str | None
    display_name: str
    bucket_type: BucketType
    description: str = ""
    prefix: str = ""
    """The restriction: "" (the whole bucket) or a key prefix ending in '/'."""
    read_only: bool = False
    validation: LinkValidation
    linked_by: str
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def usable_for_inputs(self) -> bool:
        """May manifests name objects here (§4.5)? Validated, and linked for inputs."""
        return self.validation.ok and self.bucket_type in (BucketType.INPUT, BucketType.BOTH)


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkEdit:
    """A PATCH: None leaves a field as it is."""

    display_name: str | None = None
    bucket_type: BucketType | None = None
    description: str | None = None
    prefix: str | None = None
    read_only: bool | None = None


class BucketNotUsable(InvalidInput):
    """Linking (or an edit that changes access) failed validation: nothing was stored. Carries
    the report, the proof-of-control challenge and the IAM policy that would make it pass."""

    def __init__(
        self,
        message: str,
        issues: tuple[Issue, ...],
        *,
        bucket: str,
        prefix: str,
        read_only: bool,
        report: BucketReport | None,
        challenge_key: str | None,
        policy: Mapping[str, Any],
    ) -> None:
        super().__init__(message, issues)
        self.bucket = bucket
        self.prefix = prefix
        self.read_only = read_only
        self.report = report
        self.challenge_key = challenge_key
        self.policy = policy


# -- identity and proof of control ---------------------------------------------------------------


def linked_bucket_id(customer_id: str, bucket: str) -> str:
    """``lb-<sha256(customer:bucket)[:16]>`` (glossary): one id per customer and bucket."""
    return "lb-" + hashlib.sha256(f"{customer_id}:{bucket}".encode()).hexdigest()[:16]


def challenge_key(customer_id: str, bucket: str, prefix: str) -> str:
    """The object the customer writes to prove control (§11.2). Derived, not stored: knowing
    the name proves nothing, being able to write it into the bucket does."""
    digest = hashlib.sha256(f"ursa-link:{customer_id}:{bucket}".encode()).hexdigest()[:24]
    return f"{prefix}{CHALLENGE_PREFIX}{digest}"


# -- field rules ---------------------------------------------------------------------------------


def _text(value: str, field: str, *, limit: int, required: bool, newlines: bool) -> str:
    text = unicodedata.normalize("NFC", value).strip()
    allowed = {"\n"} if newlines else set()
    if required and not text:
        raise InvalidInput.single(field, "EMPTY_REQUIRED", f"{field} must not be empty")
    if len(text) > limit:
        raise InvalidInput.single(field, "BAD_VALUE", f"{field} is longer than {limit} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") and ch not in allowed for ch in text):
        raise InvalidInput.single(field, "BAD_VALUE", f"{field} contains control characters")
    return text


def validate_display_name(value: str) -> str:
    return _text(value, "display_name", limit=MAX_DISPLAY_NAME, required=True, newlines=False)


def validate_description(value: str) -> str:
    return _text(value, "description", limit=MAX_DESCRIPTION, required=False, newlines=True)


def validate_link_prefix(prefix: str) -> str:
    """§11.3 applied to the restriction: "" or safe segments, returned with one trailing '/'.
    Wildcards and ``${`` are refused too: the prefix is written into IAM policies."""
    if not prefix:
        return ""
    if "*" in prefix or "?" in prefix or "${" in prefix:
        raise InvalidInput.single("prefix", "BAD_VALUE", "a prefix has no '*', '?' or '${'")
    body = prefix.removesuffix("/")
    check_input_key(body, field="prefix")
    if len(body.encode()) + 1 > MAX_PREFIX_BYTES:
        raise InvalidInput.single(
            "prefix", "BAD_VALUE", f"a prefix has at most {MAX_PREFIX_BYTES} UTF-8 bytes"
        )
    return body + "/"


def check_type_and_access(bucket_type: BucketType, read_only: bool) -> None:
    """Delivery writes into the bucket, so a read-only link can only be an input link."""
    if read_only and bucket_type is not BucketType.INPUT:
        raise InvalidInput.single(
            "read_only",
            "CONFLICTING_FIELDS",
            f"a read-only link cannot be used for {bucket_type.value}: Ursa delivers by writing",
        )


def check_new_link(bucket: str, prefix: str, bucket_type: BucketType, read_only: bool) -> str:
    """Validate the bucket name (§11.2) and the type/access pair; return the normal prefix."""
    validate_bucket_name(bucket)
    normal = validate_link_prefix(prefix)
    check_type_and_access(bucket_type, read_only)
    return normal


def apply_edit(link: LinkedBucket, edit: LinkEdit, now: datetime) -> LinkedBucket:
    """The edited link (version bumped); ``needs_probe`` says whether access must be re-probed."""
    bucket_type = edit.bucket_type if edit.bucket_type is not None else link.bucket_type
    read_only = edit.read_only if edit.read_only is not None else link.read_only
    check_type_and_access(bucket_type, read_only)
    return replace(
        link,
        display_name=validate_display_name(edit.display_name)
        if edit.display_name is not None
        else link.display_name,
        description=validate_description(edit.description)
        if edit.description is not None
        else link.description,
        prefix=validate_link_prefix(edit.prefix) if edit.prefix is not None else link.prefix,
        bucket_type=bucket_type,
        read_only=read_only,
        updated_at=now,
        version=link.version + 1,
    )


def needs_probe(before: LinkedBucket, after: LinkedBucket) -> bool:
    """A new prefix or more access (read-only lifted) is only trusted once probed again."""
    return after.prefix != before.prefix or after.read_only != before.read_only


def recorded(report: BucketReport, at: datetime) -> LinkValidation:
    return LinkValidation(at=at, ok=report.ok, region=report.region, results=report.results)


def not_usable(
    report: BucketReport | None,
    *,
    bucket: str,
    prefix: str,
    read_only: bool,
    challenge: str | None = None,
    challenge_code: str = "",
) -> BucketNotUsable:
    """The 422 for a failed link or edit: one issue per failed probe, the challenge if it is
    what is missing, and the least-privilege IAM policy that would make the probes pass."""
    issues = [
        Issue(field=f"probes.{r.probe.value}", code="PROBE_FAILED", message=r.remediation)
        for r in (report.failures if report is not None else ())
    ]
    if challenge_code and challenge is not None:
        where = f"s3://{bucket}/{challenge}"
        message = (
            f"Ursa cannot read {where}: allow s3:GetObject on arn:aws:s3:::{bucket}/{prefix}*"
            if challenge_code == CHALLENGE_UNREADABLE
            else f"prove control of the bucket: write an object (it may be empty) at {where}"
        )
        issues.append(Issue(field="challenge", code=challenge_code, message=message))
    return BucketNotUsable(
        f"bucket {bucket} cannot be linked yet: {len(issues)} problem(s)",
        tuple(issues),
        bucket=bucket,
        prefix=prefix,
        read_only=read_only,
        report=report,
        challenge_key=challenge,
        policy=iam_policy(bucket, prefix, read_only=read_only),
    )


# -- the prefix restriction and read-only links -------------------------------------------------


def object_key(link: LinkedBucket, key: str, *, field: str = "key") -> str:
    """A key named by a caller: safe (§11.3) and inside the link's prefix."""
    check_input_key(key, field=field)
    if not key.startswith(link.prefix):
        raise InvalidInput.single(
            field, OUTSIDE_PREFIX, f"this link is restricted to keys under '{link.prefix}'"
        )
    return key


def browse_prefix(link: LinkedBucket, prefix: str) -> str:
    """What a listing may look under: the link's prefix, or a longer prefix inside it."""
    if not prefix:
        return link.prefix
    body = prefix.removesuffix("/")
    if body:
        check_input_key(body, field="prefix")
    if not prefix.startswith(link.prefix):
        raise InvalidInput.single(
            "prefix", OUTSIDE_PREFIX, f"this link is restricted to keys under '{link.prefix}'"
        )
    return prefix


def require_writable(link: LinkedBucket) -> None:
    if link.read_only:
        raise Forbidden("this link is read-only: Ursa does not write to it", code="READ_ONLY_LINK")


# -- who may do what -----------------------------------------------------------------------------


def tenant_for(principal: Principal, customer_id: str | None) -> str:
    """The caller's own customer; a provider admin names one."""
    tenant = principal.customer_id or customer_id
    if tenant is None:
        raise InvalidInput.single(
            "customer_id", "EMPTY_REQUIRED", "a provider admin must name the customer"
        )
    return tenant


def require_link_action(principal: Principal, action: LinkAction) -> None:
    """Scope and role, independent of any one link (used before a link exists)."""
    require_scope(principal, Action.VIEW if action is LinkAction.VIEW else Action.SUBMIT)
    if action is LinkAction.MANAGE:
        require_role(principal, Role.CUSTOMER_ADMIN)


def authorize_link(principal: Principal, link: LinkedBucket, action: LinkAction) -> None:
    """Another tenant's link is NotFound, exactly like a missing one; then scope and role."""
    if not principal.is_provider_admin and principal.customer_id != link.customer_id:
        raise NotFound("linked bucket not found")
    require_link_action(principal, action)
