"""``ursa`` command line: ``ursa dev`` (seeded in-memory product), ``ursa serve``, ``--version``."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from ursa import __version__
from ursa.app.container import Container, build_in_memory
from ursa.app.settings import Environment, Settings, SettingsError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ursa", description="Ursa genomics workset service")
    parser.add_argument("--version", action="version", version=f"ursa {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser("dev", help="serve the seeded demo on in-memory adapters")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8914)
    dev.add_argument(
        "--tokens-file",
        type=Path,
        default=None,
        help='write {"<email>": "<token>"} for the seeded users to this file',
    )
    serve = sub.add_parser("serve", help="serve with settings from URSA_* variables")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    return parser


def seeded_container(settings: Settings) -> Container:
    from ursa.adapters.memory.seed import seed_demo

    container = build_in_memory(settings)
    assert container.objects is not None
    tokens = asyncio.run(seed_demo(container.ports, container.objects, datetime.now(UTC)))
    container.seeded_tokens.update(tokens)
    return container


def _print_tokens(tokens: dict[str, str], tokens_file: Path | None) -> None:
    print("Seeded users and their API tokens (dev only):")
    for email, token in tokens.items():
        print(f"  {email:<24} {token}")
    if tokens_file is not None:
        tokens_file.write_text(json.dumps(tokens, indent=2) + "\n")
        os.chmod(tokens_file, 0o600)
        print(f"Tokens written to {tokens_file}")


def _serve(container: Container, host: str, port: int) -> None:
    import uvicorn

    from ursa.app.factory import create_app

    print(f"Ursa {__version__} on http://{host}:{port}/  (API: /api/v1, schema: /schema)")
    level = container.settings.log_level.lower()
    uvicorn.run(create_app(container), host=host, port=port, log_level=level)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "dev":
            settings = Settings.from_env({**os.environ, "URSA_ENV": "dev"})
            container = seeded_container(settings)
            _print_tokens(container.seeded_tokens, args.tokens_file)
            _serve(container, args.host, args.port)
            return 0
        settings = Settings.from_env()
        if settings.store != "memory":
            raise SettingsError(f"URSA_STORE={settings.store} is not available in this build")
        if settings.env is Environment.PRODUCTION:
            raise SettingsError("production needs URSA_STORE=aws")
        _serve(build_in_memory(settings), args.host or settings.host, args.port or settings.port)
        return 0
    except SettingsError as exc:
        print(f"ursa: configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
