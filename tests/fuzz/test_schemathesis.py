"""An outside fuzzer: schemathesis against the live OpenAPI schema of a real ``ursa dev``.

Every operation is called with generated (valid and invalid) input, authenticated as a
provider admin and as a customer user. A 5xx, an answer whose body does not match the
documented schema, or an undocumented content type fails the run. The seed is fixed so a
failure reproduces; ``URSA_FUZZ_SEED`` and ``URSA_FUZZ_EXAMPLES`` widen the search.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dev_process import http_get, running_dev

UNLIMITED = "1000000/minute"  # the fuzzer is not testing the rate limits
RATE_LIMITS = {
    f"URSA_RATE_LIMIT_{category}": UNLIMITED for category in ("READ", "WRITE", "ADMIN", "AUTH")
}
CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance"
SEED = os.environ.get("URSA_FUZZ_SEED", "20261123")
EXAMPLES = os.environ.get("URSA_FUZZ_EXAMPLES", "25")
CALLERS = ("admin@ursa.example", "sam@acme.example")


def _schemathesis() -> Path:
    return Path(sys.executable).with_name("schemathesis")


def _operation_count(base: str) -> int:
    status, body = http_get(f"{base}/schema/openapi.json")
    assert status == 200
    paths = json.loads(body)["paths"]
    methods = {"get", "put", "post", "delete", "patch"}
    return sum(1 for item in paths.values() for method in item if method in methods)


def _tested_count(output: str) -> int:
    found = re.search(r"Tested:\s+(\d+)", output)
    assert found, output[-3000:]
    return int(found.group(1))


@pytest.mark.parametrize("caller", CALLERS)
def test_no_server_errors_and_no_schema_violations(tmp_path: Path, caller: str) -> None:
    with running_dev(tmp_path, env=RATE_LIMITS) as (base, tokens_file):
        token = json.loads(tokens_file.read_text())[caller]
        operations = _operation_count(base)
        result = subprocess.run(
            [
                str(_schemathesis()),
                "run",
                f"{base}/schema/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                CHECKS,
                "--max-examples",
                EXAMPLES,
                "--seed",
                SEED,
                "--workers",
                "2",
                "--request-timeout",
                "20",
                "--generation-database",
                "none",
                "--no-color",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"schemathesis found problems (seed {SEED}):\n{output[-12000:]}"
    assert _tested_count(output) == operations, output[-3000:]
