"""Structured logs: JSON lines, secrets redacted, the request id on every line of a request."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

from ursa.app.container import build_in_memory
from ursa.app.factory import create_app
from ursa.app.logs import REQUEST_ID, configure_logging
from ursa.app.middleware import RequestIdMiddleware
from ursa.app.settings import Environment, Settings

JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0"
    ".eyJzdWIiOiJ1c2VyLTEiLCJlbWFpbCI6ImFkYUBhY21lLmV4YW1wbGUifQ"
    ".c2lnbmF0dXJlLW9mLXRoZS10b2tlbi1ub3QtYS1yZWFsLW9uZQ"
)
API_TOKEN = "urs_Zm9vYmFyYmF6cXV1eHF1dXV4MTIzNDU2"
_TOUCHED = ("litestar", "uvicorn", "uvicorn.error", "uvicorn.asgi", "botocore", "asyncssh")

Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """configure_logging owns the root logger; give the next test the one it had."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    others = {
        name: (list(lg.handlers), lg.propagate, lg.level)
        for name in _TOUCHED
        for lg in [logging.getLogger(name)]
    }
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler not in handlers:
            handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, (own, propagate, own_level) in others.items():
        lg = logging.getLogger(name)
        lg.handlers[:] = own
        lg.propagate = propagate
        lg.setLevel(own_level)


def _capture(level: str = "INFO") -> Lines:
    stream = io.StringIO()
    configure_logging(level, stream=stream)
    return lambda: [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture
def lines() -> Lines:
    return _capture()


def _app() -> Litestar:
    return create_app(build_in_memory(Settings(env=Environment.TEST)))


def test_a_line_is_one_json_object_with_the_core_fields(lines: Lines) -> None:
    logging.getLogger("ursa.test").warning("disk %s%% full", 91, extra={"color_message": "x"})
    (line,) = lines()
    assert line["level"] == "WARNING" and line["logger"] == "ursa.test"
    assert line["msg"] == "disk 91% full"
    assert line["ts"].endswith("Z") and len(line["ts"]) == len("2026-11-23T12:00:00.123Z")
    assert "request_id" not in line and "exc" not in line and "color_message" not in line


def test_secrets_in_the_message_are_masked(lines: Lines) -> None:
    log = logging.getLogger("ursa.test")
    log.info("retrying with token=%s", "s3cr3t-value")
    log.info("header Authorization: Bearer %s", "opaque-credential")
    log.info("minted %s for ada", API_TOKEN)
    log.info("verifying %s", JWT)
    masked = [line["msg"] for line in lines()]
    assert masked == [
        "retrying with token=***",
        "header Authorization: Bearer ***",
        "minted *** for ada",
        "verifying ***",
    ]


def test_file_names_and_hosts_are_not_mistaken_for_jwts(lines: Lines) -> None:
    names = (
        "HG002_NA24385_son_novaseq_pcr-free_30x.dedup.bam "
        "ip-10-0-1-23.us-west-2.compute.internal ursa-demo-omics-analysis-us-west-2.s3.amazonaws"
    )
    logging.getLogger("ursa.test").info(names)
    assert lines()[0]["msg"] == names


def test_a_password_in_extra_is_masked(lines: Lines) -> None:
    logging.getLogger("ursa.test").info(
        "signing in", extra={"user": "ada@acme.example", "password": "hunter2", "attempt": 2}
    )
    (line,) = lines()
    assert line["password"] == "***"
    assert line["user"] == "ada@acme.example" and line["attempt"] == 2


def test_secret_keys_are_masked_at_any_depth(lines: Lines) -> None:
    request = {
        "headers": {
            "Authorization": f"Bearer {API_TOKEN}",
            "X-API-Key": "k-123",
            "Cookie": "session=abc",
            "Accept": "application/json",
        },
        "forwarded": [{"client_secret": "x", "note": f"had {JWT}"}],
    }
    logging.getLogger("ursa.test").info("outbound", extra={"request": request})
    (line,) = lines()
    assert line["request"] == {
        "headers": {
            "Authorization": "***",
            "X-API-Key": "***",
            "Cookie": "***",
            "Accept": "application/json",
        },
        "forwarded": [{"client_secret": "***", "note": "had ***"}],
    }
    assert API_TOKEN not in json.dumps(line) and JWT not in json.dumps(line)


def test_values_json_cannot_encode_are_rendered_as_text(lines: Lines) -> None:
    class Credentials:
        def __str__(self) -> str:
            return "Credentials api_key=abc123 region=us-west-2"

    logging.getLogger("ursa.test").info("x", extra={"creds_for": Credentials(), "n": {1, 2}})
    (line,) = lines()
    assert line["creds_for"] == "Credentials api_key=*** region=us-west-2"
    assert sorted(line["n"]) == [1, 2]


def test_a_traceback_is_logged_redacted(lines: Lines) -> None:
    try:
        raise ValueError("bad password=hunter2")
    except ValueError:
        logging.getLogger("ursa.test").exception("failed")
    (line,) = lines()
    assert line["msg"] == "failed"
    assert "Traceback" in line["exc"] and "ValueError: bad password=***" in line["exc"]
    assert "hunter2" not in line["exc"]


def test_the_request_id_comes_from_the_context(lines: Lines) -> None:
    token = REQUEST_ID.set("req-abcdef12")
    try:
        logging.getLogger("ursa.test").info("inside")
    finally:
        REQUEST_ID.reset(token)
    logging.getLogger("ursa.test").info("outside")
    inside, outside = lines()
    assert inside["request_id"] == "req-abcdef12"
    assert "request_id" not in outside


def test_configuring_twice_keeps_one_handler() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("INFO", stream=first)
    configure_logging("INFO", stream=second)
    assert len(logging.getLogger().handlers) == 1
    logging.getLogger("ursa.test").info("once")
    assert first.getvalue() == ""
    assert [json.loads(x)["msg"] for x in second.getvalue().splitlines()] == ["once"]


def test_noisy_libraries_are_quiet_unless_debugging() -> None:
    configure_logging("INFO", stream=io.StringIO())
    assert logging.getLogger("botocore").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("asyncssh").getEffectiveLevel() == logging.WARNING
    configure_logging("DEBUG", stream=io.StringIO())
    assert logging.getLogger("botocore").getEffectiveLevel() == logging.DEBUG


def test_text_format_is_redacted_and_names_the_request() -> None:
    stream = io.StringIO()
    configure_logging("INFO", json=False, stream=stream)
    token = REQUEST_ID.set("req-abcdef12")
    try:
        logging.getLogger("ursa.test").info("using %s", API_TOKEN)
    finally:
        REQUEST_ID.reset(token)
    text = stream.getvalue()
    assert text.rstrip().endswith("INFO ursa.test [req-abcdef12] using ***"), text


def test_a_request_logs_one_access_line_with_its_request_id() -> None:
    app = _app()  # first: Litestar's default config replaces the root's handlers
    lines = _capture()
    with TestClient(app) as client:
        response = client.get("/healthz?token=abc", headers={"X-Request-ID": "req-12345678"})
        generated = client.get("/healthz")
    assert response.status_code == 200
    access = [line for line in lines() if line["logger"] == "ursa.access"]
    assert len(access) == 2
    echoed, fresh = access
    assert echoed["request_id"] == response.headers["x-request-id"] == "req-12345678"
    assert fresh["request_id"] == generated.headers["x-request-id"]
    assert echoed["level"] == "INFO"
    assert (echoed["method"], echoed["path"], echoed["status"]) == ("GET", "/healthz", 200)
    assert isinstance(echoed["duration_ms"], float) and echoed["duration_ms"] >= 0
    assert echoed["msg"].startswith("GET /healthz 200 ")
    assert "token" not in json.dumps(echoed)


def test_an_error_logs_its_traceback_with_the_request_id_but_never_returns_it() -> None:
    @get("/api/v1/_boom", sync_to_thread=False)
    def boom() -> None:
        raise RuntimeError("exploded with secret=hunter2")

    app = _app()
    app.register(boom)
    lines = _capture()
    with TestClient(app) as client:
        response = client.get("/api/v1/_boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    request_id = response.headers["x-request-id"]
    body = response.text
    assert "Traceback" not in body and "RuntimeError" not in body and "hunter2" not in body
    assert response.json()["request_id"] == request_id
    logged = lines()
    (error,) = [line for line in logged if line["level"] == "ERROR"]
    assert error["request_id"] == request_id and error["logger"] == "ursa.errors"
    assert "Traceback" in error["exc"] and "RuntimeError: exploded with secret=***" in error["exc"]
    (access,) = [line for line in logged if line["logger"] == "ursa.access"]
    assert access["status"] == 500 and access["request_id"] == request_id


def test_wrapping_the_whole_app_covers_router_errors_once() -> None:
    """App-level middleware runs per route; wrapped around the whole app, the middleware also
    covers the router's own 404s, and the per-route instance steps aside."""
    app = _app()
    app.asgi_handler = RequestIdMiddleware()(app.asgi_handler)
    lines = _capture()
    with TestClient(app) as client:
        missing = client.get("/api/v1/no-such-thing")
        found = client.get("/healthz")
    assert missing.status_code == 404 and missing.headers["x-request-id"]
    assert missing.json()["request_id"] == missing.headers["x-request-id"]
    access = [line for line in lines() if line["logger"] == "ursa.access"]
    assert [(a["path"], a["status"], a["request_id"]) for a in access] == [
        ("/api/v1/no-such-thing", 404, missing.headers["x-request-id"]),
        ("/healthz", 200, found.headers["x-request-id"]),
    ]
