"""Deterministic id shapes (§11.1). The domain builds ids from parts it is given; it never
draws randomness itself (the caller passes the hex suffix)."""

from __future__ import annotations

import re
import unicodedata

WORKSET_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
LEGACY_WORKSET_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$")
CUSTOMER_ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,18}[a-z0-9])?-[0-9a-f]{8}$")
HEX8_RE = re.compile(r"^[0-9a-f]{8}$")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(text: str, *, max_len: int = 40, empty: str = "ws") -> str:
    """NFKC, lowercase, each run outside [a-z0-9] becomes '-', trimmed and cut."""
    folded = unicodedata.normalize("NFKC", text).lower()
    slug = _NON_ALNUM.sub("-", folded).strip("-")[:max_len].strip("-")
    return slug or empty


def _require_hex8(suffix: str) -> None:
    if not HEX8_RE.fullmatch(suffix):
        raise ValueError(f"id suffix must be 8 lowercase hex digits, got {suffix!r}")


def new_workset_id(name: str, suffix: str) -> str:
    """``<slug ≤40>-<8 hex>``; ``suffix`` comes from the IdGenerator port."""
    _require_hex8(suffix)
    slug = slugify(name)
    if len(slug) < 2:  # the accepted form needs 3+ characters before the suffix
        slug = f"ws-{slug}" if slug != "ws" else "ws"
    return f"{slug}-{suffix}"


def new_customer_id(name: str, suffix: str) -> str:
    _require_hex8(suffix)
    return f"{slugify(name, max_len=20, empty='customer')}-{suffix}"


def workset_prefix(workset_id: str) -> str:
    """The workset's S3 folder (§4.9); always ends with ``/``."""
    return f"worksets/{workset_id}/"


def run_id(workset_id: str, attempt: int) -> str:
    return f"{workset_id}-r{attempt}"


def quote_id(workset_id: str, n: int) -> str:
    return f"q-{workset_id}-{n}"


def tmux_session(run: str) -> str:
    return f"ursa_{run}"
