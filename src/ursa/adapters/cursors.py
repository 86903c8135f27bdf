"""Opaque, tamper-evident cursors shared by every store (in-memory and DynamoDB)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from ursa.domain.errors import InvalidInput


class CursorCodec:
    """Signs the position so a client cannot forge or edit a cursor."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def encode(self, position: list[str]) -> str:
        body = json.dumps(position, separators=(",", ":")).encode()
        mac = hmac.new(self._key, body, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(mac + body).decode().rstrip("=")

    def decode(self, cursor: str) -> list[str]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            mac, body = raw[:12], raw[12:]
            expected = hmac.new(self._key, body, hashlib.sha256).digest()[:12]
            if not hmac.compare_digest(mac, expected):
                raise ValueError("signature")
            position = json.loads(body)
            if not isinstance(position, list) or not all(isinstance(p, str) for p in position):
                raise ValueError("shape")
            return position
        except ValueError:
            raise InvalidInput.single(
                "cursor", "BAD_CURSOR", "the page cursor is not valid"
            ) from None
