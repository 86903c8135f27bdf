"""R1/R2 auto-pairing for S3 discovery (§4.7) and the draft manifest it proposes.

Every listed key lands in exactly one bucket of the result: ``pairs``, ``unpaired`` (one mate
missing, or a FASTQ without a read token), ``ambiguous`` (more than one R1 or R2 for one pair
key; never guessed) or ``ignored`` (folder markers, non-FASTQ objects, Illumina index reads and
``Undetermined`` reads)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ursa.domain.errors import InvalidInput, Issue
from ursa.domain.fastq_names import (
    PairKey,
    ReadName,
    is_fastq_name,
    is_index_read,
    parse_read_name,
    split_folder,
)
from ursa.domain.manifest_rows import SAMPLE_ID_RE, show
from ursa.domain.manifest_types import (
    LibPrep,
    ManifestRow,
    SampleType,
    SeqPlatform,
    SeqVendor,
    StageDirective,
)
from ursa.domain.manifests import serialize_manifest
from ursa.domain.validation import check_input_key, validate_bucket_name

FOLDER_MARKER = "folder marker"
NOT_FASTQ = "not a FASTQ"
INDEX_READ = "index read"
UNDETERMINED = "undetermined reads"
NO_READ_TOKEN = "no read token"  # noqa: S105
NO_R1 = "no matching R1"
NO_R2 = "no matching R2"
UNDETERMINED_STEM = "Undetermined"
_OUTSIDE_ID = re.compile(r"[^A-Za-z0-9-]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadPair:
    """One R1/R2 unit. ``prefix`` is the folder with its trailing '/'; ``sample`` the stem.
    Illumina names also give ``sample_number`` (``S1``) and ``lane`` (``L001``)."""

    prefix: str
    sample: str
    r1: str
    r2: str
    sample_number: str | None = None
    lane: str | None = None

    @property
    def lane_number(self) -> int | None:
        return None if self.lane is None else int(self.lane[1:])


@dataclass(frozen=True, slots=True, kw_only=True)
class UnpairedKey:
    key: str
    read: str | None  # "R1", "R2" or None when the name has no read token
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class IgnoredKey:
    key: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PairingResult:
    pairs: tuple[ReadPair, ...]  # sorted by R1 key
    unpaired: tuple[UnpairedKey, ...]  # sorted by key
    ambiguous: tuple[UnpairedKey, ...]  # sorted by key
    ignored: tuple[IgnoredKey, ...]  # sorted by key


def _ignore_reason(key: str) -> str | None:
    name = split_folder(key)[1]
    if key.endswith("/"):
        return FOLDER_MARKER
    if not is_fastq_name(name):
        return NOT_FASTQ
    if is_index_read(name):
        return INDEX_READ
    return None


def pair_keys(keys: Iterable[str]) -> PairingResult:
    """Classify S3 keys by §4.7; duplicates in ``keys`` count once."""
    ignored: list[IgnoredKey] = []
    unpaired: list[UnpairedKey] = []
    ambiguous: list[UnpairedKey] = []
    pairs: list[ReadPair] = []
    groups: dict[PairKey, list[tuple[str, ReadName]]] = {}
    for key in dict.fromkeys(keys):
        reason = _ignore_reason(key)
        parsed = parse_read_name(key) if reason is None else None
        if reason is not None:
            ignored.append(IgnoredKey(key=key, reason=reason))
        elif parsed is None:
            unpaired.append(UnpairedKey(key=key, read=None, reason=NO_READ_TOKEN))
        elif parsed.stem == UNDETERMINED_STEM:
            ignored.append(IgnoredKey(key=key, reason=UNDETERMINED))
        else:
            groups.setdefault(parsed.pair_key, []).append((key, parsed))
    for members in groups.values():
        r1 = [key for key, name in members if name.read == 1]
        r2 = [key for key, name in members if name.read == 2]
        if len(r1) == 1 and len(r2) == 1:
            name = members[0][1]
            pairs.append(
                ReadPair(
                    prefix=name.folder,
                    sample=name.stem,
                    r1=r1[0],
                    r2=r2[0],
                    sample_number=None if name.snum is None else f"S{name.snum}",
                    lane=None if name.lane is None else f"L{name.lane}",
                )
            )
        elif len(r1) <= 1 and len(r2) <= 1:
            key, name = members[0]
            reason = NO_R2 if name.read == 1 else NO_R1
            unpaired.append(UnpairedKey(key=key, read=f"R{name.read}", reason=reason))
        else:
            why = (
                f"{len(r1)} R1 and {len(r2)} R2 names share one pair key "
                "(folder, stem, sample number, lane, tail, extension); pick them by hand"
            )
            ambiguous.extend(
                UnpairedKey(key=key, read=f"R{name.read}", reason=why) for key, name in members
            )
    return PairingResult(
        pairs=tuple(sorted(pairs, key=lambda p: p.r1)),
        unpaired=tuple(sorted(unpaired, key=lambda u: u.key)),
        ambiguous=tuple(sorted(ambiguous, key=lambda u: u.key)),
        ignored=tuple(sorted(ignored, key=lambda i: i.key)),
    )


def propose_sample_id(stem: str) -> str:
    """The stem with each run of characters outside [A-Za-z0-9-] replaced by '-'."""
    return _OUTSIDE_ID.sub("-", stem)


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestDefaults:
    """Generator defaults shown visibly in the draft (§4.2). N_X/N_Y are never defaulted (they
    are written only when the caller chose them, e.g. the form's female/male shortcut), and
    RUN_ID/EXPERIMENTID stay blank unless the caller supplies them."""

    run_id: str = ""
    experiment_id: str = ""
    sample_type: SampleType = SampleType.BLOOD
    lib_prep: LibPrep = LibPrep.NOAMPWGS
    seq_vendor: SeqVendor = SeqVendor.ILMN
    seq_platform: SeqPlatform = SeqPlatform.NOVASEQX
    seqbc_id: str = "S1"
    stage_directive: StageDirective = StageDirective.STAGE_DATA
    stage_target: str = "/fsx/staged_sample_data/"
    is_pos_ctrl: bool = False
    is_neg_ctrl: bool = False
    n_x: int | None = None
    n_y: int | None = None


DEFAULT_MANIFEST_DEFAULTS = ManifestDefaults()


def _unsafe_keys(pair: ReadPair) -> list[Issue]:
    issues: list[Issue] = []
    for column, key in (("R1_FQ", pair.r1), ("R2_FQ", pair.r2)):
        try:
            check_input_key(key, field=column)
        except InvalidInput as exc:
            issues.extend(
                Issue(
                    field=column,
                    code=i.code,
                    message=f"column {column}: pair left out of the draft: {i.message}",
                )
                for i in exc.issues
            )
    return issues


def _lanes(members: list[ReadPair]) -> list[tuple[int, ReadPair]]:
    """Illumina lanes keep their number; one other pair is LANE 0; several are 1..n."""
    if all(p.lane_number is not None for p in members):
        return [(p.lane_number or 0, p) for p in members]
    if len(members) == 1:
        return [(0, members[0])]
    return list(enumerate(members, start=1))


def draft_manifest(
    bucket: str, result: PairingResult, defaults: ManifestDefaults = DEFAULT_MANIFEST_DEFAULTS
) -> tuple[bytes, tuple[Issue, ...]]:
    """A draft ``stage_samples.tsv`` for the user to review, and the problems it still has
    (proposed SAMPLE_IDs that break §4.2 or collide, keys that are unsafe)."""
    validate_bucket_name(bucket)
    issues: list[Issue] = []
    groups: dict[tuple[str, str, str | None], list[ReadPair]] = {}
    for pair in result.pairs:
        if bad := _unsafe_keys(pair):
            issues.extend(bad)
            continue
        groups.setdefault((pair.prefix, pair.sample, pair.sample_number), []).append(pair)
    rows: list[ManifestRow] = []
    seen: dict[str, tuple[str, int]] = {}
    for (prefix, stem, snum), members in groups.items():
        sample_id = propose_sample_id(stem)
        first_row = len(rows) + 2
        where = f"row {first_row}, column SAMPLE_ID: proposed value {show(sample_id)}"
        source = f"from {show(prefix + stem)}"
        if SAMPLE_ID_RE.fullmatch(sample_id) is None:
            issues.append(
                Issue(
                    field="SAMPLE_ID",
                    code="BAD_VALUE",
                    row=first_row,
                    message=f"{where} {source} is not a valid SAMPLE_ID (1-63 "
                    "letters, digits or '-', starting with a letter or digit)",
                )
            )
        folded = sample_id.casefold()
        if folded in seen:
            other, other_row = seen[folded]
            code = "DUPLICATE_SAMPLE" if other == sample_id else "SAMPLE_ID_CASE_COLLISION"
            issues.append(
                Issue(
                    field="SAMPLE_ID",
                    code=code,
                    row=first_row,
                    message=f"{where} {source} collides with {show(other)} in row "
                    f"{other_row}; rename one of them",
                )
            )
        else:
            seen[folded] = (sample_id, first_row)
        for lane, pair in _lanes(members):
            rows.append(
                ManifestRow(
                    run_id=defaults.run_id,
                    sample_id=sample_id,
                    experiment_id=defaults.experiment_id,
                    sample_type=defaults.sample_type,
                    lib_prep=defaults.lib_prep,
                    seq_vendor=defaults.seq_vendor,
                    seq_platform=defaults.seq_platform,
                    lane=lane,
                    seqbc_id=snum or defaults.seqbc_id,
                    concordance_dir=None,
                    r1_fq=f"s3://{bucket}/{pair.r1}",
                    r2_fq=f"s3://{bucket}/{pair.r2}",
                    stage_directive=defaults.stage_directive,
                    stage_target=defaults.stage_target,
                    subsample_pct=None,
                    is_pos_ctrl=defaults.is_pos_ctrl,
                    is_neg_ctrl=defaults.is_neg_ctrl,
                    n_x=defaults.n_x,
                    n_y=defaults.n_y,
                    external_sample_id=None,
                    row=len(rows) + 2,
                )
            )
    return serialize_manifest(rows), tuple(issues)
