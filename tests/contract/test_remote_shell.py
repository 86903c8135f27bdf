"""RemoteShell contract for ``AsyncsshShell`` against an in-process asyncssh server.

The fake head node answers scripted replies keyed by the *script* (the server checks that the
raw command line is exactly ``bash -lc <script>``), or, with ``execute=True``, runs the raw
line through the local bash the way sshd does (``$SHELL -c <line>``). SFTP serves the real
local filesystem; tests stay inside ``tmp_path``."""

from __future__ import annotations

import asyncio
import os
import shlex
import socket
import stat
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh
import pytest

from ursa.adapters.ssh import AsyncsshShell
from ursa.domain.errors import Forbidden, InvalidInput, NotFound, Unavailable
from ursa.domain.ports.cluster import RemoteCommand, RemoteFile
from ursa.domain.run_record import HeadNodeRef
from ursa.domain.shell import Op, script

pytestmark = pytest.mark.anyio

TIMEOUT = 10.0


@dataclass(frozen=True)
class Reply:
    stdout: bytes = b""
    stderr: bytes = b""
    status: int = 0
    delay_s: float = 0.0
    signal: str | None = None


@dataclass
class FakeHeadNode:
    port: int
    host_key: asyncssh.SSHKey
    client_key: asyncssh.SSHKey
    replies: dict[str, Reply] = field(default_factory=dict)
    execute: bool = False
    lines: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    connections: list[asyncssh.SSHServerConnection] = field(default_factory=list)
    handlers: set[asyncio.Task[None]] = field(default_factory=set)
    busy: int = 0
    peak_busy: int = 0

    def known_hosts(self, key: asyncssh.SSHKey | None = None) -> str:
        public = (key or self.host_key).export_public_key().decode().strip()
        return f"[127.0.0.1]:{self.port} {public}\n"

    def ref(self, user: str = "ursa") -> HeadNodeRef:
        return HeadNodeRef(host="127.0.0.1", port=self.port, user=user)

    def shell(self, **kwargs: object) -> AsyncsshShell:
        options: dict[str, object] = {
            "client_keys": [self.client_key],
            "known_hosts": self.known_hosts(),
            "connect_timeout_s": 5.0,
        }
        options.update(kwargs)
        return AsyncsshShell(**options)  # type: ignore[arg-type]

    async def handle(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handlers.add(task)
        try:
            await self._answer(process)
        finally:
            self.handlers.discard(task)

    async def _answer(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        line = process.command or ""
        self.lines.append(line)
        argv = shlex.split(line)
        if len(argv) != 3 or argv[:2] != ["bash", "-lc"]:
            process.stderr.write(f"not a bash -lc line: {line!r}\n".encode())
            process.exit(126)
            return
        if self.execute and argv[2] not in self.replies:
            await _execute_locally(process, line)
            return
        reply = self.replies.get(argv[2], Reply(stderr=b"unknown command\n", status=127))
        self.busy += 1
        self.peak_busy = max(self.peak_busy, self.busy)
        try:
            await asyncio.sleep(reply.delay_s)
        finally:
            self.busy -= 1
        process.stdout.write(reply.stdout)
        process.stderr.write(reply.stderr)
        if reply.signal:
            process.exit_with_signal(reply.signal)
        else:
            process.exit(reply.status)


async def _execute_locally(process: asyncssh.SSHServerProcess[bytes], line: str) -> None:
    child = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        line,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await child.communicate()
    process.stdout.write(out)
    process.stderr.write(err)
    process.exit(child.returncode or 0)


class _CountingServer(asyncssh.SSHServer):
    def __init__(self, node: FakeHeadNode) -> None:
        self._node = node

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._node.connections.append(conn)

    def begin_auth(self, username: str) -> bool:
        self._node.users.append(username)
        return True


def _new_key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519")


@pytest.fixture
async def head_node() -> AsyncIterator[FakeHeadNode]:
    node = FakeHeadNode(0, _new_key(), _new_key())
    server = await asyncssh.create_server(
        lambda: _CountingServer(node),
        "127.0.0.1",
        0,
        server_host_keys=[node.host_key],
        authorized_client_keys=asyncssh.import_authorized_keys(
            node.client_key.export_public_key().decode()
        ),
        process_factory=node.handle,
        sftp_factory=True,
        encoding=None,
    )
    node.port = server.sockets[0].getsockname()[1]
    try:
        yield node
    finally:
        for task in list(node.handlers):  # replies still sleeping after a client timeout
            task.cancel()
        await asyncio.gather(*node.handlers, return_exceptions=True)
        server.close()
        await server.wait_closed()


@pytest.fixture
async def shell(head_node: FakeHeadNode) -> AsyncIterator[AsyncsshShell]:
    async with head_node.shell() as opened:
        yield opened


def _cmd(text: str) -> RemoteCommand:
    return RemoteCommand(label="test", script=text)


# --- commands ------------------------------------------------------------------------------


async def test_exit_code_stdout_and_stderr(head_node: FakeHeadNode, shell: AsyncsshShell) -> None:
    head_node.replies["sinfo -h"] = Reply(stdout=b"localhost idle\n")
    head_node.replies["false-ish"] = Reply(stdout=b"partial\n", stderr=b"boom\n", status=3)

    ok = await shell.run(head_node.ref(), _cmd("sinfo -h"), timeout_s=TIMEOUT)
    failed = await shell.run(head_node.ref(), _cmd("false-ish"), timeout_s=TIMEOUT)

    assert (ok.exit_code, ok.stdout, ok.stderr) == (0, "localhost idle\n", "")
    assert (failed.exit_code, failed.stdout, failed.stderr) == (3, "partial\n", "boom\n")
    assert ok.duration_s >= 0


async def test_remote_line_is_bash_lc_with_every_token_quoted(
    head_node: FakeHeadNode, shell: AsyncsshShell
) -> None:
    head_node.replies["squeue -h"] = Reply()
    await shell.run(head_node.ref(), _cmd("squeue -h"), timeout_s=TIMEOUT)
    assert head_node.lines == ["'bash' '-lc' 'squeue -h'"]


async def test_invalid_utf8_output_is_replaced(
    head_node: FakeHeadNode, shell: AsyncsshShell
) -> None:
    head_node.replies["bytes"] = Reply(stdout=b"ok \xff\n", stderr=b"\xfe")
    result = await shell.run(head_node.ref(), _cmd("bytes"), timeout_s=TIMEOUT)
    assert (result.stdout, result.stderr) == ("ok \ufffd\n", "\ufffd")


async def test_killed_by_signal_is_128_plus_signal(
    head_node: FakeHeadNode, shell: AsyncsshShell
) -> None:
    head_node.replies["oom"] = Reply(stderr=b"Killed\n", signal="KILL")
    head_node.replies["odd"] = Reply(signal="NOT-A-SIGNAL")
    killed = await shell.run(head_node.ref(), _cmd("oom"), timeout_s=TIMEOUT)
    odd = await shell.run(head_node.ref(), _cmd("odd"), timeout_s=TIMEOUT)
    assert (killed.exit_code, killed.stderr) == (137, "Killed\n")
    assert odd.exit_code == -1


NASTY = [
    "it's",
    'say "hi"',
    "$(touch pwned)",
    "`id`",
    "a\nb",
    "  spaced  out ",
    "semi; rm -rf /",
    "$HOME",
    "\\back",
    "*",
    "",
    "ünïcødé",
]


async def test_nasty_arguments_reach_the_command_intact(
    head_node: FakeHeadNode, shell: AsyncsshShell, tmp_path: Path
) -> None:
    head_node.execute = True  # the raw line goes through a real bash, as under sshd
    text = script(["cd", str(tmp_path)], Op.AND, ["printf", "%s\\0", *NASTY])
    result = await shell.run(head_node.ref(), _cmd(text), timeout_s=TIMEOUT)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split("\0")[:-1] == NASTY
    assert not (tmp_path / "pwned").exists()


# --- transport failures ----------------------------------------------------------------------


async def test_wrong_host_key_is_forbidden(head_node: FakeHeadNode) -> None:
    async with head_node.shell(known_hosts=head_node.known_hosts(_new_key())) as shell:
        with pytest.raises(Forbidden, match=rf"127\.0\.0\.1:{head_node.port}"):
            await shell.run(head_node.ref(), _cmd("whoami"), timeout_s=TIMEOUT)


async def test_host_key_for_another_port_is_not_trusted(head_node: FakeHeadNode) -> None:
    public = head_node.host_key.export_public_key().decode().strip()
    async with head_node.shell(known_hosts=f"[127.0.0.1]:1 {public}\n") as shell:
        with pytest.raises(Forbidden):
            await shell.run(head_node.ref(), _cmd("whoami"), timeout_s=TIMEOUT)


async def test_wrong_client_key_is_forbidden(head_node: FakeHeadNode) -> None:
    async with head_node.shell(client_keys=[_new_key()]) as shell:
        with pytest.raises(Forbidden, match=r"ursa@127\.0\.0\.1"):
            await shell.run(head_node.ref(), _cmd("whoami"), timeout_s=TIMEOUT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_nothing_listening_is_unavailable(head_node: FakeHeadNode) -> None:
    node = HeadNodeRef(host="127.0.0.1", port=_free_port(), user="ursa")
    async with head_node.shell() as shell:
        with pytest.raises(Unavailable, match=rf"127\.0\.0\.1:{node.port}"):
            await shell.run(node, _cmd("whoami"), timeout_s=TIMEOUT)


async def test_silent_server_hits_the_connect_timeout(head_node: FakeHeadNode) -> None:
    accepted: list[asyncio.StreamWriter] = []

    def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # and never speak SSH

    listener = await asyncio.start_server(accept, "127.0.0.1", 0)
    node = HeadNodeRef(host="127.0.0.1", port=listener.sockets[0].getsockname()[1], user="ursa")
    try:
        async with head_node.shell(connect_timeout_s=0.3) as shell:
            with pytest.raises(Unavailable, match="connect timed out"):
                await shell.run(node, _cmd("whoami"), timeout_s=TIMEOUT)
    finally:
        for writer in accepted:
            writer.close()
        listener.close()
        await listener.wait_closed()


async def test_command_over_its_timeout_is_unavailable(
    head_node: FakeHeadNode, shell: AsyncsshShell
) -> None:
    head_node.replies["sleep 30"] = Reply(delay_s=30)
    started = time.monotonic()
    with pytest.raises(Unavailable, match="timed out"):
        await shell.run(head_node.ref(), _cmd("sleep 30"), timeout_s=0.3)
    assert time.monotonic() - started < 5
    head_node.replies["after"] = Reply(stdout=b"still usable\n")
    after = await shell.run(head_node.ref(), _cmd("after"), timeout_s=TIMEOUT)
    assert after.stdout == "still usable\n"


# --- connections -----------------------------------------------------------------------------


async def test_one_connection_serves_many_commands(
    head_node: FakeHeadNode, shell: AsyncsshShell
) -> None:
    head_node.replies["hostname"] = Reply(stdout=b"head\n")
    for _ in range(3):
        await shell.run(head_node.ref(), _cmd("hostname"), timeout_s=TIMEOUT)
    results = await asyncio.gather(
        *(shell.run(head_node.ref(), _cmd("hostname"), timeout_s=TIMEOUT) for _ in range(5))
    )
    assert {r.stdout for r in results} == {"head\n"}
    assert len(head_node.connections) == 1


async def test_concurrent_first_calls_share_one_connection(
    head_node: FakeHeadNode, shell: AsyncsshShell
) -> None:
    head_node.replies["hostname"] = Reply(stdout=b"head\n")
    await asyncio.gather(
        *(shell.run(head_node.ref(), _cmd("hostname"), timeout_s=TIMEOUT) for _ in range(5))
    )
    assert len(head_node.connections) == 1


async def test_channels_per_connection_are_bounded(head_node: FakeHeadNode) -> None:
    head_node.replies["squeue"] = Reply(stdout=b"ok\n", delay_s=0.05)
    async with head_node.shell(max_sessions=2) as shell:
        results = await asyncio.gather(
            *(shell.run(head_node.ref(), _cmd("squeue"), timeout_s=TIMEOUT) for _ in range(6))
        )
    assert [r.stdout for r in results] == ["ok\n"] * 6
    assert head_node.peak_busy == 2
    assert len(head_node.connections) == 1


async def test_users_get_their_own_connection_and_overrides_apply(
    head_node: FakeHeadNode,
) -> None:
    head_node.replies["whoami"] = Reply()
    async with head_node.shell(usernames={"127.0.0.1": "slurm-admin"}) as shell:
        await shell.run(head_node.ref(user="ubuntu"), _cmd("whoami"), timeout_s=TIMEOUT)
    async with head_node.shell(usernames={f"127.0.0.1:{head_node.port}": "deploy"}) as shell:
        await shell.run(head_node.ref(user="ubuntu"), _cmd("whoami"), timeout_s=TIMEOUT)
    assert head_node.users == ["slurm-admin", "deploy"]


async def test_dead_cached_connection_is_replaced(
    head_node: FakeHeadNode, shell: AsyncsshShell
) -> None:
    head_node.replies["hostname"] = Reply(stdout=b"head\n")
    await shell.run(head_node.ref(), _cmd("hostname"), timeout_s=TIMEOUT)
    head_node.connections[0].close()  # the server drops us (restart, idle cut-off)
    await head_node.connections[0].wait_closed()
    result = await shell.run(head_node.ref(), _cmd("hostname"), timeout_s=TIMEOUT)
    assert result.stdout == "head\n"
    assert len(head_node.connections) == 2


async def test_aclose_closes_every_connection(head_node: FakeHeadNode) -> None:
    head_node.replies["hostname"] = Reply()
    shell = head_node.shell()
    await shell.run(head_node.ref(), _cmd("hostname"), timeout_s=TIMEOUT)
    await shell.aclose()
    await asyncio.wait_for(head_node.connections[0].wait_closed(), TIMEOUT)


def test_construction_refuses_unpinned_or_keyless_setups(tmp_path: Path) -> None:
    key = _new_key()
    with pytest.raises(ValueError, match="must be pinned"):
        AsyncsshShell(client_keys=[key], known_hosts="  \n")
    with pytest.raises(ValueError, match="at least one"):
        AsyncsshShell(client_keys=[], known_hosts="[h]:2 " + _public(key))
    with pytest.raises(ValueError, match="cannot load SSH client key"):
        AsyncsshShell(client_keys=tmp_path / "missing", known_hosts="[h]:2 " + _public(key))


def test_client_key_can_be_a_path(tmp_path: Path) -> None:
    key = _new_key()
    path = tmp_path / "id_ed25519"
    key.write_private_key(str(path))
    AsyncsshShell(client_keys=path, known_hosts="[h]:2 " + _public(key))
    AsyncsshShell(client_keys=str(path), known_hosts="[h]:2 " + _public(key))


def _public(key: asyncssh.SSHKey) -> str:
    return key.export_public_key().decode().strip() + "\n"


# --- files -----------------------------------------------------------------------------------


async def test_put_file_creates_parents_sets_mode_and_leaves_no_temp(
    head_node: FakeHeadNode, shell: AsyncsshShell, tmp_path: Path
) -> None:
    target = tmp_path / "run" / "config" / "units.tsv"
    await shell.put_file(head_node.ref(), str(target), b"old", timeout_s=TIMEOUT)
    await shell.put_file(head_node.ref(), str(target), b"new\n", mode=0o600, timeout_s=TIMEOUT)
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["units.tsv"]


async def test_put_file_under_a_regular_file_is_refused(
    head_node: FakeHeadNode, shell: AsyncsshShell, tmp_path: Path
) -> None:
    (tmp_path / "plain").write_text("x")
    with pytest.raises(InvalidInput, match="not a directory"):
        await shell.put_file(
            head_node.ref(), str(tmp_path / "plain" / "f"), b"x", timeout_s=TIMEOUT
        )


async def test_read_file(head_node: FakeHeadNode, shell: AsyncsshShell, tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    path.write_bytes(b'{"state": "running"}')
    data = await shell.read_file(head_node.ref(), str(path), max_bytes=100, timeout_s=TIMEOUT)
    assert data == b'{"state": "running"}'


async def test_read_file_refuses_oversize_missing_and_directories(
    head_node: FakeHeadNode, shell: AsyncsshShell, tmp_path: Path
) -> None:
    (tmp_path / "big").write_bytes(b"x" * 101)
    node = head_node.ref()
    with pytest.raises(InvalidInput, match="100-byte limit"):
        await shell.read_file(node, str(tmp_path / "big"), max_bytes=100, timeout_s=TIMEOUT)
    with pytest.raises(NotFound):
        await shell.read_file(node, str(tmp_path / "nope"), max_bytes=100, timeout_s=TIMEOUT)
    with pytest.raises(InvalidInput, match="not a regular file"):
        await shell.read_file(node, str(tmp_path), max_bytes=100, timeout_s=TIMEOUT)
    with pytest.raises(InvalidInput, match="absolute"):
        await shell.read_file(node, "relative/path", max_bytes=100, timeout_s=TIMEOUT)


async def test_walk_lists_regular_files_recursively_and_skips_symlinks(
    head_node: FakeHeadNode, shell: AsyncsshShell, tmp_path: Path
) -> None:
    root = tmp_path / "results"
    (root / "day" / "hg38" / "S1").mkdir(parents=True)
    (root / "day" / "hg38" / "S1" / "S1.cram").write_bytes(b"cram")
    (root / "top.txt").write_bytes(b"")
    (root / "empty").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_bytes(b"s")
    os.symlink(tmp_path / "outside", root / "link-dir")
    os.symlink(tmp_path / "outside" / "secret", root / "link-file")

    found = await shell.walk(head_node.ref(), str(root) + "/", timeout_s=TIMEOUT)

    assert found == (
        RemoteFile(path=f"{root}/day/hg38/S1/S1.cram", size=4),
        RemoteFile(path=f"{root}/top.txt", size=0),
    )


async def test_walk_of_a_missing_root_is_not_found(
    head_node: FakeHeadNode, shell: AsyncsshShell, tmp_path: Path
) -> None:
    with pytest.raises(NotFound):
        await shell.walk(head_node.ref(), str(tmp_path / "nope"), timeout_s=TIMEOUT)


async def test_files_share_the_command_connection(
    head_node: FakeHeadNode, shell: AsyncsshShell, tmp_path: Path
) -> None:
    head_node.replies["hostname"] = Reply()
    await shell.run(head_node.ref(), _cmd("hostname"), timeout_s=TIMEOUT)
    await shell.put_file(head_node.ref(), str(tmp_path / "f"), b"x", timeout_s=TIMEOUT)
    await shell.walk(head_node.ref(), str(tmp_path), timeout_s=TIMEOUT)
    assert len(head_node.connections) == 1
