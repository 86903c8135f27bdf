"""The diagnostics catalogue (§7.2) and its patterns (§7.3): data, kept apart from the
classifier so each stays readable. Pattern notes: ``+`` added, ``~`` bounded."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ursa.domain.diagnostics_types import ErrorCategory, Owner, Remedy, Severity

Pattern = tuple[re.Pattern[str], float]
UNKNOWN_CODE = "WS-UNK-000"


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogueEntry:
    code: str
    name: str
    category: ErrorCategory
    severity: Severity
    retryable: bool
    auto_cap: int | None  # None: only the workset cap applies (or not retryable at all)
    owner: Owner
    remedy: Remedy
    remediation: str
    patterns: tuple[Pattern, ...]


S, M, W = 0.9, 0.6, 0.3  # strong, medium, weak (§7.3); structured evidence weighs 1.0

_T, _R = ErrorCategory.TRANSIENT, ErrorCategory.RESOURCE
_D, _C = ErrorCategory.DATA, ErrorCategory.CONFIGURATION
_CRIT, _ERR, _WARN = Severity.CRITICAL, Severity.ERROR, Severity.WARNING
_CUS, _PRV, _AWS = Owner.CUSTOMER, Owner.PROVIDER, Owner.AWS

# code, name, category, severity, retryable, auto cap, owner, remedy (§7.2, in table order)
_ROWS: tuple[tuple[str, str, ErrorCategory, Severity, bool, int | None, Owner, Remedy], ...] = (
    ("WS-RES-001", "OutOfMemory", _R, _ERR, True, 2, _PRV, Remedy.RETRY_MORE_MEMORY),
    ("WS-RES-002", "DiskFull", _R, _CRIT, True, 1, _PRV, Remedy.RETRY_MORE_STORAGE),
    ("WS-RES-003", "CPUTimeout", _R, _WARN, True, 1, _PRV, Remedy.RETRY_LONGER_TIME),
    ("WS-NET-001", "S3Timeout", _T, _WARN, True, None, _AWS, Remedy.RETRY_SAME),
    ("WS-NET-002", "ConnectionRefused", _T, _ERR, True, None, _PRV, Remedy.RETRY_SAME),
    ("WS-DAT-001", "InvalidFASTQ", _D, _ERR, False, None, _CUS, Remedy.NOTIFY_CUSTOMER),
    ("WS-DAT-002", "MissingInput", _D, _ERR, False, None, _CUS, Remedy.NOTIFY_CUSTOMER),
    ("WS-DAT-003", "InvalidReference", _C, _CRIT, False, None, _PRV, Remedy.NOTIFY_PROVIDER),
    ("WS-AWS-001", "AWSThrottling", _T, _WARN, True, None, _AWS, Remedy.WAIT_AND_RETRY),
    ("WS-AWS-002", "AccessDenied", _C, _ERR, False, None, _PRV, Remedy.NOTIFY_PROVIDER),
    ("WS-PIP-001", "BWAError", _T, _ERR, True, 1, _PRV, Remedy.RETRY_SAME),
    ("WS-PIP-002", "GATKError", _T, _ERR, True, 1, _PRV, Remedy.RETRY_SAME),
    ("WS-CLU-001", "NodeFailure", _R, _WARN, True, 2, _AWS, Remedy.RETRY_OTHER_CAPACITY),
    ("WS-CLU-002", "SlurmError", _T, _ERR, True, 1, _PRV, Remedy.RETRY_SAME),
    (UNKNOWN_CODE, "Unknown", _T, _ERR, True, 1, _PRV, Remedy.RETRY_SAME),
)

_REMEDIATION: dict[str, str] = {
    "WS-RES-001": "A step needed more memory than its node had. Ursa reruns it with more memory. "
    "If it fails again, the sample may be unusually deep or contaminated.",
    "WS-RES-002": "The shared scratch file system filled up. Ursa retries where there is more "
    "room; very large inputs may need a dedicated cluster.",
    "WS-RES-003": "A step hit its time limit. Ursa retries it once with double the limit.",
    "WS-NET-001": "S3 did not answer in time. Usually temporary; Ursa retries after a pause.",
    "WS-NET-002": "Ursa could not reach the cluster head node. It checks the node and retries; "
    "repeats point to a stopped or replaced head node.",
    "WS-DAT-001": "A FASTQ file is damaged or not FASTQ (truncated gzip, quality and sequence "
    "lengths that differ). Re-upload it and retry.",
    "WS-DAT-002": "An input listed in the manifest is missing or moved. Fix the path or restore "
    "the object, then retry.",
    "WS-DAT-003": "The reference genome files are missing or inconsistent. The provider repairs "
    "the bundle; no customer action is needed.",
    "WS-AWS-001": "AWS is rate-limiting requests. Ursa waits longer between attempts and retries.",
    "WS-AWS-002": "Access was refused. For your linked bucket: re-validate it and apply the policy "
    "Ursa shows. Otherwise the provider fixes the IAM role.",
    "WS-PIP-001": "The aligner stopped with an error. Ursa retries once; if it repeats, the "
    "provider reviews the logs.",
    "WS-PIP-002": "GATK stopped with an error. Ursa retries once; if it repeats, the provider "
    "reviews the logs.",
    "WS-CLU-001": "A compute node was lost, often to a Spot interruption. Ursa retries on other "
    "capacity.",
    "WS-CLU-002": "The Slurm scheduler rejected or lost a job. Ursa checks cluster health and "
    "retries.",
    UNKNOWN_CODE: "Ursa could not identify the cause. It retries once; the provider triages a "
    "repeat.",
}

# §7.3 as "<code> <weight> <regex>", matched case-insensitively. Trailing "  # +" marks a
# pattern added to match tests/fixtures/logs/error_samples; "  # ~" a spec pattern whose \S+ / \w*
# was bounded. No nested quantifiers; gaps are bounded.
_PATTERN_TABLE = r"""
WS-RES-001 s oom[-_ ]?kill  # also covers real Slurm text "oom_kill event" / "OOM Killed"
WS-RES-001 s \boomkilled\b
WS-RES-001 s java\.lang\.outofmemoryerror
WS-RES-001 s exceeded (?:job )?memory limit
WS-RES-001 m \bout of memory\b
WS-RES-001 m \bmemoryerror\b
WS-RES-001 s \bout_of_memory\b  # + Slurm job state as printed by sacct/squeue
WS-RES-002 s no space left on device
WS-RES-002 s \benospc\b
WS-RES-002 s disk quota exceeded
WS-RES-002 s \bedquot\b
WS-RES-003 s due to time limit
WS-RES-003 m time limit (?:exceeded|reached)
WS-NET-001 s (?:read|connect) timeout on endpoint url
WS-NET-001 m \breadtimeouterror\b
WS-NET-001 m \brequesttimeout\b
WS-NET-002 s connection refused
WS-NET-002 s \beconnrefused\b
WS-NET-002 m connection reset by peer
WS-NET-002 m ssh: connect to host \S{1,253} port \d{1,5}  # ~ host name ≤253, port ≤5 digits
WS-DAT-001 s (?:invalid|malformed|truncated) fastq
WS-DAT-001 m not in gzip format
WS-DAT-001 m unexpected end of file
WS-DAT-001 s quality .{0,40}length.{0,40}(?:differ|mismatch|not equal)
WS-DAT-001 s (?:sequence and quality|quality and sequence) .{0,20}different lengths?  # + fastp
WS-DAT-002 s \bnosuchkey\b
WS-DAT-002 s missing input files? for rule
WS-DAT-002 s missinginputexception
WS-DAT-002 w \b404\b
WS-DAT-002 w no such file or directory
WS-DAT-003 s (?:reference|fasta) (?:file )?(?:not found|missing|could not be (?:read|opened))
WS-DAT-003 s contig .{1,80} not (?:found|present) in (?:the )?(?:reference|sequence dictionary)
WS-DAT-003 m \.fai\b.{0,40}(?:not found|missing)
WS-DAT-003 s failed to populate reference  # + htslib CRAM decode without its reference
WS-DAT-003 s unable to fetch reference  # + htslib cram_decode_slice
WS-DAT-003 s reference contigs span .{0,120}found in common  # + DeepVariant build mismatch
WS-AWS-001 s \bthrottl(?:ing|ed)(?:exception)?\b
WS-AWS-001 s \bslowdown\b
WS-AWS-001 s rate exceeded
WS-AWS-001 s requestlimitexceeded
WS-AWS-001 s toomanyrequestsexception
WS-AWS-002 s \baccessdenied(?:exception)?\b
WS-AWS-002 s is not authorized to perform
WS-AWS-002 s unauthorizedoperation
WS-AWS-002 s kms.{0,40}(?:access ?denied|disabled)
WS-AWS-002 m access denied
WS-AWS-002 m \b403\b.{0,20}forbidden
WS-PIP-001 s \[e::bwa\w{0,64}\]  # ~
WS-PIP-001 s error in rule \w{0,80}bwa  # ~
WS-PIP-001 m bwa-mem2.{0,60}(?:error|fail|abort)
WS-PIP-001 s \.bwt\.2bit\.64\b  # + bwa-mem2 index file named in its open error
WS-PIP-001 m \bentering fmi_search\b  # + bwa-mem2 banner (the tool never names itself)
WS-PIP-002 s org\.broadinstitute\.hellbender
WS-PIP-002 s a user error has occurred
WS-PIP-002 s error in rule \w{0,80}gatk  # ~
WS-PIP-002 m \bgatk\b.{0,60}(?:exception|error)
WS-CLU-001 s \bnode_fail\b
WS-CLU-001 s spot (?:instance )?interruption
WS-CLU-001 s insufficientinstancecapacity
WS-CLU-001 m node .{1,60} not responding
WS-CLU-001 s due to node failure  # + slurmstepd "CANCELLED AT … DUE TO NODE FAILURE"
WS-CLU-001 m \bnode failure on\b  # + srun "error: Node failure on <node>"
WS-CLU-002 s sbatch: error
WS-CLU-002 s batch job submission failed
WS-CLU-002 s unable to contact slurm controller
WS-CLU-002 m socket timed out on send/recv
WS-CLU-002 s invalid partition (?:name )?specified
"""
_WEIGHTS = {"s": S, "m": M, "w": W}


def _patterns(code: str) -> tuple[Pattern, ...]:
    rows = (line.split("  # ", 1)[0].split(" ", 2) for line in _PATTERN_TABLE.strip().splitlines())
    return tuple(
        (re.compile(rx, re.IGNORECASE), _WEIGHTS[weight]) for c, weight, rx in rows if c == code
    )


CATALOGUE: tuple[CatalogueEntry, ...] = tuple(
    CatalogueEntry(
        code=code,
        name=name,
        category=category,
        severity=severity,
        retryable=retryable,
        auto_cap=cap,
        owner=owner,
        remedy=remedy,
        remediation=_REMEDIATION[code],
        patterns=_patterns(code),
    )
    for code, name, category, severity, retryable, cap, owner, remedy in _ROWS
)
_BY_CODE = {entry.code: entry for entry in CATALOGUE}


def catalogue_entry(code: str) -> CatalogueEntry:
    """The §7.2 entry of ``code``; KeyError for a code that is not in the catalogue."""
    return _BY_CODE[code]
