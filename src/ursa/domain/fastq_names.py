"""FASTQ read-name patterns (§4.7), shared by manifest validation (R1_R2_MISMATCH, §4.3) and
S3 discovery (``ursa.domain.pairing``).

The three patterns are tried in order on the base name; the first match wins. The pair key is
(folder, stem, snum, lane, tail, ext, gz): two names are mates when their pair keys are equal
and one says read 1, the other read 2."""

from __future__ import annotations

import re
from dataclasses import dataclass

ILLUMINA_RE = re.compile(
    r"^(?P<stem>.+?)_S(?P<snum>\d+)_L(?P<lane>\d{3})_R(?P<read>[12])_001"
    r"\.(?P<ext>fastq|fq)(?P<gz>\.gz)?$"
)
READ_TOKEN_RE = re.compile(
    r"^(?P<stem>.+)[._]R(?P<read>[12])(?P<tail>[._]\d{3})?\.(?P<ext>fastq|fq)(?P<gz>\.gz)?$"
)
NUMBER_TOKEN_RE = re.compile(r"^(?P<stem>.+)[._](?P<read>[12])\.(?P<ext>fastq|fq)(?P<gz>\.gz)?$")
READ_PATTERNS = (ILLUMINA_RE, READ_TOKEN_RE, NUMBER_TOKEN_RE)

FASTQ_NAME_RE = re.compile(r"^.+\.(?:fastq|fq)(?:\.gz)?$")
INDEX_READ_RE = re.compile(r"^.+?_S\d+_L\d{3}_I[12]_001\.(?:fastq|fq)(?:\.gz)?$")
FASTQ_EXTENSIONS = (".fastq.gz", ".fq.gz", ".fastq", ".fq")

PairKey = tuple[str, str, str | None, str | None, str | None, str, bool]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadName:
    """One FASTQ name split by the §4.7 patterns. ``folder`` keeps its trailing '/'."""

    folder: str
    stem: str
    read: int
    ext: str
    gz: bool
    snum: str | None = None
    lane: str | None = None
    tail: str | None = None

    @property
    def pair_key(self) -> PairKey:
        return (self.folder, self.stem, self.snum, self.lane, self.tail, self.ext, self.gz)

    @property
    def is_illumina(self) -> bool:
        return self.lane is not None


def split_folder(path: str) -> tuple[str, str]:
    """``a/b/c.fq`` → (``a/b/``, ``c.fq``); a name without '/' has the folder ``""``."""
    head, sep, name = path.rpartition("/")
    return head + sep, name


def is_fastq_name(name: str) -> bool:
    """True when the base name ends in .fastq.gz, .fq.gz, .fastq or .fq."""
    return FASTQ_NAME_RE.fullmatch(split_folder(name)[1]) is not None


def is_index_read(name: str) -> bool:
    """Illumina index reads (``_I1_001``/``_I2_001``) are never paired."""
    return INDEX_READ_RE.fullmatch(split_folder(name)[1]) is not None


def parse_read_name(path: str) -> ReadName | None:
    """Split ``path`` (a key, a URI or a local path) by the first matching pattern."""
    folder, name = split_folder(path)
    for pattern in READ_PATTERNS:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        groups = match.groupdict()
        return ReadName(
            folder=folder,
            stem=groups["stem"],
            read=int(groups["read"]),
            ext=groups["ext"],
            gz=groups["gz"] is not None,
            snum=groups.get("snum"),
            lane=groups.get("lane"),
            tail=groups.get("tail"),
        )
    return None


def mates_problem(r1: str, r2: str) -> str | None:
    """Why ``r1`` and ``r2`` are not mates by §4.7, or None when they are."""
    first, second = parse_read_name(r1), parse_read_name(r2)
    if first is None or second is None:
        which = "R1_FQ" if first is None else "R2_FQ"
        return (
            f"no read token (_R1/_R2, .R1/.R2, _1/_2 or _R1_001/_R2_001) found in the {which} "
            "name, so the two files cannot be shown to be mates"
        )
    if first.read != 1 or second.read != 2:
        return f"the read tokens say read {first.read} and read {second.read}; expected 1 and 2"
    if first.ext != second.ext or first.gz != second.gz:
        return "the file extensions differ"
    if first.pair_key != second.pair_key:
        return "the names differ elsewhere than in the read token"
    return None
