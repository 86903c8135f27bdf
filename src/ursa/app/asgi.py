"""ASGI entry for process managers: ``uvicorn ursa.app.asgi:app --factory``."""

from __future__ import annotations

from litestar import Litestar

from ursa.app.container import build_in_memory
from ursa.app.factory import create_app
from ursa.app.settings import Settings


def app() -> Litestar:
    return create_app(build_in_memory(Settings.from_env()))
