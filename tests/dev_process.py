"""A real ``ursa dev`` process on a free loopback port, for tests that need the CLI or
several app processes (its output goes to a log file next to the tokens file)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


@contextmanager
def running_dev(
    tmp: Path, *extra: str, env: Mapping[str, str] | None = None, wait_s: float = 30
) -> Iterator[tuple[str, Path]]:
    """Yields the base URL and the path of the seeded users' tokens file."""
    port = free_port()
    tokens, log = tmp / f"tokens-{port}.json", tmp / f"ursa-dev-{port}.log"
    command = [sys.executable, "-m", "ursa.app.cli", "dev", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--tokens-file", str(tokens), *extra],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "URSA_LOG_LEVEL": "WARNING", **(env or {})},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            assert process.poll() is None, f"ursa dev exited early: {log.read_text()[-2000:]}"
            try:
                if http_get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError(f"ursa dev did not start in {wait_s:.0f} s")
        yield base, tokens
    finally:
        process.terminate()
        process.wait(timeout=15)
