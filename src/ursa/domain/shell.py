"""Head-node safety: local paths (§11.4) and shell quoting (§11.5).

Paths are checked lexically here; the engine then runs ``realpath -e`` and ``realpath_matches``
refuses any difference (a symlink). Every argv token is POSIX single-quoted, and a remote script
is built only from quoted argv lists and the fixed operators in ``Op``, then sent as
``bash -lc <one quoted script>``. Data never becomes shell syntax, so no denylist is needed.
``ursa.domain.validation`` re-exports everything public here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from ursa.domain.errors import InvalidInput, Issue

BAD_VALUE = "BAD_VALUE"
LOCAL_PATH_OUTSIDE_ROOTS = "LOCAL_PATH_OUTSIDE_ROOTS"
MAX_LOCAL_PATH_BYTES = 4096
DEFAULT_PIPELINE_BASE = "/fsx/analysis_results/ubuntu/"
PIPELINE_CHECKOUT = "daylily-omics-analysis"  # the dir day-clone creates inside workdir_name
WORKDIR_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,255}$")  # §4.8
_DOTS = frozenset({".", ".."})


# --- local paths (§11.4) -------------------------------------------------------------------


def _error(field: str, path: str, problems: Sequence[str], code: str = BAD_VALUE) -> InvalidInput:
    shown = repr(path) if len(path) <= 80 else repr(path[:77] + "...")
    subject = f"{field} {shown}"
    issues = tuple(Issue(field=field, code=code, message=f"{subject} {p}") for p in problems)
    return InvalidInput(f"{subject} " + "; ".join(problems), issues)


def _strip_slash(path: str) -> str:
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


def _components(path: str) -> tuple[str, ...]:
    stripped = _strip_slash(path)
    return () if stripped == "/" else tuple(stripped.split("/")[1:])


def _path_problems(path: str) -> list[str]:
    if not path:
        return ["is empty"]
    problems: list[str] = []
    if not path.startswith("/"):
        problems.append("must be absolute (start with '/')")
    # NUL above all; other control characters (and lone surrogates) have no place in a path.
    bad = sorted(
        {c for c in path if ord(c) <= 0x1F or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF}
    )
    if bad:
        problems.append(
            f"contains control characters ({', '.join(f'U+{ord(c):04X}' for c in bad)})"
        )
    size = len(path.encode("utf-8", "surrogatepass"))
    if size > MAX_LOCAL_PATH_BYTES:
        problems.append(f"is {size} bytes; at most {MAX_LOCAL_PATH_BYTES} allowed")
    if "//" in path:  # a single trailing slash is fine; any doubled slash is an empty segment
        problems.append("has an empty segment ('//')")
    if _DOTS.intersection(path.split("/")):
        problems.append("has a '.' or '..' segment")
    return problems


def check_clean_path(path: str, *, field: str = "path") -> str:
    """The lexical rules without roots; returns the path without its trailing slash."""
    if problems := _path_problems(path):
        raise _error(field, path, problems)
    return _strip_slash(path)


def _root_components(root: str) -> tuple[str, ...]:
    if _path_problems(root):  # roots come from configuration; a bad one is a deployment bug
        raise ValueError(f"allowed root {root!r} is not a clean absolute path")
    return _components(root)


def check_local_path(path: str, allowed_roots: tuple[str, ...], *, field: str = "path") -> str:
    """Lexical check; returns the path without its trailing slash. The path must lie strictly
    below a root (the root itself is refused), compared whole component by component."""
    clean = check_clean_path(path, field=field)
    parts = _components(clean)
    for root in allowed_roots:
        prefix = _root_components(root)
        if len(parts) > len(prefix) and parts[: len(prefix)] == prefix:
            return clean
    listed = ", ".join(allowed_roots) or "none configured"
    raise _error(
        field, path, [f"is not under an allowed root ({listed})"], LOCAL_PATH_OUTSIDE_ROOTS
    )


def realpath_matches(lexical: str, resolved: str) -> bool:
    """``realpath -e`` must give back the lexical path; any difference means a symlink."""
    return bool(lexical) and _strip_slash(lexical) == _strip_slash(resolved)


def check_removable_pipeline_dir(
    path: str, workdir_name: str, base: str = DEFAULT_PIPELINE_BASE
) -> str:
    """The only directory ``rm -rf`` may target. §11.4 says "last component is workdir_name",
    but §14 puts the checkout at ``<base>/<workdir_name>/daylily-omics-analysis``. We accept
    exactly those two shapes directly under ``base`` and nothing deeper, so a path elsewhere
    under ``base`` that merely ends in the workdir name is refused."""
    if not WORKDIR_NAME_RE.fullmatch(workdir_name) or workdir_name in _DOTS:
        raise _error("workdir_name", workdir_name, ["must be 1-255 of A-Z a-z 0-9 '.' '_' '-'"])
    clean = check_local_path(path, (base,))
    relative = _components(clean)[len(_root_components(base)) :]
    if relative not in ((workdir_name,), (workdir_name, PIPELINE_CHECKOUT)):
        shape = f"{_strip_slash(base)}/{workdir_name}[/{PIPELINE_CHECKOUT}]"
        raise _error("path", path, [f"is not the pipeline dir; expected {shape}"])
    return clean


# --- shell quoting (§11.5) -----------------------------------------------------------------


class Op(StrEnum):
    """The fixed operators a template may place between commands."""

    AND = "&&"
    OR = "||"
    SEQ = ";"
    PIPE = "|"
    WRITE = ">"  # for `printf %s '<b64>' | base64 -d > '<path>'` (§11.5); takes one target token


def shell_quote(token: str) -> str:
    """POSIX single quotes; each ``'`` becomes ``'"'"'``. Always quoted, even when plain."""
    if "\x00" in token:  # bash cannot carry NUL in an argument; refusing beats truncating
        raise ValueError("a shell token cannot contain NUL")
    return "'" + token.replace("'", "'\"'\"'") + "'"


def join_argv(argv: Sequence[str]) -> str:
    # A bare str is a Sequence[str] too; quoting it char by char would be a silent bug.
    if isinstance(argv, str):
        raise TypeError("argv must be a list of tokens, not a string")
    return " ".join(shell_quote(token) for token in argv)


def script(*parts: Sequence[str] | Op) -> str:
    """Join argv lists with operators: ``script(["a"], Op.AND, ["b", "x y"])``.

    Commands and operators must alternate, starting and ending with a command; after
    ``Op.WRITE`` comes a one-token list, the file to write."""
    if not parts:
        raise ValueError("a script needs at least one command")
    pieces: list[str] = []
    previous: Op | None = Op.SEQ  # as if after a separator: the script must open with argv
    for part in parts:
        if isinstance(part, Op):  # Op is a str: test it before the str check below
            if previous is not None:
                raise ValueError(f"operator {part.value!r} must follow a command")
            if part is Op.SEQ:
                pieces[-1] += ";"
            else:
                pieces.append(part.value)
            previous = part
            continue
        if isinstance(part, str):
            raise TypeError("script parts are argv lists or Op, not strings")
        if previous is None:
            raise ValueError("two commands in a row need an operator between them")
        if not part:
            raise ValueError("a command needs at least one token")
        if previous is Op.WRITE and len(part) != 1:
            raise ValueError("'>' takes exactly one token, the target path")
        pieces.append(join_argv(part))
        previous = None
    if previous is not None:
        raise ValueError(f"a script cannot end with operator {previous.value!r}")
    return " ".join(pieces)


def remote_command(script: str) -> list[str]:
    """The argv run on the head node; the SSH layer adds nothing else."""
    if "\x00" in script:
        raise ValueError("a remote script cannot contain NUL")
    return ["bash", "-lc", script]


def rendered_remote(script: str) -> str:
    """The pasteable form logged in ``CommandLogEntry.rendered`` (§14.1)."""
    return "bash -lc " + shell_quote(script)
