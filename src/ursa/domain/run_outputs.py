"""Reading a run's exported results (§3.2 attribution, §9.3 costs): which sample produced
which object, which samples delivered every expected output, and where their logs are.

Keys here are relative to the export prefix (``results/`` of the workset folder), which
holds the pipeline dir's ``results/`` and ``logs/`` trees."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportedObject:
    key: str  # relative to the export prefix
    size: int


def benchmark_key(build: str) -> str:
    return f"results/day/{build}/other_reports/rules_benchmark_data_singleton.tsv"


def sample_of(key: str, build: str, sample_ids: Iterable[str]) -> str | None:
    """A result belongs to a sample when its key has ``/<build>/<sample_id>/`` under
    ``results/day/``; otherwise to the cohort (None)."""
    prefix = f"results/day/{build}/"
    if not key.startswith(prefix):
        return None
    head = key[len(prefix) :].split("/", 1)[0]
    return head if head in set(sample_ids) else None


def delivered_samples(
    objects: Sequence[ExportedObject],
    *,
    build: str,
    sample_ids: Sequence[str],
    expected: Sequence[str],
) -> frozenset[str]:
    """Samples with every expected output pattern matched by a non-empty object."""
    found: dict[str, set[str]] = {s: set() for s in sample_ids}
    for obj in objects:
        owner = sample_of(obj.key, build, sample_ids)
        if owner is None or obj.size <= 0:
            continue
        name = obj.key.rsplit("/", 1)[-1]
        found[owner].update(p for p in expected if fnmatch.fnmatchcase(name, p))
    return frozenset(s for s, patterns in found.items() if patterns >= set(expected))


def failure_logs(objects: Sequence[ExportedObject], sample_id: str) -> tuple[str, ...]:
    """Slurm stderr files of a sample: ``logs/slurm/<rule>/<rule>.<sample>.<jobid>.err``."""
    keys = []
    for obj in objects:
        parts = obj.key.split("/")
        if len(parts) == 4 and parts[:2] == ["logs", "slurm"] and parts[3].endswith(".err"):
            fields = parts[3][: -len(".err")].split(".")
            if len(fields) >= 3 and ".".join(fields[1:-1]) == sample_id:
                keys.append(obj.key)
    return tuple(sorted(keys))


def result_bytes(
    objects: Sequence[ExportedObject], *, build: str, sample_ids: Sequence[str]
) -> tuple[Mapping[str, int], int]:
    """Bytes per sample, and the cohort's bytes (split later by own-bytes share, §9.5)."""
    per: dict[str, int] = dict.fromkeys(sample_ids, 0)
    cohort = 0
    for obj in objects:
        owner = sample_of(obj.key, build, sample_ids)
        if owner is None:
            cohort += obj.size
        else:
            per[owner] += obj.size
    return per, cohort
