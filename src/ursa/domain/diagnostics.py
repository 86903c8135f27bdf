"""Error catalogue, log classifier and redaction (§7.2-§7.4). Pure: no clock, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

from ursa.domain.diagnostics_catalogue import (
    CATALOGUE,
    UNKNOWN_CODE,
    CatalogueEntry,
    W,
    catalogue_entry,
)
from ursa.domain.diagnostics_types import Diagnosis, Owner, Remedy
from ursa.domain.enums import ProgressStep

MIN_CONFIDENCE = 0.5
ALTERNATIVE_CONFIDENCE = 0.3
MAX_MATCHED_LINES = 5
MAX_MATCHED_CHARS = 300


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    exit_code: int | None = None
    slurm_state: str | None = None
    failed_step: ProgressStep | None = None
    log_excerpt: str = ""
    resource_ref: str | None = None
    is_customer_bucket: bool = False
    pipeline_timeout: bool = False


# Structured evidence (weight 1.0 unless noted): Slurm state → code.
_SLURM_STATES = {
    "OUT_OF_MEMORY": "WS-RES-001",
    "TIMEOUT": "WS-RES-003",
    "NODE_FAIL": "WS-CLU-001",
    "PREEMPTED": "WS-CLU-001",
    "BOOT_FAIL": "WS-CLU-001",
}


def _structured(evidence: Evidence) -> dict[str, list[tuple[str, float]]]:
    found: dict[str, list[tuple[str, float]]] = {}
    state = (evidence.slurm_state or "").strip().upper().split(" ", 1)[0]
    if state in _SLURM_STATES:
        found.setdefault(_SLURM_STATES[state], []).append((f"slurm_state={state}", 1.0))
    if evidence.exit_code == 137:  # SIGKILL: the OOM killer, but also scancel and others
        found.setdefault("WS-RES-001", []).append(("exit_code=137", W))
    if evidence.pipeline_timeout:
        found.setdefault("WS-RES-003", []).append(("pipeline_timeout", 1.0))
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class _Score:
    entry: CatalogueEntry
    confidence: float
    order: int
    labels: tuple[str, ...]
    hits: tuple[re.Pattern[str], ...]

    @property
    def key(self) -> tuple[float, int, int]:
        return (-self.confidence, -self.entry.severity.rank, self.order)


def _combine(weights: list[float]) -> float:
    miss = 1.0
    for weight in weights:
        miss *= 1.0 - weight
    return round(1.0 - miss, 6)  # rounded so equal evidence ties exactly


def _score(order: int, entry: CatalogueEntry, text: str, items: list[tuple[str, float]]) -> _Score:
    seen: set[str] = set()
    hits: list[re.Pattern[str]] = []
    weights = [w for _, w in items]
    for rx, weight in entry.patterns:
        if rx.pattern not in seen and rx.search(text):  # distinct patterns count once
            seen.add(rx.pattern)
            hits.append(rx)
            weights.append(weight)
    labels = tuple(label for label, _ in items)
    conf = _combine(weights)
    return _Score(entry=entry, confidence=conf, order=order, labels=labels, hits=tuple(hits))


def _excerpt(line: str, rx: re.Pattern[str] | None) -> str:
    """Redact first (so a cut never leaves half a secret), then keep ≤300 chars near the hit."""
    line = redact(line.strip())
    found = rx.search(line) if rx is not None else None
    start = 0 if found is None else max(0, min(found.start() - 60, len(line) - MAX_MATCHED_CHARS))
    return line[start : start + MAX_MATCHED_CHARS]


def _matched(score: _Score, text: str) -> tuple[str, ...]:
    lines: dict[int, tuple[str, re.Pattern[str]]] = {}  # line start → (line, first hit there)
    for rx in score.hits:
        for match in islice(rx.finditer(text), MAX_MATCHED_LINES):
            start = text.rfind("\n", 0, match.start()) + 1
            end = text.find("\n", match.end())
            lines.setdefault(start, (text[start : len(text) if end < 0 else end], rx))
    found = [_excerpt(label, None) for label in score.labels]
    found += [_excerpt(*lines[start]) for start in sorted(lines)]
    return tuple(found[:MAX_MATCHED_LINES])


def classify(evidence: Evidence, catalogue: tuple[CatalogueEntry, ...] = CATALOGUE) -> Diagnosis:
    """§7.4: confidence = 1 − Π(1 − wᵢ) over distinct hits; best ≥ 0.5 wins, else WS-UNK-000."""
    text = evidence.log_excerpt
    structured = _structured(evidence)
    scores = sorted(
        (
            _score(i, entry, text, structured.get(entry.code, []))
            for i, entry in enumerate(catalogue)
            if entry.code != UNKNOWN_CODE
        ),
        key=lambda s: s.key,
    )
    best = scores[0] if scores else None
    if best is not None and best.confidence >= MIN_CONFIDENCE:
        chosen, confidence = best.entry, best.confidence
        alternatives = [s for s in scores[1:] if s.confidence >= ALTERNATIVE_CONFIDENCE]
    else:
        chosen = next(
            (e for e in catalogue if e.code == UNKNOWN_CODE), catalogue_entry(UNKNOWN_CODE)
        )
        confidence = 0.0  # nothing was identified; the best guess is listed as an alternative
        alternatives = [
            s
            for s in scores
            if s.confidence >= ALTERNATIVE_CONFIDENCE or (s is best and s.confidence > 0)
        ]
    owner, remedy = chosen.owner, chosen.remedy
    if chosen.code == "WS-AWS-002" and evidence.is_customer_bucket:
        owner, remedy = Owner.CUSTOMER, Remedy.NOTIFY_CUSTOMER
    return Diagnosis(
        code=chosen.code,
        name=chosen.name,
        category=chosen.category,
        severity=chosen.severity,
        retryable=chosen.retryable,
        owner=owner,
        remedy=remedy,
        confidence=confidence,
        remediation=chosen.remediation,
        matched=_matched(best, text) if best is not None and best.confidence > 0 else (),
        alternatives=tuple((s.entry.code, s.confidence) for s in alternatives),
    )


_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"AKIA[0-9A-Z]{16}"), "AKIA[REDACTED]"),
    (re.compile(r"(?i)(aws_secret_access_key\s*[=:]\s*)\S+"), r"\1[REDACTED]"),
    (re.compile(r"(?i)(X-Amz-Signature=)[0-9a-f]+"), r"\1[REDACTED]"),
    (re.compile(r"(?i)(password|token)=\S+"), r"\1=[REDACTED]"),
)


def redact(text: str) -> str:
    """§7.4: mask access key ids, secret keys, presigned signatures, passwords and tokens."""
    for rx, replacement in _REDACTIONS:
        text = rx.sub(replacement, text)
    return text


def log_tail(text: str, max_lines: int = 2000, max_bytes: int = 256 * 1024) -> str:
    """The last ``max_lines`` lines of ``text``, further cut to its last ``max_bytes`` UTF-8 bytes.

    A byte cut drops the partial first line (when a later line exists) and never splits a
    character."""
    if max_lines <= 0 or max_bytes <= 0:
        return ""
    lines = text.splitlines(keepends=True)
    if len(lines) > max_lines:
        text = "".join(lines[-max_lines:])
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text
    cut = raw[-max_bytes:].decode("utf-8", errors="ignore")
    if raw[-max_bytes - 1 : -max_bytes] != b"\n":
        newline = cut.find("\n")
        if 0 <= newline < len(cut) - 1:
            cut = cut[newline + 1 :]
    return cut


__all__ = [
    "CATALOGUE",
    "UNKNOWN_CODE",
    "CatalogueEntry",
    "Evidence",
    "catalogue_entry",
    "classify",
    "log_tail",
    "redact",
]
