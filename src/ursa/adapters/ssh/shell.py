"""``RemoteShell`` over asyncssh.

- Host keys are pinned: the known-hosts text from settings is the only trust source (never
  ``known_hosts=None``); no agent, no ``~/.ssh/config``, public-key auth only.
- One connection per (host, port, user), opened under a per-key lock so concurrent first calls
  share it; at most ``max_sessions`` channels on it at once. A cached connection found dead is
  replaced, and the channel open retried once.
- Every call is bounded: connecting by ``connect_timeout_s``, each command or SFTP operation
  (channel open included) by its ``timeout_s``. A command that times out is sent SIGTERM
  (best effort) and its channel closed.
- Failures are translated at this boundary: refused, unreachable, timed out or disconnected →
  ``Unavailable``; host key not verifiable and permission denied → ``Forbidden``; a missing
  path → ``NotFound``. Messages name ``user@host:port``, never key material.
- A non-zero exit is data. A command killed by a signal reports ``128 + signal number`` (the
  shell's convention, e.g. 137 for KILL), or ``-1`` when the signal name is unknown here or the
  server sent no exit status at all."""

from __future__ import annotations

import asyncio
import os
import posixpath
import signal
import stat
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import TypeAlias, TypeVar

import asyncssh

from ursa.adapters.ssh.sftp import check_size, makedirs, require_absolute, walk_tree
from ursa.domain.errors import Forbidden, InvalidInput, NotFound, Unavailable, UrsaError
from ursa.domain.ports.cluster import CommandResult, RemoteCommand, RemoteFile
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.shell import join_argv, remote_command

KeySource: TypeAlias = asyncssh.SSHKey | str | os.PathLike[str]
UNKNOWN_EXIT = -1
TMP_SUFFIX = ".ursa-tmp"
KEEPALIVE_INTERVAL_S = 30.0
CLOSE_GRACE_S = 0.5
DEFAULT_MAX_SESSIONS = 8  # below OpenSSH's MaxSessions default of 10

_T = TypeVar("_T")
_NodeKey: TypeAlias = tuple[str, int, str]
_Connection: TypeAlias = asyncssh.SSHClientConnection
_Process: TypeAlias = asyncssh.SSHClientProcess[bytes]
# Errors on opening a channel that mean the cached connection died under us.
_DEAD_CONNECTION = (asyncssh.ChannelOpenError, asyncssh.DisconnectError, ConnectionError)


class AsyncsshShell:
    """Commands and files on head nodes over SSH (see the module docstring).

    ``client_keys``: asyncssh private keys, or paths to private key files (one or several).
    ``known_hosts``: OpenSSH known-hosts lines (``[host]:port key`` or ``host key``).
    ``usernames``: optional overrides of ``HeadNodeRef.user``, keyed ``"host:port"`` or
    ``"host"`` (the more specific key wins).
    ``max_sessions``: commands and SFTP sessions open at once per connection; more wait for a
    slot, and the wait counts against their ``timeout_s``."""

    def __init__(
        self,
        *,
        client_keys: KeySource | Sequence[KeySource],
        known_hosts: str,
        connect_timeout_s: float = 10.0,
        usernames: Mapping[str, str] | None = None,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
    ) -> None:
        if connect_timeout_s <= 0 or max_sessions < 1:
            raise ValueError("connect_timeout_s must be positive and max_sessions at least 1")
        self._client_keys = _load_keys(client_keys)
        self._known_hosts = _pinned_hosts(known_hosts)
        self._connect_timeout_s = connect_timeout_s
        self._usernames = dict(usernames or {})
        self._connections: dict[_NodeKey, _Connection] = {}
        self._locks: dict[_NodeKey, asyncio.Lock] = {}
        self._max_sessions = max_sessions
        self._slots: dict[_NodeKey, asyncio.Semaphore] = {}

    async def __aenter__(self) -> AsyncsshShell:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    # --- RemoteShell ---------------------------------------------------------------------

    async def run(
        self, node: HeadNodeRef, command: RemoteCommand, *, timeout_s: float
    ) -> CommandResult:
        """Run ``bash -lc <command.script>``; the remote line is every argv token quoted."""
        line = join_argv(remote_command(command.script))
        started = time.monotonic()
        with self._translated(node, f"command {command.label!r}", timeout_s):
            async with asyncio.timeout(timeout_s), self._slot(node):
                process = await self._open(node, lambda conn: _start(conn, line))
                completed = await _finish(process)
        return CommandResult(
            exit_code=_exit_code(completed),
            stdout=_text(completed.stdout),
            stderr=_text(completed.stderr),
            duration_s=time.monotonic() - started,
        )

    async def put_file(
        self, node: HeadNodeRef, path: str, data: bytes, *, mode: int = 0o644, timeout_s: float
    ) -> None:
        """Write ``<path>.ursa-tmp``, chmod it, then posix-rename it over ``path``; parent
        directories are created as needed."""
        require_absolute(path)
        tmp = path + TMP_SUFFIX
        async with self._sftp(node, f"put {path}", timeout_s) as sftp:
            await makedirs(sftp, posixpath.dirname(path))
            try:
                async with sftp.open(tmp, "wb", encoding=None) as handle:
                    await handle.write(data)
                await sftp.chmod(tmp, mode)
                await sftp.posix_rename(tmp, path)
            except asyncssh.SFTPError:
                with suppress(asyncssh.Error, OSError):
                    await sftp.remove(tmp)
                raise

    async def read_file(
        self, node: HeadNodeRef, path: str, *, max_bytes: int, timeout_s: float
    ) -> bytes:
        require_absolute(path)
        async with self._sftp(node, f"read {path}", timeout_s) as sftp:
            attrs = await sftp.stat(path)
            if not stat.S_ISREG(attrs.permissions or 0):
                raise InvalidInput.single("path", "NOT_A_FILE", f"{path} is not a regular file")
            check_size(path, attrs.size or 0, max_bytes)
            async with sftp.open(path, "rb", encoding=None) as handle:
                data: object = await handle.read(max_bytes + 1)
            if not isinstance(data, bytes):
                raise TypeError("asyncssh returned text for a binary read")
            check_size(path, len(data), max_bytes)  # it may have grown since the stat
            return data

    async def walk(
        self, node: HeadNodeRef, root: str, *, timeout_s: float
    ) -> tuple[RemoteFile, ...]:
        """Regular files below ``root`` (symlinks skipped, not followed), sorted by path."""
        require_absolute(root)
        top = root.rstrip("/") or "/"
        async with self._sftp(node, f"walk {top}", timeout_s) as sftp:
            attrs = await sftp.stat(top)
            if not stat.S_ISDIR(attrs.permissions or 0):
                raise InvalidInput.single("root", "NOT_A_DIRECTORY", f"{top} is not a directory")
            found = await walk_tree(sftp, top)
        return tuple(sorted(found, key=lambda f: f.path))

    async def aclose(self) -> None:
        """Close every cached connection."""
        connections = list(self._connections.values())
        self._connections.clear()
        for conn in connections:
            conn.close()
        for conn in connections:
            with suppress(asyncssh.Error, OSError):
                await conn.wait_closed()

    # --- connections ---------------------------------------------------------------------

    def _key(self, node: HeadNodeRef) -> _NodeKey:
        user = (
            self._usernames.get(f"{node.host}:{node.port}")
            or self._usernames.get(node.host)
            or node.user
        )
        return (node.host, node.port, user)

    def _slot(self, node: HeadNodeRef) -> asyncio.Semaphore:
        """Bounds the channels open at once on one connection (sshd's MaxSessions is 10)."""
        return self._slots.setdefault(self._key(node), asyncio.Semaphore(self._max_sessions))

    async def _open(self, node: HeadNodeRef, opener: Callable[[_Connection], Awaitable[_T]]) -> _T:
        """Open a channel; a cached connection that turns out dead is replaced once."""
        key = self._key(node)
        conn, reused = await self._connection(key)
        try:
            return await opener(conn)
        except _DEAD_CONNECTION as exc:
            if not reused or not await _connection_gone(conn, exc):
                raise
            self._discard(key, conn)
        conn, _ = await self._connection(key)
        return await opener(conn)

    async def _connection(self, key: _NodeKey) -> tuple[_Connection, bool]:
        async with self._locks.setdefault(key, asyncio.Lock()):
            conn = self._connections.get(key)
            if conn is not None and not conn.is_closed():
                return conn, True
            self._discard(key, conn)
            self._prune()
            conn = await self._connect(key)
            self._connections[key] = conn
            return conn, False

    def _prune(self) -> None:
        """Forget connections that died while idle (e.g. a deleted cluster's head node)."""
        for key, conn in list(self._connections.items()):
            if conn.is_closed():
                del self._connections[key]

    def _discard(self, key: _NodeKey, conn: _Connection | None) -> None:
        if conn is None:
            return
        conn.close()
        if self._connections.get(key) is conn:
            del self._connections[key]

    async def _connect(self, key: _NodeKey) -> _Connection:
        host, port, user = key
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                return await asyncssh.connect(
                    host,
                    port,
                    username=user,
                    client_keys=self._client_keys,
                    known_hosts=self._known_hosts,
                    config=None,  # never read ~/.ssh/config
                    agent_path=None,
                    preferred_auth="publickey",
                    connect_timeout=self._connect_timeout_s,
                    keepalive_interval=KEEPALIVE_INTERVAL_S,
                )
        except TimeoutError as exc:
            limit = f"{self._connect_timeout_s:g}s"
            raise Unavailable(
                f"ssh {user}@{host}:{port}: connect timed out (limit {limit})"
            ) from exc

    @asynccontextmanager
    async def _sftp(
        self, node: HeadNodeRef, what: str, timeout_s: float
    ) -> AsyncIterator[asyncssh.SFTPClient]:
        with self._translated(node, what, timeout_s):
            async with asyncio.timeout(timeout_s), self._slot(node):
                sftp = await self._open(node, lambda conn: conn.start_sftp_client())
                try:
                    yield sftp
                finally:
                    sftp.exit()

    @contextmanager
    def _translated(self, node: HeadNodeRef, what: str, timeout_s: float) -> Iterator[None]:
        """asyncssh and socket errors → the domain vocabulary, naming only user@host:port."""
        host, port, user = self._key(node)
        where = f"{user}@{host}:{port}"
        try:
            yield
        except UrsaError:
            raise
        except (asyncssh.HostKeyNotVerifiable, asyncssh.PermissionDenied) as exc:
            raise Forbidden(f"ssh {where}: {what}: {exc.reason}") from exc
        except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPNoSuchPath) as exc:
            raise NotFound(f"ssh {where}: {what}: no such file") from exc
        except asyncssh.SFTPPermissionDenied as exc:
            raise Forbidden(f"ssh {where}: {what}: permission denied") from exc
        except TimeoutError as exc:  # before OSError: TimeoutError is an OSError
            raise Unavailable(f"ssh {where}: {what}: timed out (limit {timeout_s:g}s)") from exc
        except (asyncssh.Error, OSError) as exc:
            raise Unavailable(f"ssh {where}: {what}: {_reason(exc)}") from exc


# --- helpers ---------------------------------------------------------------------------------


def _load_keys(keys: KeySource | Sequence[KeySource]) -> list[asyncssh.SSHKey]:
    items = [keys] if isinstance(keys, asyncssh.SSHKey | str | os.PathLike) else list(keys)
    if not items:
        raise ValueError("at least one SSH client key is needed")
    loaded: list[asyncssh.SSHKey] = []
    for item in items:
        if isinstance(item, asyncssh.SSHKey):
            loaded.append(item)
            continue
        try:
            loaded.append(asyncssh.read_private_key(os.fspath(item)))
        except (OSError, asyncssh.KeyImportError) as exc:
            raise ValueError(f"cannot load SSH client key {str(item)!r}: {exc}") from exc
    return loaded


def _pinned_hosts(text: str) -> asyncssh.SSHKnownHosts:
    if not text.strip():
        raise ValueError("known_hosts is empty: host keys must be pinned")
    try:
        return asyncssh.import_known_hosts(text)
    except (ValueError, asyncssh.KeyImportError) as exc:
        raise ValueError(f"known_hosts text is invalid: {exc}") from exc


async def _connection_gone(conn: _Connection, exc: BaseException) -> bool:
    """A disconnect means the connection died. A refused channel may too: asyncssh refuses
    locally once the transport is gone, a moment before ``is_closed()`` says so. But a live
    server's refusal (MaxSessions: code and reason look alike) leaves the connection open."""
    if not isinstance(exc, asyncssh.ChannelOpenError):
        return True
    with suppress(TimeoutError):
        await asyncio.wait_for(conn.wait_closed(), CLOSE_GRACE_S)
    return conn.is_closed()


async def _start(conn: _Connection, line: str) -> _Process:
    process: _Process = await conn.create_process(line, encoding=None, stdin=asyncssh.DEVNULL)
    return process


async def _finish(process: _Process) -> asyncssh.SSHCompletedProcess:
    """Wait for exit; when cancelled (our timeout), send TERM and close the channel."""
    try:
        return await process.wait()
    except BaseException:
        if process.exit_status is None:
            with suppress(asyncssh.Error, OSError):
                process.terminate()
        raise
    finally:
        process.close()


def _exit_code(completed: asyncssh.SSHCompletedProcess) -> int:
    if completed.exit_signal is not None:
        try:
            return 128 + signal.Signals[f"SIG{completed.exit_signal[0]}"].value
        except KeyError:
            return UNKNOWN_EXIT
    status = completed.exit_status
    return UNKNOWN_EXIT if status is None or status < 0 else status


def _text(data: object) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return data if isinstance(data, str) else ""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncssh.DisconnectError | asyncssh.ChannelOpenError):
        return f"{exc.reason or 'disconnected'}"
    if isinstance(exc, asyncssh.SFTPError):
        return f"SFTP error: {exc.reason}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return type(exc).__name__
