"""An AWS emulator on loopback for ``ursa dev --aws-emulator`` and the tests: moto's server,
serving one request at a time.

moto's own threaded server evaluates a conditional write and applies it without a lock, so
two concurrent claims could both pass ``version = :v`` (the race test saw it). DynamoDB
makes each conditional write atomic; serialising requests gives the emulator the same
guarantee while clients still race. moto is a development dependency, imported lazily."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from typing import Any

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def use_fake_credentials() -> None:
    """Never let the SDK probe the instance-metadata address for credentials."""
    for name, value in FAKE_AWS_ENV.items():
        os.environ.setdefault(name, value)


class _Serialized:
    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


class AwsEmulator:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        try:
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                MotoRequestHandler,
                create_backend_app,
            )
            from werkzeug.serving import make_server
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError(
                "the AWS emulator needs the development extras: pip install -e '.[dev]'"
            ) from exc
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request
        app = _Serialized(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._host, self._port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.endpoint

    def reset(self) -> None:
        """Wipe every emulated service (between tests)."""
        url = f"{self.endpoint}/moto-api/reset"
        request = urllib.request.Request(url, method="POST")  # noqa: S310 (loopback http)
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            pass

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None


@contextlib.contextmanager
def emulator_process() -> Iterator[str]:
    """An emulator in its own process (its own GIL, so it keeps up with many clients);
    yields the endpoint and stops the process afterwards."""
    import subprocess
    import sys

    server = subprocess.Popen(
        [sys.executable, "-m", "ursa.app.emulator"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **FAKE_AWS_ENV},
    )
    try:
        assert server.stdout is not None
        yield server.stdout.readline().strip()
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if server.stdout is not None:
            server.stdout.close()


def main() -> None:  # pragma: no cover - exercised by the test fixtures as a subprocess
    """``python -m ursa.app.emulator [port]``: print the endpoint, serve until killed."""
    import signal
    import sys

    use_fake_credentials()
    emulator = AwsEmulator(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(emulator.start(), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        while not stop.wait(0.5):  # wake regularly so SIGTERM is handled at once
            pass
    # Serving threads are daemons: leaving the process ends them, even mid-request.


if __name__ == "__main__":  # pragma: no cover
    main()
