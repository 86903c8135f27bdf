"""``ursa`` command line: ``ursa dev`` (seeded in-memory product), ``ursa serve``, ``--version``."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from litestar import Litestar

from ursa import __version__
from ursa.app.container import Container, build_in_memory
from ursa.app.engine_settings import EngineSettingsError
from ursa.app.logs import configure_logging
from ursa.app.settings import Settings, SettingsError
from ursa.domain.errors import UrsaError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ursa", description="Ursa genomics workset service")
    parser.add_argument("--version", action="version", version=f"ursa {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser("dev", help="serve the seeded demo on in-memory adapters")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8914)
    dev.add_argument(
        "--aws-emulator",
        action="store_true",
        help="serve through the real DynamoDB/S3 adapters on an embedded AWS emulator",
    )
    dev.add_argument(
        "--aws-endpoint-url",
        default=None,
        help="with --aws-emulator: use this emulator instead of starting one",
    )
    dev.add_argument(
        "--tokens-file",
        type=Path,
        default=None,
        help='write {"<email>": "<token>"} for the seeded users to this file',
    )
    serve = sub.add_parser("serve", help="serve with settings from URSA_* variables")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    sub.add_parser(
        "monitor",
        help="run the workset engine (URSA_CLUSTER_MODE, URSA_ENGINE_* settings); SIGTERM drains",
    )
    aws = sub.add_parser("aws", help="the AWS resources Ursa uses (URSA_AWS_* settings)")
    aws_sub = aws.add_subparsers(dest="aws_command", required=True)
    aws_setup = aws_sub.add_parser("setup", help="create or verify the table, indexes and TTL")
    aws_setup.add_argument("--dry-run", action="store_true", help="print what would change")
    aws_sub.add_parser("status", help="print the table's status as JSON")
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


def _configure_logging(settings: Settings) -> None:
    """JSON lines on stderr; ``URSA_LOG_FORMAT=text`` for human-readable lines."""
    text = os.environ.get("URSA_LOG_FORMAT", "json").strip().lower() == "text"
    configure_logging(settings.log_level, json=not text)


def _serve(app: Litestar, settings: Settings, host: str, port: int) -> None:
    import uvicorn

    # After the app exists: Litestar's default logging config replaces the root's handlers.
    _configure_logging(settings)
    print(f"Ursa {__version__} on http://{host}:{port}/  (API: /api/v1, schema: /schema)")
    # uvicorn's loggers propagate to our root handler; RequestIdMiddleware writes the access log.
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        log_config=None,
        access_log=False,
    )


def app_for(settings: Settings) -> Litestar:
    """The app on the adapters ``settings.store`` selects."""
    from ursa.app.factory import create_app

    if settings.store == "aws":
        from contextlib import AsyncExitStack

        from ursa.app.container_aws import build_aws

        async def boot(stack: AsyncExitStack) -> Container:
            return await build_aws(settings, stack)

        return create_app(settings=settings, boot=boot)
    return create_app(build_in_memory(settings))


def _dev(args: argparse.Namespace) -> None:
    from ursa.app.factory import create_app

    settings = Settings.from_env({**os.environ, "URSA_ENV": "dev"})
    _configure_logging(settings)
    if not args.aws_emulator:
        container = seeded_container(settings)
        _print_tokens(container.seeded_tokens, args.tokens_file)
        _serve(create_app(container), settings, args.host, args.port)
        return
    from ursa.app.cli_aws import emulated_settings, seed_emulator

    # The emulator's demo inputs are small placeholders priced at their nominal size, so the
    # engine's claim-time pin check would park them; run it there only when asked to.
    if "URSA_ENGINE" not in os.environ:
        settings = replace(settings, engine=replace(settings.engine, enabled=False))
    settings, emulator = emulated_settings(settings, args.aws_endpoint_url)
    try:
        _print_tokens(seed_emulator(settings), args.tokens_file)
        _serve(app_for(settings), settings, args.host, args.port)
    finally:
        if emulator is not None:
            emulator.stop()


def _monitor(settings: Settings) -> None:
    """The engine alone, against the configured store; SIGTERM/SIGINT drain it: each run
    finishes its current step and hands its lease to another replica."""
    import signal
    from contextlib import AsyncExitStack

    from ursa.domain.services.engine.monitor import Monitor

    settings = replace(settings, engine=replace(settings.engine, enabled=True))
    try:
        settings.check()
    except EngineSettingsError as exc:
        raise SettingsError(str(exc)) from exc
    _configure_logging(settings)

    async def run() -> None:
        async with AsyncExitStack() as stack:
            if settings.store == "aws":
                from ursa.app.container_aws import build_aws

                container = await build_aws(settings, stack)
            else:
                print(
                    "ursa monitor: URSA_STORE=memory has no shared work; use aws", file=sys.stderr
                )
                container = build_in_memory(settings)
            assert container.engine is not None
            monitor = Monitor(container.engine)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, monitor.stop)
            owner, mode = container.engine.config.owner, settings.engine.cluster_mode
            print(f"ursa monitor {owner}: {mode} clusters")
            await monitor.run_forever()

    asyncio.run(run())


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "dev":
            _dev(args)
            return 0
        settings = Settings.from_env()
        if args.command == "monitor":
            _monitor(settings)
            return 0
        if args.command == "aws":
            from ursa.app.cli_aws import run_setup, run_status

            if args.aws_command == "setup":
                run_setup(settings, dry_run=args.dry_run)
            else:
                run_status(settings)
            return 0
        host, port = args.host or settings.host, args.port or settings.port
        _serve(app_for(settings), settings, host, port)
        return 0
    except SettingsError as exc:
        print(f"ursa: configuration error: {exc}", file=sys.stderr)
        return 2
    except UrsaError as exc:  # e.g. the AWS endpoint did not answer
        print(f"ursa: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
