"""SSH adapter: the ``RemoteShell`` port over asyncssh, with pinned host keys."""

from ursa.adapters.ssh.shell import AsyncsshShell, KeySource

__all__ = ["AsyncsshShell", "KeySource"]
