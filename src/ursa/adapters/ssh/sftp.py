"""SFTP helpers of the SSH shell: path checks, directory creation and a recursive walk."""

from __future__ import annotations

import posixpath
import stat

import asyncssh

from ursa.domain.errors import InvalidInput
from ursa.domain.ports.cluster import RemoteFile


def require_absolute(path: str) -> None:
    if not path.startswith("/") or "\x00" in path:
        raise InvalidInput.single("path", "BAD_VALUE", f"remote path {path!r} must be absolute")


def check_size(path: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        message = f"{path} is larger than the {max_bytes}-byte limit"
        raise InvalidInput.single("path", "FILE_TOO_LARGE", message)


async def is_dir(sftp: asyncssh.SFTPClient, path: str) -> bool | None:
    """True for a directory, False for anything else, None when missing."""
    try:
        attrs = await sftp.stat(path)
    except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPNoSuchPath):
        return None
    return stat.S_ISDIR(attrs.permissions or 0)


async def makedirs(sftp: asyncssh.SFTPClient, directory: str) -> None:
    """mkdir -p: find the deepest existing ancestor, then create downwards."""
    missing: list[str] = []
    current = directory
    while (state := await is_dir(sftp, current)) is None and current != "/":
        missing.append(current)
        current = posixpath.dirname(current)
    if state is False:
        raise InvalidInput.single("path", "NOT_A_DIRECTORY", f"{current} is not a directory")
    for path in reversed(missing):
        try:
            await sftp.mkdir(path)
        except (asyncssh.SFTPFailure, asyncssh.SFTPFileAlreadyExists):
            if not await is_dir(sftp, path):  # else a concurrent writer won the race
                raise


async def walk_tree(sftp: asyncssh.SFTPClient, top: str) -> list[RemoteFile]:
    found: list[RemoteFile] = []
    pending = [top]
    while pending:
        directory = pending.pop()
        try:
            entries = await sftp.readdir(directory)
        except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPNoSuchPath):
            continue  # removed while we walked
        for entry in entries:
            name = str(entry.filename)
            if name in (".", ".."):
                continue
            path = posixpath.join(directory, name)
            mode = entry.attrs.permissions or 0  # readdir reports lstat: links stay links
            if stat.S_ISDIR(mode):
                pending.append(path)
            elif stat.S_ISREG(mode):
                found.append(RemoteFile(path=path, size=entry.attrs.size or 0))
    return found
