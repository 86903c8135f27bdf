"""The ``ursa`` command: a real ``ursa dev`` process, and production refusing unsafe settings."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from dev_process import http_get, running_dev
from ursa.adapters.memory.seed_data import CUSTOMERS, HEADER
from ursa.app.cli import main

FAST_ENGINE = ("URSA_ENGINE_POLL_S", "URSA_ENGINE_FAST_POLL_S", "URSA_ENGINE_CLAIM_INTERVAL_S")


def _running_dev(
    tmp: Path, *extra: str, wait_s: float = 30, engine: bool = False
) -> AbstractContextManager[tuple[str, Path]]:
    env = {
        "URSA_ENGINE": str(engine).lower(),
        # Room for the seeded backlog and the test's own workset at once.
        "URSA_ENGINE_MAX_CONCURRENT": "20",
        # Claim and poll often: the simulated pipeline's own timeline sets the pace.
        **dict.fromkeys(FAST_ENGINE, "0.5"),
    }
    return running_dev(tmp, *extra, env=env, wait_s=wait_s)


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    with _running_dev(tmp_path_factory.mktemp("dev")) as running:
        yield running


def _post(url: str, token: str, body: dict[str, object], key: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    request.add_header("Idempotency-Key", key)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _manifest_on_seeded_inputs() -> str:
    """Two new samples on FASTQs the demo seed placed in Acme's bucket."""
    acme = next(c for c in CUSTOMERS if c.key == "acme")
    rows = [HEADER]
    for index, sample in enumerate(("EC1", "EC2"), start=1):
        keys = [
            f"s3://{acme.bucket}/sequencing/cohort-b-wave-3/CB30{index}_S{index}_L001_R{r}_001.fastq.gz"
            for r in (1, 2)
        ]
        cells = ["RUN1", sample, "EXP1", "blood", "noampwgs", "ILMN", "NOVASEQX", "0", f"S{index}"]
        cells += ["", *keys, "stage_data", "/fsx/staged_sample_data/", "na", "false", "false"]
        rows.append("\t".join([*cells, "2", "0", ""]))
    return "\n".join(rows) + "\n"


def test_dev_runs_a_submitted_workset_through_every_step(tmp_path: Path) -> None:
    """``make run``: the embedded engine and simulated cluster take a workset submitted over
    the API through every step to complete, with per-sample costs and a command log."""
    with _running_dev(tmp_path, engine=True) as (base, tokens_file):
        tokens = json.loads(tokens_file.read_text())
        ada, admin = tokens["ada@acme.example"], tokens["admin@ursa.example"]
        manifest = _manifest_on_seeded_inputs()
        status, body = _post(
            f"{base}/api/v1/worksets",
            ada,
            {"name": "Engine check", "pipeline_type": "germline_wgs_snv", "manifest_tsv": manifest},
            "engine-check-0001",
        )
        assert status == 201, body
        workset_id = json.loads(body)["workset_id"]
        steps: set[str] = set()
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            detail = json.loads(http_get(f"{base}/api/v1/worksets/{workset_id}", ada)[1])
            steps.add(str(detail["progress_step"]))
            if detail["state"] not in ("ready", "in_progress"):
                break
            time.sleep(0.5)
        assert detail["state"] == "complete", detail
        history = json.loads(http_get(f"{base}/api/v1/worksets/{workset_id}/history", ada)[1])
        advanced = [h["to_step"] for h in history if h["event"] == "advance"]
        assert advanced[-1] == "finalizing" and "pipeline_running" in advanced
        samples = json.loads(http_get(f"{base}/api/v1/worksets/{workset_id}/samples", ada)[1])
        assert samples and all(float(s["cost_actual"]) > 0 for s in samples)
        assert http_get(f"{base}/api/v1/worksets/{workset_id}/commands", ada)[0] == 403
        status, body = http_get(
            f"{base}/api/v1/worksets/{workset_id}/commands?label=launch_pipeline", admin
        )
        assert status == 200
        launches = json.loads(body)
        assert len(launches) == 1 and "new-session" in launches[0]["rendered"]
        status, body = http_get(f"{base}/api/v1/engine/leases", admin)
        assert status == 200 and all(lease["owner"] for lease in json.loads(body))
        assert http_get(f"{base}/api/v1/engine/leases", ada)[0] == 403


def test_dev_on_the_aws_emulator_serves_the_same_product(
    dev_server: tuple[str, Path], tmp_path: Path
) -> None:
    """An embedded emulator, table set up, seeded, and served through DynamoDB and S3."""
    memory_base, memory_tokens = dev_server
    with _running_dev(tmp_path, "--aws-emulator", wait_s=120) as (base, tokens_file):
        tokens = json.loads(tokens_file.read_text())
        assert set(tokens) == set(json.loads(memory_tokens.read_text()))
        for email in ("admin@ursa.example", "ada@acme.example"):
            found = []
            for url, secret in (
                (base, tokens[email]),
                (memory_base, json.loads(memory_tokens.read_text())[email]),
            ):
                status, body = http_get(f"{url}/api/v1/worksets?limit=100", secret)
                assert status == 200
                found.append(sorted((w["name"], w["state"]) for w in json.loads(body)["items"]))
            assert found[0] == found[1] and found[0]


def test_dev_serves_the_seeded_product(dev_server: tuple[str, Path]) -> None:
    base, tokens_file = dev_server
    tokens = json.loads(tokens_file.read_text())
    assert set(tokens) >= {"sam@acme.example", "gil@globex.example", "admin@ursa.example"}
    assert oct(tokens_file.stat().st_mode & 0o777) == "0o600"
    status, body = http_get(f"{base}/api/v1/worksets?limit=100", tokens["gil@globex.example"])
    assert status == 200
    customers = {w["customer_id"] for w in json.loads(body)["items"]}
    assert customers == {"globex-bio-7d20e4c1"}
    status, body = http_get(f"{base}/schema/openapi.json")
    assert status == 200 and json.loads(body)["openapi"].startswith("3.1")
    assert http_get(f"{base}/api/v1/worksets")[0] == 401


def test_production_refuses_a_default_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("URSA_ENV", "production")
    monkeypatch.delenv("URSA_SESSION_SECRET", raising=False)
    assert main(["serve"]) == 2
    assert "URSA_SESSION_SECRET" in capsys.readouterr().err


def test_production_refuses_dev_sign_in(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("URSA_ENV", "production")
    monkeypatch.setenv("URSA_SESSION_SECRET", "s" * 40)
    assert main(["serve"]) == 2
    assert "URSA_DEV_SIGN_IN" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and "ursa 0.1.0" in capsys.readouterr().out


def test_production_refuses_a_simulated_engine(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("URSA_ENV", "production")
    monkeypatch.setenv("URSA_SESSION_SECRET", "s" * 40)
    monkeypatch.setenv("URSA_DEV_SIGN_IN", "false")
    monkeypatch.setenv("URSA_STORE", "aws")
    monkeypatch.setenv("URSA_REDIS_URL", "redis://127.0.0.1:6390/0")  # not contacted
    assert main(["monitor"]) == 2
    assert "URSA_CLUSTER_MODE" in capsys.readouterr().err


def test_monitor_names_a_missing_head_node_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("URSA_ENV", "test")
    monkeypatch.setenv("URSA_CLUSTER_MODE", "static")
    monkeypatch.delenv("URSA_HEAD_HOST", raising=False)
    assert main(["monitor"]) == 2
    assert "URSA_HEAD_HOST" in capsys.readouterr().err


def test_production_refuses_per_process_rate_limits(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("URSA_ENV", "production")
    monkeypatch.setenv("URSA_SESSION_SECRET", "s" * 40)
    monkeypatch.setenv("URSA_DEV_SIGN_IN", "false")
    monkeypatch.setenv("URSA_STORE", "aws")
    monkeypatch.delenv("URSA_REDIS_URL", raising=False)
    monkeypatch.delenv("URSA_RATE_LIMIT_STORAGE", raising=False)
    assert main(["serve"]) == 2
    assert "URSA_RATE_LIMIT_STORAGE" in capsys.readouterr().err
