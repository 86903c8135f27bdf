"""Optimistic edits over HTTP (§6.5): a resource's version travels as its ``ETag``, and an
edit sends it back in ``If-Match``. One parser for every editable resource."""

from __future__ import annotations

from typing import Annotated

from litestar.datastructures import ResponseHeader
from litestar.params import HeaderParameter

from ursa.domain.errors import PreconditionFailed

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        max_length=64,
        required=False,
        description='The ETag (version) read, e.g. "3"; 412 when it is no longer current.',
    ),
]
ETAG_HEADER = [
    ResponseHeader(name="ETag", description="The version, quoted", documentation_only=True)
]
MAX_DIGITS = 18  # stays an exact int everywhere, DynamoDB numbers included


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def expected_version(if_match: str | None) -> int | None:
    """``"3"``, ``W/"3"`` or ``3`` → 3; ``*`` or absent → None (any version). A tag that
    names no version can never match, so it is a failed precondition too (RFC 9110)."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not (tag.isascii() and tag.isdigit()) or len(tag) > MAX_DIGITS:
        raise PreconditionFailed(f"If-Match {if_match!r} names no version of this resource")
    return int(tag)
