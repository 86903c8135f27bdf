"""The simulated export: what the pipeline would have produced lands in the workset's
``results/`` prefix, so the engine's real metrics, outcome and cost steps run on it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from ursa.adapters.simulated.headnode import RULES, SimRun, SimulatedHeadNode
from ursa.domain.ports import ObjectStore
from ursa.domain.ports.cluster import (
    CommandJournal,
    CommandResult,
    ExportLifecycle,
    ExportRequest,
    ExportStatus,
)

EXPORT_SECONDS = 4.0
OUTPUTS = (".cram", ".snv.sort.vcf.gz", ".sv.sort.vcf.gz")
OOM_LINE = (
    "slurmstepd: error: Detected 1 oom_kill event in StepId={job}.batch. "
    "Some of the step tasks have been OOM Killed.\n"
)


def _cost(sample: str, rule: str) -> Decimal:
    """A stable task cost between 0.40 and 1.40 USD per rule."""
    digest = int(hashlib.sha256(f"{sample}/{rule}".encode()).hexdigest()[:6], 16)
    return (Decimal("0.40") + Decimal(digest % 100_000) / Decimal(100_000)).quantize(
        Decimal("0.000001")
    )


@dataclass(slots=True)
class SimulatedExporter:
    head: SimulatedHeadNode
    objects: ObjectStore
    started: dict[str, float] = field(default_factory=dict)

    async def start(self, request: ExportRequest, journal: CommandJournal) -> str:
        task_id = f"task-sim-{hashlib.sha256(request.run_id.encode()).hexdigest()[:12]}"
        self._log(journal, "export_results", request, task_id)
        return task_id

    async def poll(
        self, request: ExportRequest, task_id: str, journal: CommandJournal
    ) -> ExportStatus:
        run = self.head.runs.get(request.pipeline_dir)
        now = self.head.clock.now().timestamp()
        first = self.started.setdefault(task_id, now)
        self._log(journal, "export_poll", request, task_id)
        if now - first < EXPORT_SECONDS:
            return ExportStatus(task_id=task_id, lifecycle=ExportLifecycle.EXECUTING)
        files, size = await self._write(request, run) if run is not None else (0, 0)
        return ExportStatus(
            task_id=task_id, lifecycle=ExportLifecycle.SUCCEEDED, files=files, bytes=size
        )

    async def cancel(self, request: ExportRequest, task_id: str, journal: CommandJournal) -> None:
        self._log(journal, "export_results", request, task_id, cancel=True)

    async def _write(self, request: ExportRequest, run: SimRun) -> tuple[int, int]:
        end = run.interrupted_at or run.ended_at()
        done = run.done(end + timedelta(microseconds=1))
        build = run.genome_build
        written: dict[str, bytes] = {}
        rows = ["rule\tsample\ts\tcpu_time\ttask_cost"]
        for sample in run.samples:
            if sample not in done:
                continue
            if sample in run.failing:
                job = run.job_id(sample, RULES[0])
                key = f"logs/slurm/{RULES[0]}/{RULES[0]}.{sample}.{job}.err"
                written[key] = OOM_LINE.format(job=job).encode()
                rows.append(f"{RULES[0]}\t{sample}.\t412.5\t1650.0\t{_cost(sample, RULES[0])}")
                continue
            for ext in OUTPUTS:
                written[f"results/day/{build}/{sample}/{sample}{ext}"] = f"{sample}{ext}\n".encode()
            for rule in RULES:
                rows.append(f"{rule}\t{sample}.\t1320.0\t5280.0\t{_cost(sample, rule)}")
        rows.append(f"multiqc\tall.\t60.0\t60.0\t{Decimal('0.050000')}")
        written[f"results/day/{build}/other_reports/rules_benchmark_data_singleton.tsv"] = (
            "\n".join(rows) + "\n"
        ).encode()
        for key, body in written.items():
            await self.objects.put(request.bucket, f"{request.prefix}{key}", body)
        return len(written), sum(len(b) for b in written.values())

    @staticmethod
    def _log(
        journal: CommandJournal,
        label: str,
        request: ExportRequest,
        task_id: str,
        *,
        cancel: bool = False,
    ) -> None:
        if cancel:
            argv = ["aws", "fsx", "cancel-data-repository-task", "--task-id", task_id]
        elif label == "export_poll":
            argv = ["aws", "fsx", "describe-data-repository-tasks", "--task-ids", task_id]
        else:
            paths = ",".join(f"{request.pipeline_dir.lstrip('/')}/{p}" for p in request.paths)
            argv = [
                "aws", "fsx", "create-data-repository-task", "--file-system-id", "fs-0sim",
                "--type", "EXPORT_TO_REPOSITORY", "--paths", paths,
            ]  # fmt: skip
        journal.record(
            label=label,
            transport="aws_api",
            argv=argv,
            rendered=" ".join(argv),
            result=CommandResult(exit_code=0, stdout=task_id, stderr="", duration_s=0.3),
        )
