"""Saved manifests: a customer's library of validated ``stage_samples.tsv`` files (§4).

A saved manifest is **shared within its customer**: every user of the customer sees it and
may submit it; only its owner, a customer admin or a provider admin may rename, describe or
delete it (``tenancy.authorize_shared``). The record lives in the ``ManifestStore``; the TSV
bytes themselves live in the customer's bucket at ``manifests/<manifest_id>/stage_samples.tsv``
(a manifest may be 1 MiB, a DynamoDB item at most 400 KB), written before the record so a
record never names a missing file. ``sha256`` is the digest of those bytes (§4.1: CRLF
already normalised to LF)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from ursa.domain.errors import InvalidInput, Issue
from ursa.domain.ids import slugify
from ursa.domain.manifest_types import Manifest, ManifestSample
from ursa.domain.validation import check_input_key, parse_s3_uri, validate_workset_name

MANIFEST_ID_RE = re.compile(r"^mf-[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?-[0-9a-f]{8}$")
MANIFEST_FOLDER = "manifests"
MANIFEST_FILE = "stage_samples.tsv"
MAX_DESCRIPTION = 2000
MAX_DISCOVERED_OBJECTS = 10_000
"""``generate`` lists at most this many objects under a prefix; more must be narrowed."""
MISSING = "manifest not found"
"""The one message for an absent or invisible manifest (no existence leak)."""
TSV_FIELD = "manifest_tsv"
ID_FIELD = "manifest_id"
"""The two ways a submit body names its manifest (exactly one of them)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedManifest:
    manifest_id: str
    customer_id: str
    owner_user_id: str
    name: str
    description: str = ""
    bucket: str
    key: str
    sha256: str
    size: int
    sample_count: int
    row_count: int
    created_at: datetime
    updated_at: datetime
    version: int = 1
    schema_version: int = 1


def new_manifest_id(name: str, suffix: str) -> str:
    """``mf-<slug ≤40>-<8 hex>``; ``suffix`` comes from the IdGenerator port."""
    if not re.fullmatch(r"[0-9a-f]{8}", suffix):
        raise ValueError(f"id suffix must be 8 lowercase hex digits, got {suffix!r}")
    return f"mf-{slugify(name, max_len=40, empty='manifest')}-{suffix}"


def is_manifest_id(value: str) -> bool:
    return MANIFEST_ID_RE.fullmatch(value) is not None


def one_manifest_source(tsv: bytes | None, manifest_id: str | None) -> bytes | str:
    """A submit (and its dry run and estimate) names its manifest exactly once: the TSV bytes
    themselves, or the id of a saved manifest. Returns the one given; both or neither is an
    issue on each of the two fields."""
    if tsv is not None and manifest_id is None:
        return tsv
    if manifest_id is not None and tsv is None:
        return manifest_id
    if tsv is None:
        message = f"give the manifest: {TSV_FIELD} (the TSV) or {ID_FIELD} (a saved manifest)"
        code = "EMPTY_REQUIRED"
    else:
        message = f"give exactly one of {TSV_FIELD} and {ID_FIELD}, not both"
        code = "BAD_VALUE"
    issues = tuple(Issue(field=f, code=code, message=message) for f in (TSV_FIELD, ID_FIELD))
    raise InvalidInput(message, issues)


def manifest_key(manifest_id: str) -> str:
    """Where the TSV is stored in the customer's bucket."""
    return f"{MANIFEST_FOLDER}/{manifest_id}/{MANIFEST_FILE}"


def validate_manifest_name(name: str) -> str:
    """The §11.1 ``name`` rule (NFC, stripped, 1-80 safe characters)."""
    return validate_workset_name(name)


def validate_description(text: str) -> str:
    """NFC and stripped; at most ``MAX_DESCRIPTION`` characters; newlines and tabs are the
    only control characters allowed."""
    normalised = unicodedata.normalize("NFC", text).strip()
    if len(normalised) > MAX_DESCRIPTION:
        raise InvalidInput.single(
            "description",
            "BAD_VALUE",
            f"description is {len(normalised)} characters; at most {MAX_DESCRIPTION} allowed",
        )
    bad = next((ch for ch in normalised if _is_control(ch) and ch not in "\n\t"), None)
    if bad is not None:
        raise InvalidInput.single(
            "description",
            "BAD_VALUE",
            f"description contains a control character (U+{ord(bad):04X})",
        )
    return normalised


def _is_control(ch: str) -> bool:
    cp = ord(ch)
    return cp <= 0x1F or 0x7F <= cp <= 0x9F or 0xD800 <= cp <= 0xDFFF


def saved_manifest(
    *,
    manifest_id: str,
    customer_id: str,
    owner_user_id: str,
    name: str,
    description: str,
    bucket: str,
    manifest: Manifest,
    now: datetime,
) -> SavedManifest:
    return SavedManifest(
        manifest_id=manifest_id,
        customer_id=customer_id,
        owner_user_id=owner_user_id,
        name=name,
        description=description,
        bucket=bucket,
        key=manifest_key(manifest_id),
        sha256=manifest.sha256,
        size=len(manifest.raw),
        sample_count=manifest.sample_count,
        row_count=manifest.row_count,
        created_at=now,
        updated_at=now,
    )


def edited(
    current: SavedManifest, *, name: str | None, description: str | None, now: datetime
) -> SavedManifest:
    """The next version with the given fields changed (None keeps a field)."""
    return replace(
        current,
        name=current.name if name is None else name,
        description=current.description if description is None else description,
        updated_at=now,
        version=current.version + 1,
    )


def input_bucket_issues(manifest: Manifest, allowed: Iterable[str]) -> tuple[Issue, ...]:
    """``INPUT_NOT_ALLOWED`` for every R1/R2 outside the customer's readable buckets (§4.5);
    no object is touched."""
    readable = frozenset(allowed)
    issues: list[Issue] = []
    for row in manifest.rows:
        for column, uri in (("R1_FQ", row.r1_fq), ("R2_FQ", row.r2_fq)):
            if not uri:
                continue
            bucket = parse_s3_uri(uri, field=column).bucket
            if bucket not in readable:
                issues.append(
                    Issue(
                        field=column,
                        row=row.row,
                        code="INPUT_NOT_ALLOWED",
                        message=(
                            f"row {row.row}, column {column}: bucket {bucket} is not linked "
                            "to your account; link and validate it first"
                        ),
                    )
                )
    return tuple(issues)


def check_prefix(prefix: str) -> str:
    """A listing prefix: empty (the whole bucket) or a safe key, one trailing '/' allowed."""
    if prefix:
        check_input_key(prefix.removesuffix("/"), field="prefix")
    return prefix


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationReport:
    """What ``POST /manifests/validate`` answers: every issue, and the samples when valid."""

    valid: bool
    issues: tuple[Issue, ...]
    row_count: int
    sample_count: int | None
    sha256: str | None
    samples: tuple[ManifestSample, ...]


def valid_report(manifest: Manifest, issues: tuple[Issue, ...] = ()) -> ValidationReport:
    return ValidationReport(
        valid=not issues,
        issues=issues,
        row_count=manifest.row_count,
        sample_count=manifest.sample_count,
        sha256=manifest.sha256,
        samples=manifest.samples,
    )


def invalid_report(data: bytes, issues: tuple[Issue, ...]) -> ValidationReport:
    """``row_count`` counts the non-blank lines after the header, read or not."""
    lines = [line for line in data.replace(b"\r\n", b"\n").split(b"\n")[1:] if line]
    return ValidationReport(
        valid=False,
        issues=issues,
        row_count=len(lines),
        sample_count=None,
        sha256=None,
        samples=(),
    )
