"""ASGI entry for process managers: ``uvicorn ursa.app.asgi:app --factory``."""

from __future__ import annotations

from litestar import Litestar

from ursa.app.cli import app_for
from ursa.app.settings import Settings


def app() -> Litestar:
    """The adapters follow ``URSA_STORE`` (memory or aws)."""
    return app_for(Settings.from_env())
