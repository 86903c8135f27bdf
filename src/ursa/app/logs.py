"""Process logging: one JSON object per line on stderr, secrets redacted, request ids attached.

``configure_logging`` is called by every long-running entry point (``ursa dev``, ``ursa serve``,
``ursa monitor``) and owns the root logger: uvicorn's and Litestar's loggers propagate to it.
A line looks like::

    {"ts": "2026-11-23T12:00:00.123Z", "level": "INFO", "logger": "ursa.access",
     "msg": "GET /api/v1/worksets 200 4.1ms", "request_id": "9f2c...", "method": "GET", ...}

``request_id`` comes from :data:`REQUEST_ID`, which ``RequestIdMiddleware`` sets for the
duration of a request (absent outside one); ``exc`` carries the traceback when there is one.
Every string (message, traceback, extra values) goes through :func:`redact`, and values under
secret-looking keys of ``extra=`` dicts (at any depth) become ``***``.
"""

from __future__ import annotations

import json as jsonlib
import logging
import re
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

from ursa.domain.command_log import mask_secrets

REQUEST_ID: ContextVar[str | None] = ContextVar("ursa_request_id", default=None)
MASK = "***"

_BEARER = re.compile(r"(?i)\b(?P<scheme>bearer\s+)[^\s\"',;]+")
_API_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])urs_[A-Za-z0-9_-]{8,}")
# Three base64url segments; the signature of a real JWT is never short, file names' extensions
# are (``HG002_son_novaseq_pcr-free.dedup.bam`` must survive).
_JWT = re.compile(
    r"(?<![A-Za-z0-9_.-])[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16,}(?![\w.-])"
)
_JWT_MIN_LENGTH = 41
_SECRET_KEYS = (
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "api_key",
    "apikey",
    "cookie",
    "session",
)
# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "request_id",
    "color_message",  # uvicorn's ANSI-coloured copy of msg
}
_NOISY = ("botocore", "aiobotocore", "boto3", "s3transfer", "urllib3", "asyncssh")
# Loggers that libraries configure with their own handlers; ours propagate to the root instead.
_PROPAGATING = ("litestar", "uvicorn", "uvicorn.error", "uvicorn.asgi")


def redact(text: str) -> str:
    """``key=value`` secrets (:func:`mask_secrets`), bearer credentials, ``urs_`` API token
    secrets and JWT-looking strings become ``***``."""
    text = mask_secrets(text)
    text = _BEARER.sub(lambda m: m.group("scheme") + MASK, text)
    text = _API_TOKEN.sub(MASK, text)
    return _JWT.sub(lambda m: MASK if len(m.group()) >= _JWT_MIN_LENGTH else m.group(), text)


def is_secret_key(key: str) -> bool:
    """``password``, ``X-API-Key``, ``access_token``, ``Set-Cookie``... (case-insensitive)."""
    normalised = key.lower().replace("-", "_")
    return any(word in normalised for word in _SECRET_KEYS)


def scrub(value: Any) -> Any:
    """``value`` made JSON-ready and redacted: strings redacted, mappings and sequences walked
    with secret-looking keys masked; anything JSON cannot encode is rendered with ``str()``."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {str(k): MASK if is_secret_key(str(k)) else scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(v) for v in value]
    return redact(str(value))


def _timestamp(record: logging.LogRecord) -> str:
    at = datetime.fromtimestamp(record.created, UTC)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _request_id(record: logging.LogRecord) -> str | None:
    explicit = getattr(record, "request_id", None)
    return explicit if isinstance(explicit, str) else REQUEST_ID.get()


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``ts level logger msg [request_id] [exc] [stack] *extra``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        if (request_id := _request_id(record)) is not None:
            line["request_id"] = request_id
        if record.exc_info:
            line["exc"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exc"] = redact(record.exc_text)
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        for key, value in record.__dict__.items():
            if key in _RECORD_FIELDS or key.startswith("_") or key in line:
                continue
            line[key] = MASK if is_secret_key(key) else scrub(value)
        return jsonlib.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``URSA_LOG_FORMAT=text``: ``time LEVEL logger [request id] message``, redacted."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(rid)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = _request_id(record)
        record.__dict__["rid"] = f" [{request_id}]" if request_id else ""
        try:
            return redact(super().format(record))
        finally:
            del record.__dict__["rid"]


class _UrsaHandler(logging.StreamHandler[IO[str]]):
    """Marks the handler ``configure_logging`` installed, so a second call replaces it."""


def configure_logging(level: str, *, json: bool = True, stream: IO[str] | None = None) -> None:
    """Route every logger to one handler on the root writing JSON lines (``json=False``: text)
    to ``stream`` (stderr). Safe to call again: it replaces the root's handlers, including the
    ones an earlier ``logging.basicConfig`` or Litestar's default config installed."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if isinstance(handler, _UrsaHandler):
            handler.close()
    handler = _UrsaHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if json else TextFormatter())
    root.addHandler(handler)
    level = level.upper()
    root.setLevel(level)
    for name in _PROPAGATING:
        logger = logging.getLogger(name)
        for own in list(logger.handlers):
            logger.removeHandler(own)
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    quiet = logging.NOTSET if level == "DEBUG" else logging.WARNING
    for name in _NOISY:
        logging.getLogger(name).setLevel(quiet)


__all__ = [
    "REQUEST_ID",
    "JsonFormatter",
    "TextFormatter",
    "configure_logging",
    "redact",
    "scrub",
]
