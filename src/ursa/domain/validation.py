"""Validation rules (§11): identifiers, S3 bucket names and keys.

Each check raises ``InvalidInput`` with one ``Issue`` per broken rule. The issue carries the
field and the specific code (``BAD_VALUE``, ``UNSAFE_KEY``, …); the exception's own ``code``
stays ``VALIDATION_ERROR`` as §0 says. Patterns are applied with ``fullmatch`` so that a
trailing newline never slips past ``$``. Local paths and shell quoting live in
``ursa.domain.shell`` and are re-exported here."""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from ursa.domain.errors import InvalidInput, Issue
from ursa.domain.ids import CUSTOMER_ID_RE

# Re-exported so callers may import every §11 check from one module.
from ursa.domain.shell import DEFAULT_PIPELINE_BASE as DEFAULT_PIPELINE_BASE
from ursa.domain.shell import LOCAL_PATH_OUTSIDE_ROOTS as LOCAL_PATH_OUTSIDE_ROOTS
from ursa.domain.shell import Op as Op
from ursa.domain.shell import check_clean_path as check_clean_path
from ursa.domain.shell import check_local_path as check_local_path
from ursa.domain.shell import check_removable_pipeline_dir as check_removable_pipeline_dir
from ursa.domain.shell import join_argv as join_argv
from ursa.domain.shell import realpath_matches as realpath_matches
from ursa.domain.shell import remote_command as remote_command
from ursa.domain.shell import rendered_remote as rendered_remote
from ursa.domain.shell import script as script
from ursa.domain.shell import shell_quote as shell_quote

BAD_VALUE = "BAD_VALUE"
BAD_S3_URI = "BAD_S3_URI"
UNSAFE_KEY = "UNSAFE_KEY"
PATH_TRAVERSAL = "PATH_TRAVERSAL"

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,79}$")
CLUSTER_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,59}$")
REGION_RE = re.compile(r"^[a-z]{2}(?:-gov)?-[a-z]+-[0-9]$")
TMUX_SESSION_RE = re.compile(r"^ursa_[a-z0-9-]{3,70}$")
IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}$")
PIPELINE_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
KEY_SEGMENT_RE = re.compile(r"^[A-Za-z0-9._-]{1,255}$")
_IPV4_SHAPED_RE = re.compile(r"^[0-9]+(?:\.[0-9]+){3}$")
_ENCODED_RE = re.compile(r"%(?:2e|2f|5c)", re.IGNORECASE | re.ASCII)

BUCKET_FORBIDDEN_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_FORBIDDEN_SUFFIXES = ("-s3alias", "--ol-s3")
MAX_KEY_BYTES = 1024

_LOOKALIKES = frozenset("\u2215\u2044\uff0f\u29f8\uff3c\u2024\u2025\ufe52\uff0e")
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_INVISIBLE = frozenset(_BIDI + "\u200b\u200c\u200d\ufeff")
_DOTS = frozenset({".", ".."})

Problem = tuple[str, str]  # (code, phrase completing "<subject> …")


def _show(value: str, limit: int = 80) -> str:
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"


def _fail(field: str, subject: str, problems: Iterable[Problem]) -> InvalidInput:
    """One issue per problem; the message lists them all so one error tells the whole story."""
    items = list(problems)
    issues = tuple(Issue(field=field, code=c, message=f"{subject} {t}") for c, t in items)
    return InvalidInput(f"{subject} " + "; ".join(t for _, t in items), issues)


def _bad(field: str, subject: str, text: str, code: str = BAD_VALUE) -> InvalidInput:
    return _fail(field, subject, [(code, text)])


def _require(pattern: re.Pattern[str], value: str, field: str, allowed: str) -> str:
    if not pattern.fullmatch(value):
        raise _bad(field, f"{field} {_show(value)}", f"is invalid: {allowed}")
    return value


# --- identifiers (§11.1) -------------------------------------------------------------------


def validate_workset_name(name: str) -> str:
    """NFC and strip, then check; returns the normalised name."""
    normalised = unicodedata.normalize("NFC", name).strip()
    allowed = "use 1-80 characters: a letter or digit, then letters, digits, spaces, '.', '_', '-'"
    if not normalised:
        raise _bad("name", "name", f"is empty: {allowed}")
    return _require(NAME_RE, normalised, "name", allowed)


def validate_customer_id(value: str) -> str:
    allowed = "expected <slug of 1-20 lowercase letters, digits or '-'>-<8 lowercase hex digits>"
    return _require(CUSTOMER_ID_RE, value, "customer_id", allowed)


def validate_cluster_name(value: str) -> str:
    allowed = "use 1-60 characters: a letter first, then letters, digits or '-'"
    return _require(CLUSTER_NAME_RE, value, "cluster_name", allowed)


def validate_region(value: str, allowed: frozenset[str] | None = None) -> str:
    """Shape check, then the configured allow-list when one is given."""
    _require(REGION_RE, value, "region", "expected an AWS region such as 'us-west-2'")
    if allowed is not None and value not in allowed:
        listed = ", ".join(sorted(allowed)) or "none"
        raise _bad("region", f"region {_show(value)}", f"is not enabled; allowed: {listed}")
    return value


def validate_tmux_session(value: str) -> str:
    allowed = "expected 'ursa_' then 3-70 lowercase letters, digits or '-'"
    return _require(TMUX_SESSION_RE, value, "tmux_session", allowed)


def validate_idempotency_key(value: str) -> str:
    allowed = "use 8-128 characters: letters, digits, '_' or '-'"
    return _require(IDEMPOTENCY_KEY_RE, value, "idempotency_key", allowed)


def validate_pipeline_version(value: str) -> str:
    allowed = "use 1-64 characters: a letter or digit first, then letters, digits, '.', '_' or '-'"
    return _require(PIPELINE_VERSION_RE, value, "pipeline_version", allowed)


def validate_email(value: str, allowed_domains: frozenset[str] | None = None) -> str:
    """Stripped and lowercased. ``allowed_domains`` matches the exact domain, not subdomains."""
    email = value.strip().lower()
    subject = f"email {_show(value)}"
    if not EMAIL_RE.fullmatch(email) or any(_is_control(ch) for ch in email):
        raise _bad("email", subject, "is invalid: expected local-part@domain.tld")
    domain = email.rpartition("@")[2]
    if ".." in domain or domain.startswith((".", "-")):
        raise _bad("email", subject, "has a malformed domain")
    if allowed_domains is not None and domain not in {d.lower() for d in allowed_domains}:
        listed = ", ".join(sorted(allowed_domains)) or "none"
        raise _bad("email", subject, f"is not in an allowed domain; allowed: {listed}")
    return email


def validate_password(password: str, *, email: str | None = None) -> str:
    """Returned unchanged. Messages never echo the password."""
    problems: list[Problem] = []
    if len(password) < 8:
        problems.append((BAD_VALUE, "is too short: at least 8 characters are required"))
    if len(password) > 256:
        problems.append((BAD_VALUE, "is too long: at most 256 characters are allowed"))
    if password and not password.strip():
        problems.append((BAD_VALUE, "must not be only whitespace"))
    if email and password.strip().casefold() == email.strip().casefold():
        problems.append((BAD_VALUE, "must not be the same as the email address"))
    if problems:
        raise _fail("password", "password", problems)
    return password


# --- S3 bucket names (§11.2) ---------------------------------------------------------------


def _bucket_problems(name: str) -> list[Problem]:
    shape = "must be 3-63 of a-z, 0-9, '.', '-', starting and ending with a letter or digit"
    texts = [shape] if not BUCKET_RE.fullmatch(name) else []
    texts += ["must not contain '..'"] if ".." in name else []
    texts += ["must not look like an IPv4 address"] if _IPV4_SHAPED_RE.fullmatch(name) else []
    texts += [f"must not start with {p!r}" for p in BUCKET_FORBIDDEN_PREFIXES if name.startswith(p)]
    texts += [f"must not end with {x!r}" for x in BUCKET_FORBIDDEN_SUFFIXES if name.endswith(x)]
    return [(BAD_VALUE, text) for text in texts]


def validate_bucket_name(name: str, *, field: str = "bucket") -> str:
    if problems := _bucket_problems(name):
        raise _fail(field, f"bucket name {_show(name)}", problems)
    return name


# --- S3 keys (§11.3) -----------------------------------------------------------------------


def _is_control(ch: str) -> bool:
    cp = ord(ch)
    return cp <= 0x1F or 0x7F <= cp <= 0x9F


def _char_kind(ch: str) -> str | None:
    if _is_control(ch):
        return "a control character"
    if 0xD800 <= ord(ch) <= 0xDFFF:
        return "a lone surrogate"
    if ch == "\\":
        return "a backslash"
    if ch in _LOOKALIKES:
        return "a lookalike slash or dot"
    if ch in _INVISIBLE:
        return "a bidi control or zero-width character"
    return None


def _key_problems(key: str) -> list[Problem]:
    """The one rejection list shared by ``check_input_key`` and ``build_key``."""
    if not key:
        return [(UNSAFE_KEY, "is empty")]
    problems: list[Problem] = []
    segments = key.split("/")
    if _DOTS.intersection(segments):
        problems.append((PATH_TRAVERSAL, "has a '.' or '..' segment (path traversal)"))
    if key.startswith("/"):
        problems.append((UNSAFE_KEY, "starts with '/': keys are relative"))
    if "" in (segments[1:] if key.startswith("/") else segments):
        problems.append((UNSAFE_KEY, "has an empty segment ('//' or a trailing '/')"))
    kinds: dict[str, str] = {}
    for ch in key:
        kind = _char_kind(ch)
        if kind is not None and kind not in kinds:
            kinds[kind] = f"contains {kind} (U+{ord(ch):04X})"
    problems += [(UNSAFE_KEY, text) for text in kinds.values()]
    if _ENCODED_RE.search(key):
        problems.append((UNSAFE_KEY, "contains an encoded dot, slash or backslash (%2e, %2f, %5c)"))
    if unicodedata.normalize("NFC", key) != key:
        problems.append((UNSAFE_KEY, "is not in Unicode NFC form"))
    elif unicodedata.normalize("NFKC", key) != key:
        problems.append((UNSAFE_KEY, "contains compatibility characters (its NFKC form differs)"))
    size = len(key.encode("utf-8", "surrogatepass"))
    if size > MAX_KEY_BYTES:
        problems.append((UNSAFE_KEY, f"is {size} UTF-8 bytes; at most {MAX_KEY_BYTES} allowed"))
    return problems


def check_input_key(key: str, *, field: str = "key") -> str:
    """For customer keys named in manifests: permissive, but safe."""
    if problems := _key_problems(key):
        raise _fail(field, f"S3 key {_show(key)}", problems)
    return key


def build_key(prefix: str, *segments: str) -> str:
    """For keys Ursa constructs: ``prefix`` (one trailing '/' tolerated) plus strict segments."""
    base = prefix.removesuffix("/")
    if not base:
        raise _bad("prefix", "key prefix", "is empty", UNSAFE_KEY)
    check_input_key(base, field="prefix")
    if not segments:
        raise _bad("segments", f"key under {_show(base)}", "needs at least one segment", UNSAFE_KEY)
    for seg in segments:
        subject = f"key segment {_show(seg)}"
        if seg in _DOTS:
            raise _bad("segments", subject, "is a path traversal segment", PATH_TRAVERSAL)
        if not KEY_SEGMENT_RE.fullmatch(seg):
            allowed = "must be 1-255 of letters, digits, '.', '_' or '-'"
            raise _bad("segments", subject, allowed, UNSAFE_KEY)
    key = check_input_key(f"{base}/{'/'.join(segments)}")
    if not key.startswith(base + "/"):  # §11.3 post-condition; cheap, and guards future edits
        raise _bad("key", f"S3 key {_show(key)}", f"escapes prefix {_show(base)}", PATH_TRAVERSAL)
    return key


@dataclass(frozen=True, slots=True, kw_only=True)
class S3Uri:
    bucket: str
    key: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse_s3_uri(uri: str, *, allow_prefix: bool = False, field: str = "uri") -> S3Uri:
    """``s3://bucket/key``. With ``allow_prefix`` the key may be empty or end in '/'."""
    subject = f"S3 URI {_show(uri)}"
    if not uri.startswith("s3://"):
        raise _bad(field, subject, "must start with 's3://' (as in s3://bucket/key)", BAD_S3_URI)
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket:
        raise _bad(field, subject, "has no bucket (expected s3://bucket/key)", BAD_S3_URI)
    if problems := _bucket_problems(bucket):
        raise _fail(field, f"{subject} bucket", [(BAD_S3_URI, text) for _, text in problems])
    if not key:
        if allow_prefix:
            return S3Uri(bucket=bucket, key="")
        raise _bad(field, subject, "names no object key (expected s3://bucket/key)", BAD_S3_URI)
    body = key.removesuffix("/") if allow_prefix else key
    if problems := _key_problems(body):
        raise _fail(field, f"{subject} key", problems)
    return S3Uri(bucket=bucket, key=key)


def safe_local_target(root: str, key: str) -> str:
    """Where an S3 → local writer may put ``key``: strictly inside ``root``, or refused."""
    base = check_clean_path(root, field="root")
    check_input_key(key)
    target = f"{base.removesuffix('/')}/{key}"
    if posixpath.normpath(target) != target:  # belt and braces after the key check
        raise _bad("key", f"S3 key {_show(key)}", "does not stay inside the root", PATH_TRAVERSAL)
    return target
