"""Types of the stage manifest ``stage_samples.tsv`` (§4.1-§4.4): vocabularies, columns,
rows, units, samples and the configurable rules. Parsing lives in ``ursa.domain.manifests``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType


class SampleType(StrEnum):
    BLOOD = "blood"
    SALIVA = "saliva"
    TISSUE = "tissue"
    TUMOR = "tumor"
    NORMAL = "normal"
    CFDNA = "cfdna"
    FFPE = "ffpe"
    ORGANOID = "organoid"


class LibPrep(StrEnum):
    NOAMPWGS = "noampwgs"
    PCR = "pcr"
    WES = "wes"
    TARGETED = "targeted"
    RNASEQ = "rnaseq"
    AMPLICON = "amplicon"


class SeqVendor(StrEnum):
    ILMN = "ILMN"
    ONT = "ONT"
    PACBIO = "PACBIO"
    UG = "UG"


class SeqPlatform(StrEnum):
    NOVASEQX = "NOVASEQX"
    NOVASEQ6000 = "NOVASEQ6000"
    HISEQX = "HISEQX"
    MISEQ = "MISEQ"
    REVIO = "REVIO"
    SEQUEL = "SEQUEL"
    PROMETHION = "PROMETHION"
    MINION = "MINION"
    UG100 = "UG100"


class StageDirective(StrEnum):
    STAGE_DATA = "stage_data"
    PASS_THROUGH = "pass_through"  # noqa: S105
    MOUNTED_READONLY = "mounted_readonly"


VENDOR_PLATFORMS: Mapping[SeqVendor, tuple[SeqPlatform, ...]] = MappingProxyType(
    {
        SeqVendor.ILMN: (
            SeqPlatform.NOVASEQX,
            SeqPlatform.NOVASEQ6000,
            SeqPlatform.HISEQX,
            SeqPlatform.MISEQ,
        ),
        SeqVendor.PACBIO: (SeqPlatform.REVIO, SeqPlatform.SEQUEL),
        SeqVendor.ONT: (SeqPlatform.PROMETHION, SeqPlatform.MINION),
        SeqVendor.UG: (SeqPlatform.UG100,),
    }
)
PAIRED_VENDORS = frozenset({SeqVendor.ILMN, SeqVendor.UG})  # R2_FQ required (§4.2)

# Canonical column order (the DayEC ``analysis_samples`` template, schema version 1).
COLUMNS: tuple[str, ...] = (
    "RUN_ID",
    "SAMPLE_ID",
    "EXPERIMENTID",
    "SAMPLE_TYPE",
    "LIB_PREP",
    "SEQ_VENDOR",
    "SEQ_PLATFORM",
    "LANE",
    "SEQBC_ID",
    "PATH_TO_CONCORDANCE_DATA_DIR",
    "R1_FQ",
    "R2_FQ",
    "STAGE_DIRECTIVE",
    "STAGE_TARGET",
    "SUBSAMPLE_PCT",
    "IS_POS_CTRL",
    "IS_NEG_CTRL",
    "N_X",
    "N_Y",
    "EXTERNAL_SAMPLE_ID",
)
UNIT_KEY_COLUMNS: tuple[str, ...] = COLUMNS[:7]
# Columns the header must contain. R2_FQ is required for ILMN/UG, so it must always be there;
# N_X/N_Y only when ``ManifestRules.require_sex``. The others may be left out (= blank).
HEADER_REQUIRED: tuple[str, ...] = (
    *UNIT_KEY_COLUMNS,
    "LANE",
    "SEQBC_ID",
    "R1_FQ",
    "R2_FQ",
    "STAGE_DIRECTIVE",
    "STAGE_TARGET",
)
SEX_COLUMNS: tuple[str, ...] = ("N_X", "N_Y")
SCHEMA_VERSION = 1
MAX_ISSUES = 500

UnitKey = tuple[str, str, str, SampleType, LibPrep, SeqVendor, SeqPlatform]


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestRules:
    """Per-workset configuration (catalogue entry, deployment, submitter's role)."""

    stage_target: str = "/fsx/staged_sample_data/"
    allowed_lib_preps: tuple[LibPrep, ...] = (LibPrep.NOAMPWGS, LibPrep.PCR)
    allowed_stage_directives: tuple[StageDirective, ...] = (StageDirective.STAGE_DATA,)
    max_bytes: int = 1024 * 1024
    max_rows: int = 5000
    max_samples: int = 500
    allow_local_paths: bool = False  # True only for worksets submitted by provider admins
    allowed_local_roots: tuple[str, ...] = ("/fsx/data/", "/fsx/staged_sample_data/")
    require_sex: bool = True  # germline human builds
    extra_columns: tuple[str, ...] = ()  # DayEC wide columns the catalogue entry declares


DEFAULT_RULES = ManifestRules()


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestRow:
    """One data row, typed. Blank optional cells are None (SUBSAMPLE_PCT ``na`` is None)."""

    run_id: str
    sample_id: str
    experiment_id: str
    sample_type: SampleType
    lib_prep: LibPrep
    seq_vendor: SeqVendor
    seq_platform: SeqPlatform
    lane: int
    seqbc_id: str
    concordance_dir: str | None
    r1_fq: str
    r2_fq: str | None
    stage_directive: StageDirective
    stage_target: str
    subsample_pct: Decimal | None
    is_pos_ctrl: bool
    is_neg_ctrl: bool
    n_x: int | None
    n_y: int | None
    external_sample_id: str | None
    row: int = 0  # 1-based line in the file, header = 1; 0 for rows not read from a file
    extra: tuple[tuple[str, str], ...] = ()  # (column, value) of declared wide columns

    @property
    def unit_key(self) -> UnitKey:
        return (
            self.run_id,
            self.sample_id,
            self.experiment_id,
            self.sample_type,
            self.lib_prep,
            self.seq_vendor,
            self.seq_platform,
        )

    def cells(self) -> dict[str, str]:
        """The 20 canonical cells as written by ``serialize_manifest``."""
        pct = "na" if self.subsample_pct is None else str(self.subsample_pct)
        return {
            "RUN_ID": self.run_id,
            "SAMPLE_ID": self.sample_id,
            "EXPERIMENTID": self.experiment_id,
            "SAMPLE_TYPE": self.sample_type.value,
            "LIB_PREP": self.lib_prep.value,
            "SEQ_VENDOR": self.seq_vendor.value,
            "SEQ_PLATFORM": self.seq_platform.value,
            "LANE": str(self.lane),
            "SEQBC_ID": self.seqbc_id,
            "PATH_TO_CONCORDANCE_DATA_DIR": self.concordance_dir or "",
            "R1_FQ": self.r1_fq,
            "R2_FQ": self.r2_fq or "",
            "STAGE_DIRECTIVE": self.stage_directive.value,
            "STAGE_TARGET": self.stage_target,
            "SUBSAMPLE_PCT": pct,
            "IS_POS_CTRL": "true" if self.is_pos_ctrl else "false",
            "IS_NEG_CTRL": "true" if self.is_neg_ctrl else "false",
            "N_X": "" if self.n_x is None else str(self.n_x),
            "N_Y": "" if self.n_y is None else str(self.n_y),
            "EXTERNAL_SAMPLE_ID": self.external_sample_id or "",
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitLane:
    lane: int
    seqbc_id: str
    r1_fq: str
    r2_fq: str | None
    subsample_pct: Decimal | None
    row: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Unit:
    """Rows sharing the seven-field unit key; the stager concatenates their lanes (§4.4)."""

    run_id: str
    sample_id: str
    experiment_id: str
    sample_type: SampleType
    lib_prep: LibPrep
    seq_vendor: SeqVendor
    seq_platform: SeqPlatform
    lanes: tuple[UnitLane, ...]  # sorted by LANE, then file order

    @property
    def is_multi_lane(self) -> bool:
        return len(self.lanes) > 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestSample:
    sample_id: str
    external_sample_id: str | None
    sample_type: SampleType
    is_pos_ctrl: bool
    is_neg_ctrl: bool
    n_x: int | None
    n_y: int | None
    concordance_dir: str | None
    units: tuple[Unit, ...]  # first-appearance order


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    """A validated manifest. ``raw`` is the file with CRLF turned into LF; ``sha256`` is its
    hex digest."""

    raw: bytes
    sha256: str
    header: tuple[str, ...]
    rows: tuple[ManifestRow, ...]
    samples: tuple[ManifestSample, ...]
    schema_version: int = SCHEMA_VERSION

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def sample_count(self) -> int:
        return len(self.samples)

    @property
    def sample_ids(self) -> tuple[str, ...]:
        return tuple(sample.sample_id for sample in self.samples)

    @property
    def units(self) -> tuple[Unit, ...]:
        return tuple(unit for sample in self.samples for unit in sample.units)

    @property
    def multi_lane_samples(self) -> tuple[str, ...]:
        return tuple(s.sample_id for s in self.samples if any(u.is_multi_lane for u in s.units))
