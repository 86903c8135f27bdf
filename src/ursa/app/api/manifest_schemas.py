"""/api/v1/manifests bodies (msgspec Structs) and the domain → Struct presenters.

Requests forbid unknown fields and bound every string; the domain applies the exact rules
(§4, §11) and answers 422 with one issue per broken rule."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from ursa.domain.errors import Issue
from ursa.domain.manifest_types import (
    LibPrep,
    ManifestSample,
    SampleType,
    SeqPlatform,
    SeqVendor,
    StageDirective,
)
from ursa.domain.pairing import ManifestDefaults, UnpairedKey
from ursa.domain.saved_manifests import MAX_DESCRIPTION, SavedManifest, ValidationReport
from ursa.domain.services.manifest_discovery import GenerateResult

MAX_TSV_CHARS = 1024 * 1024
"""The domain's limit is 1 MiB of UTF-8; no manifest within it has more characters."""
MAX_LISTED_WARNINGS = 500
"""Unpaired and ambiguous keys shown per answer; the counts are always complete."""

EXAMPLE_TSV = (
    "RUN_ID\tSAMPLE_ID\tEXPERIMENTID\tSAMPLE_TYPE\tLIB_PREP\tSEQ_VENDOR\tSEQ_PLATFORM\tLANE\t"
    "SEQBC_ID\tPATH_TO_CONCORDANCE_DATA_DIR\tR1_FQ\tR2_FQ\tSTAGE_DIRECTIVE\tSTAGE_TARGET\t"
    "SUBSAMPLE_PCT\tIS_POS_CTRL\tIS_NEG_CTRL\tN_X\tN_Y\tEXTERNAL_SAMPLE_ID\n"
    "RUN1\tHG002\tEXP1\tblood\tnoampwgs\tILMN\tNOVASEQX\t0\tS1\t\t"
    "s3://acme-genomics-ursa/sequencing/HG002_S1_L001_R1_001.fastq.gz\t"
    "s3://acme-genomics-ursa/sequencing/HG002_S1_L001_R2_001.fastq.gz\t"
    "stage_data\t/fsx/staged_sample_data/\tna\tfalse\tfalse\t1\t1\t\n"
)

Tsv = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_TSV_CHARS,
        description="The stage_samples.tsv content: UTF-8, tab-separated, header first.",
        examples=[EXAMPLE_TSV],
    ),
]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100, examples=["Trio template"])]
Description = Annotated[
    str, msgspec.Meta(max_length=MAX_DESCRIPTION, examples=["HG002-HG004, NovaSeq X run 1"])
]
CustomerId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        description="Provider admins only: the customer to act for; ignored for customers.",
        examples=["acme-genomics-3f9c01ab"],
    ),
]
ManifestId = Annotated[str, msgspec.Meta(examples=["mf-trio-template-0a1b2c3d"])]
ShortText = Annotated[str, msgspec.Meta(max_length=64)]
SexCount = Annotated[int, msgspec.Meta(ge=0, le=4)]


class ValidateManifest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    tsv: Tsv
    customer_id: CustomerId | None = None


class SaveManifest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name
    tsv: Tsv
    description: Description = ""
    customer_id: CustomerId | None = None


class EditManifest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Fields left out (or null) keep their value."""

    name: Name | None = None
    description: Description | None = None


class GenerateManifest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """List ``s3://<bucket>/<prefix>``, pair R1/R2 (§4.7) and draft a manifest with these
    defaults. ``n_x``/``n_y`` are written only when given (there is no default sex)."""

    bucket: Annotated[
        str, msgspec.Meta(min_length=3, max_length=63, examples=["acme-genomics-ursa"])
    ]
    prefix: Annotated[str, msgspec.Meta(max_length=1024, examples=["sequencing/run1/"])] = ""
    run_id: ShortText = ""
    experiment_id: ShortText = ""
    sample_type: SampleType = SampleType.BLOOD
    lib_prep: LibPrep = LibPrep.NOAMPWGS
    seq_vendor: SeqVendor = SeqVendor.ILMN
    seq_platform: SeqPlatform = SeqPlatform.NOVASEQX
    seqbc_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] = "S1"
    n_x: SexCount | None = None
    n_y: SexCount | None = None
    save: bool = False
    """Also save the draft (it must be valid; ``name`` is then required)."""
    name: Name | None = None
    description: Description = ""
    customer_id: CustomerId | None = None


# -- answers ------------------------------------------------------------------------------


class IssueOut(msgspec.Struct, kw_only=True):
    field: str
    code: str
    message: str
    row: int | None
    """1-based, the header is row 1; null for file-level issues."""


class SampleSummary(msgspec.Struct, kw_only=True):
    sample_id: str
    external_sample_id: str | None
    sample_type: SampleType
    units: int
    lanes: int
    n_x: int | None
    n_y: int | None
    is_pos_ctrl: bool
    is_neg_ctrl: bool


class ValidationOut(msgspec.Struct, kw_only=True):
    valid: bool
    issues: list[IssueOut]
    row_count: int
    sample_count: int | None
    sha256: str | None
    samples: list[SampleSummary]


class ManifestOut(msgspec.Struct, kw_only=True):
    manifest_id: ManifestId
    customer_id: str
    owner_user_id: str
    name: str
    description: str
    sha256: str
    size: int
    sample_count: int
    row_count: int
    created_at: datetime
    updated_at: datetime
    version: int


class ManifestPage(msgspec.Struct, kw_only=True):
    items: list[ManifestOut]
    next_cursor: str | None


class UnpairedOut(msgspec.Struct, kw_only=True):
    key: str
    read: str | None
    reason: str


class DefaultsOut(msgspec.Struct, kw_only=True):
    """The generator defaults the draft was written with, shown so they can be reviewed."""

    run_id: str
    experiment_id: str
    sample_type: SampleType
    lib_prep: LibPrep
    seq_vendor: SeqVendor
    seq_platform: SeqPlatform
    seqbc_id: str
    stage_directive: StageDirective
    stage_target: str
    n_x: int | None
    n_y: int | None


class GenerateOut(msgspec.Struct, kw_only=True):
    tsv: str
    valid: bool
    """The draft passes every §4 rule (it could be saved as it is)."""
    listed: int
    pair_count: int
    sample_count: int | None
    issues: list[IssueOut]
    unpaired: list[UnpairedOut]
    unpaired_count: int
    ambiguous: list[UnpairedOut]
    ambiguous_count: int
    ignored_count: int
    defaults: DefaultsOut
    manifest: ManifestOut | None
    """The saved manifest when ``save`` was true."""


# -- presenters ---------------------------------------------------------------------------


def issue(i: Issue) -> IssueOut:
    return IssueOut(field=i.field, code=i.code, message=i.message, row=i.row)


def sample(s: ManifestSample) -> SampleSummary:
    return SampleSummary(
        sample_id=s.sample_id,
        external_sample_id=s.external_sample_id,
        sample_type=s.sample_type,
        units=len(s.units),
        lanes=sum(len(u.lanes) for u in s.units),
        n_x=s.n_x,
        n_y=s.n_y,
        is_pos_ctrl=s.is_pos_ctrl,
        is_neg_ctrl=s.is_neg_ctrl,
    )


def report(r: ValidationReport) -> ValidationOut:
    return ValidationOut(
        valid=r.valid,
        issues=[issue(i) for i in r.issues],
        row_count=r.row_count,
        sample_count=r.sample_count,
        sha256=r.sha256,
        samples=[sample(s) for s in r.samples],
    )


def manifest(m: SavedManifest) -> ManifestOut:
    return ManifestOut(
        manifest_id=m.manifest_id,
        customer_id=m.customer_id,
        owner_user_id=m.owner_user_id,
        name=m.name,
        description=m.description,
        sha256=m.sha256,
        size=m.size,
        sample_count=m.sample_count,
        row_count=m.row_count,
        created_at=m.created_at,
        updated_at=m.updated_at,
        version=m.version,
    )


def defaults_of(data: GenerateManifest) -> ManifestDefaults:
    return ManifestDefaults(
        run_id=data.run_id,
        experiment_id=data.experiment_id,
        sample_type=data.sample_type,
        lib_prep=data.lib_prep,
        seq_vendor=data.seq_vendor,
        seq_platform=data.seq_platform,
        seqbc_id=data.seqbc_id,
        n_x=data.n_x,
        n_y=data.n_y,
    )


def _unpaired(keys: tuple[UnpairedKey, ...]) -> list[UnpairedOut]:
    return [
        UnpairedOut(key=k.key, read=k.read, reason=k.reason) for k in keys[:MAX_LISTED_WARNINGS]
    ]


def generated(r: GenerateResult) -> GenerateOut:
    d = r.defaults
    return GenerateOut(
        tsv=r.tsv.decode("utf-8"),
        valid=not r.issues,
        listed=r.listed,
        pair_count=len(r.pairing.pairs),
        sample_count=None if r.manifest is None else r.manifest.sample_count,
        issues=[issue(i) for i in r.issues],
        unpaired=_unpaired(r.pairing.unpaired),
        unpaired_count=len(r.pairing.unpaired),
        ambiguous=_unpaired(r.pairing.ambiguous),
        ambiguous_count=len(r.pairing.ambiguous),
        ignored_count=len(r.pairing.ignored),
        defaults=DefaultsOut(
            run_id=d.run_id,
            experiment_id=d.experiment_id,
            sample_type=d.sample_type,
            lib_prep=d.lib_prep,
            seq_vendor=d.seq_vendor,
            seq_platform=d.seq_platform,
            seqbc_id=d.seqbc_id,
            stage_directive=d.stage_directive,
            stage_target=d.stage_target,
            n_x=d.n_x,
            n_y=d.n_y,
        ),
        manifest=None if r.saved is None else manifest(r.saved),
    )
