"""Benchmarks, printed as ratios (never asserted: these machines are shared and noisy).

- classifier: seconds per MiB on adversarial input ÷ seconds per MiB on a real log. Linear-time
  patterns keep this near 1; a catastrophic regex would make it explode.
- manifest: seconds per row at 3,000 rows ÷ seconds per row at 50 rows (linearity).
- split: exact largest-remainder splits of 100 parts per second, and parts ÷ exact sum check.
- dynamodb: see ``benchmarks/dynamodb.py`` (list-page operations and claim throughput).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from dynamodb import dynamodb_bench

from ursa.domain.billing import split_exact
from ursa.domain.diagnostics import Evidence, classify
from ursa.domain.manifest_types import ManifestRules
from ursa.domain.manifests import parse_manifest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def classifier_ratio() -> None:
    real = (FIXTURES / "logs/error_samples/WS-RES-001_oom.log").read_text()
    real_mib = (real * (2**20 // len(real) + 1))[: 2**20]
    adversarial = {
        "aaaa": "a" * 2**20,
        "spaces": " " * 2**20,
        "near-miss": ("oom " * (2**18))[: 2**20],
        "error-in-rule": ("error in rule " * 2**17)[: 2**20],
    }
    base = best_of(lambda: classify(Evidence(log_excerpt=real_mib)))
    print(f"classifier: real log {base * 1000:.0f} ms/MiB")
    for name, text in adversarial.items():
        t = best_of(lambda text=text: classify(Evidence(log_excerpt=text)))
        print(f"  adversarial {name:<14} ratio {t / base:5.2f}")


def manifest_ratio() -> None:
    lines = (FIXTURES / "manifests/stage_samples.tsv").read_bytes().decode().splitlines()
    header, row = lines[0], lines[3]

    def manifest(n: int) -> bytes:
        rows = [
            row.replace("HG003", f"S{i:05d}").replace("HG003_S2", f"S{i:05d}_S2") for i in range(n)
        ]
        return ("\n".join([header, *rows]) + "\n").encode()

    small, large = manifest(50), manifest(3000)  # 3,000 rows ≈ 0.95 MiB, under the limit
    rules = ManifestRules(max_samples=3000)  # the per-workset cap is configuration
    per_small = best_of(lambda: parse_manifest(small, rules)) / 50
    per_large = best_of(lambda: parse_manifest(large, rules)) / 3000
    print(
        f"manifest: {per_small * 1e6:.0f} µs/row at 50 rows; ratio at 3,000 rows "
        f"{per_large / per_small:5.2f}"
    )


def split_rate() -> None:
    rng = random.Random(5)
    cases = [
        {f"s{i}": Decimal(rng.randint(0, 10**8)) / Decimal(10**6) for i in range(100)}
        for _ in range(200)
    ]
    elapsed = best_of(lambda: [split_exact(c) for c in cases])
    exact = all(
        sum(split_exact(c).values()) == sum(c.values()).quantize(Decimal("0.01"))
        for c in cases[:20]
    )
    print(f"split: {len(cases) / elapsed:,.0f} splits/s of 100 parts; sums exact: {exact}")


if __name__ == "__main__":
    classifier_ratio()
    manifest_ratio()
    split_rate()
    dynamodb_bench()
