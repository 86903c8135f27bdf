"""``ursa aws setup [--dry-run]`` and ``ursa aws status`` against the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from aws_support import reset_moto
from ursa.app.cli import main


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("URSA_AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("URSA_AWS_TABLE", "ursa-cli")
    yield
    reset_moto(moto_endpoint)


def test_setup_is_idempotent_and_dry_run_changes_nothing(
    aws_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["aws", "status"]) == 0
    assert json.loads(capsys.readouterr().out) == {"table": "ursa-cli", "exists": False}
    assert main(["aws", "setup", "--dry-run"]) == 0
    assert "would create table" in capsys.readouterr().out
    assert main(["aws", "setup"]) == 0
    assert "did create table" in capsys.readouterr().out
    assert main(["aws", "setup"]) == 0
    assert "up to date, nothing to do" in capsys.readouterr().out
    assert main(["aws", "status"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["exists"] and status["missing_indexes"] == [] and status["ttl"] == "ENABLED"


def test_an_unreachable_endpoint_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("URSA_AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("URSA_AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("URSA_AWS_CONNECT_TIMEOUT_S", "1")
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    assert main(["aws", "status"]) == 1
    assert "did not answer" in capsys.readouterr().err
