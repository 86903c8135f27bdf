"""§11.4 local paths and §11.5 shell quoting."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ursa.domain.errors import InvalidInput
from ursa.domain.shell import (
    Op,
    check_clean_path,
    check_local_path,
    check_removable_pipeline_dir,
    join_argv,
    realpath_matches,
    remote_command,
    rendered_remote,
    script,
    shell_quote,
)

ROOTS = ("/fsx/data", "/fsx/staged_sample_data/")
WS = "acme-trio-7c1e2a9b"
D = f"/fsx/analysis_results/ubuntu/{WS}/daylily-omics-analysis"

# --- local paths ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/fsx/data/x", "/fsx/data/x"),
        ("/fsx/data/x/", "/fsx/data/x"),
        ("/fsx/data/a/b c/..d", "/fsx/data/a/b c/..d"),
        (
            "/fsx/staged_sample_data/remote_stage_1/R1.fq",
            "/fsx/staged_sample_data/remote_stage_1/R1.fq",
        ),
    ],
)
def test_local_path_accept(path: str, expected: str) -> None:
    assert check_local_path(path, ROOTS) == expected


@pytest.mark.parametrize(
    ("path", "code", "hint"),
    [
        ("/fsx/data-evil/x", "LOCAL_PATH_OUTSIDE_ROOTS", "not under an allowed root"),
        ("/fsx/data", "LOCAL_PATH_OUTSIDE_ROOTS", "not under an allowed root"),
        ("/fsx/data/", "LOCAL_PATH_OUTSIDE_ROOTS", "not under an allowed root"),
        ("/fsx", "LOCAL_PATH_OUTSIDE_ROOTS", "/fsx/data, /fsx/staged_sample_data/"),
        ("/", "LOCAL_PATH_OUTSIDE_ROOTS", "not under an allowed root"),
        ("", "BAD_VALUE", "is empty"),
        ("fsx/data/x", "BAD_VALUE", "must be absolute"),
        ("/fsx/data/a\x00b", "BAD_VALUE", "U+0000"),
        ("/fsx/data/a\nb", "BAD_VALUE", "U+000A"),
        ("/fsx/data/../etc", "BAD_VALUE", "'..' segment"),
        ("/fsx/data/./x", "BAD_VALUE", "'..' segment"),
        ("/fsx/data/x/..", "BAD_VALUE", "'..' segment"),
        ("/fsx/data//x", "BAD_VALUE", "empty segment"),
        ("/fsx/data/x//", "BAD_VALUE", "empty segment"),
        ("//fsx/data/x", "BAD_VALUE", "empty segment"),
        ("/fsx/data/" + "x" * 4087, "BAD_VALUE", "4097 bytes"),
    ],
)
def test_local_path_reject(path: str, code: str, hint: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_local_path(path, ROOTS)
    assert exc.value.issues[0].code == code
    assert exc.value.issues[0].field == "path"
    assert hint in exc.value.message


def test_local_path_at_byte_limit_and_root_slash() -> None:
    longest = "/fsx/data/" + "x" * 4086
    assert check_local_path(longest, ROOTS) == longest
    assert check_local_path("/anything", ("/",)) == "/anything"
    with pytest.raises(InvalidInput):
        check_local_path("/fsx/data/x", ())


@pytest.mark.parametrize("root", ["relative", "/fsx/../etc", "", "/fsx//data"])
def test_bad_configured_root_is_a_deployment_bug(root: str) -> None:
    with pytest.raises(ValueError, match="allowed root"):
        check_local_path("/fsx/data/x", (root,))


def test_check_clean_path_field() -> None:
    assert check_clean_path("/a/b/") == "/a/b"
    with pytest.raises(InvalidInput) as exc:
        check_clean_path("/a/../b", field="root")
    assert exc.value.issues[0].field == "root"


@pytest.mark.parametrize(
    ("lexical", "resolved", "expected"),
    [
        (D, D, True),
        (D + "/", D, True),
        (D, D + "/", True),
        ("/", "/", True),
        (D, "/fsx/other/daylily-omics-analysis", False),
        (D, D + "//", False),
        (D, "", False),
        ("", "", False),
        ("/FSX/a", "/fsx/a", False),
    ],
)
def test_realpath_matches(lexical: str, resolved: str, expected: bool) -> None:
    assert realpath_matches(lexical, resolved) is expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (D, D),
        (D + "/", D),
        (f"/fsx/analysis_results/ubuntu/{WS}", f"/fsx/analysis_results/ubuntu/{WS}"),
    ],
)
def test_removable_pipeline_dir_accept(path: str, expected: str) -> None:
    assert check_removable_pipeline_dir(path, WS) == expected


@pytest.mark.parametrize(
    ("path", "workdir", "code", "hint"),
    [
        ("/fsx/analysis_results/ubuntu/", WS, "LOCAL_PATH_OUTSIDE_ROOTS", "allowed root"),
        ("/fsx/analysis_results/ubuntu", WS, "LOCAL_PATH_OUTSIDE_ROOTS", "allowed root"),
        (f"/fsx/analysis_results/ubuntu-evil/{WS}", WS, "LOCAL_PATH_OUTSIDE_ROOTS", "allowed root"),
        (f"/fsx/data/{WS}", WS, "LOCAL_PATH_OUTSIDE_ROOTS", "allowed root"),
        ("/fsx/analysis_results/ubuntu/other/daylily-omics-analysis", WS, "BAD_VALUE", "expected"),
        (f"/fsx/analysis_results/ubuntu/x/{WS}", WS, "BAD_VALUE", "not the pipeline dir"),
        (f"{D}/results", WS, "BAD_VALUE", "not the pipeline dir"),
        (f"/fsx/analysis_results/ubuntu/{WS}/other", WS, "BAD_VALUE", "not the pipeline dir"),
        (f"/fsx/analysis_results/ubuntu/{WS}/../{WS}", WS, "BAD_VALUE", "'..' segment"),
        (D, "", "BAD_VALUE", "workdir_name"),
        (D, "..", "BAD_VALUE", "workdir_name"),
        (D, "a/b", "BAD_VALUE", "workdir_name"),
    ],
)
def test_removable_pipeline_dir_reject(path: str, workdir: str, code: str, hint: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_removable_pipeline_dir(path, workdir)
    assert exc.value.issues[0].code == code
    assert hint in exc.value.message


def test_removable_pipeline_dir_custom_base() -> None:
    assert check_removable_pipeline_dir("/scratch/ws1", "ws1", base="/scratch") == "/scratch/ws1"


# --- quoting -------------------------------------------------------------------------------

HOSTILE = [
    "",
    "plain",
    "it's",
    "'",
    "''",
    '"',
    "a b\tc\nd",
    "$(rm -rf /)",
    "`id`",
    "${HOME}",
    "; rm -rf / #",
    "a && b || c | d > e < f",
    "\\",
    "*?[a]~",
    "-n",
    "--",
    "!event",
    "caf\u00e9 \u202e\u200b",
    "'\"'\"'",
]


@pytest.mark.parametrize(
    ("token", "quoted"),
    [("", "''"), ("abc", "'abc'"), ("it's", "'it'\"'\"'s'"), ("a b", "'a b'")],
)
def test_shell_quote_exact(token: str, quoted: str) -> None:
    assert shell_quote(token) == quoted


def test_shell_quote_refuses_nul() -> None:
    with pytest.raises(ValueError, match="NUL"):
        shell_quote("a\x00b")


def test_join_argv_round_trips_hostile_tokens() -> None:
    assert shlex.split(join_argv(HOSTILE)) == HOSTILE


def test_join_argv_refuses_a_bare_string() -> None:
    with pytest.raises(TypeError):
        join_argv("rm -rf /")


@given(st.lists(st.text().filter(lambda s: "\x00" not in s)))
def test_join_argv_property(tokens: list[str]) -> None:
    assert shlex.split(join_argv(tokens)) == tokens


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_real_bash_sees_the_exact_tokens() -> None:
    # printf prints each argument NUL-terminated, so we get back exactly what bash parsed.
    line = script(["printf", "%s\\0", *HOSTILE])
    out = subprocess.run(["bash", "-c", line], capture_output=True, check=True, timeout=10)
    assert out.stdout.decode().split("\x00")[:-1] == HOSTILE


# --- scripts -------------------------------------------------------------------------------


def test_script_matches_the_logged_shapes() -> None:
    session = f"ursa_{WS}-r1"
    launch = f"bash -l .ursa/{WS}-r1/launch.sh"
    has = ["tmux", "has-session", "-t", session]
    new = ["tmux", "new-session", "-d", "-s", session, "-c", D, launch]
    assert script(has, Op.OR, new) == (
        f"'tmux' 'has-session' '-t' '{session}' || 'tmux' 'new-session' '-d' '-s' "
        f"'{session}' '-c' '{D}' 'bash -l .ursa/{WS}-r1/launch.sh'"
    )
    status = script(["cat", f"{D}/status.json"], Op.SEQ, ["test", "-e", f"{D}/x"])
    assert status == f"'cat' '{D}/status.json'; 'test' '-e' '{D}/x'"
    upload = script(["printf", "%s", "aGk="], Op.PIPE, ["base64", "-d"], Op.WRITE, [f"{D}/f"])
    assert upload == f"'printf' '%s' 'aGk=' | 'base64' '-d' > '{D}/f'"
    assert script(["a"], Op.AND, ["b"]) == "'a' && 'b'"


@pytest.mark.parametrize(
    ("parts", "error"),
    [
        ((), ValueError),
        ((Op.AND, ["a"]), ValueError),
        ((["a"], Op.AND), ValueError),
        ((["a"], Op.SEQ), ValueError),
        ((["a"], Op.AND, Op.OR, ["b"]), ValueError),
        ((["a"], ["b"]), ValueError),
        ((["a"], Op.AND, []), ValueError),
        ((["a"], Op.WRITE, ["x", "y"]), ValueError),
        (("rm -rf /",), TypeError),
        ((["a"], Op.AND, "b"), TypeError),
        ((["a\x00"],), ValueError),
    ],
)
def test_script_refuses_malformed_templates(
    parts: tuple[Sequence[str] | Op, ...], error: type[Exception]
) -> None:
    with pytest.raises(error):
        script(*parts)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_script_operators_run_as_operators_and_data_stays_data() -> None:
    line = script(["true"], Op.AND, ["echo", "$(id) ; x"], Op.OR, ["echo", "no"])
    out = subprocess.run(["bash", "-c", line], capture_output=True, check=True, timeout=10)
    assert out.stdout == b"$(id) ; x\n"


def test_remote_forms() -> None:
    line = script(["test", "-s", "/fsx/data/it's here"])
    assert remote_command(line) == ["bash", "-lc", line]
    rendered = rendered_remote(line)
    assert rendered.startswith("bash -lc '")
    assert shlex.split(rendered) == ["bash", "-lc", line]
    with pytest.raises(ValueError, match="NUL"):
        remote_command("a\x00")
    with pytest.raises(ValueError, match="NUL"):
        rendered_remote("a\x00")


@given(st.lists(st.text().filter(lambda s: "\x00" not in s), min_size=1))
def test_rendered_remote_property(tokens: list[str]) -> None:
    line = script(tokens)
    assert shlex.split(rendered_remote(line)) == ["bash", "-lc", line]
    assert shlex.split(line) == tokens
