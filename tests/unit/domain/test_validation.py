"""§11.1–11.3: identifiers, bucket names, S3 keys and URIs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ursa.domain.errors import InvalidInput
from ursa.domain.validation import (
    KEY_SEGMENT_RE,
    S3Uri,
    build_key,
    check_input_key,
    parse_s3_uri,
    safe_local_target,
    validate_bucket_name,
    validate_cluster_name,
    validate_customer_id,
    validate_email,
    validate_idempotency_key,
    validate_password,
    validate_pipeline_version,
    validate_region,
    validate_tmux_session,
    validate_workset_name,
)


def codes(exc: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {issue.code for issue in exc.value.issues}


# --- identifiers ---------------------------------------------------------------------------

SIMPLE = {
    "customer_id": validate_customer_id,
    "cluster_name": validate_cluster_name,
    "region": validate_region,
    "tmux_session": validate_tmux_session,
    "idempotency_key": validate_idempotency_key,
    "pipeline_version": validate_pipeline_version,
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer_id", "acme-genomics-3f9c01ab"),
        ("customer_id", "a-00000000"),
        ("cluster_name", "ursa-usw2-202611231015"),
        ("cluster_name", "A" + "b" * 59),
        ("region", "us-west-2"),
        ("region", "us-gov-west-1"),
        ("tmux_session", "ursa_acme-trio-7c1e2a9b-r1"),
        ("idempotency_key", "abcd_123-XYZ"),
        ("idempotency_key", "k" * 128),
        ("pipeline_version", "0.7.601"),
        ("pipeline_version", "v1_2-rc.3"),
    ],
)
def test_identifiers_accept(field: str, value: str) -> None:
    assert SIMPLE[field](value) == value


@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [
        ("customer_id", "Acme-3f9c01ab", "8 lowercase hex"),
        ("customer_id", "acme-3f9c01a", "8 lowercase hex"),
        ("customer_id", "acme-3f9c01ab\n", "8 lowercase hex"),
        ("customer_id", "-acme-3f9c01ab", "8 lowercase hex"),
        ("cluster_name", "1cluster", "a letter first"),
        ("cluster_name", "a_b", "a letter first"),
        ("cluster_name", "a" * 61, "1-60"),
        ("cluster_name", "", "1-60"),
        ("region", "US-west-2", "us-west-2"),
        ("region", "us-west-2\n", "us-west-2"),
        ("region", "us-west-12", "us-west-2"),
        ("region", "us-west-\u0662", "us-west-2"),  # an Arabic-Indic digit is not [0-9]
        ("tmux_session", "ursa_ab", "3-70"),
        ("tmux_session", "tmux_abc", "'ursa_'"),
        ("tmux_session", "ursa_ABC", "lowercase"),
        ("tmux_session", "ursa_a;b", "lowercase"),
        ("idempotency_key", "short", "8-128"),
        ("idempotency_key", "a b c d e f", "8-128"),
        ("idempotency_key", "k" * 129, "8-128"),
        ("pipeline_version", ".7", "a letter or digit first"),
        ("pipeline_version", "0.7 601", "letters, digits"),
        ("pipeline_version", "v" * 65, "1-64"),
        ("pipeline_version", "0.7;rm", "letters, digits"),
    ],
)
def test_identifiers_reject(field: str, value: str, hint: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        SIMPLE[field](value)
    assert codes(exc) == {"BAD_VALUE"}
    assert exc.value.issues[0].field == field
    assert exc.value.code == "VALIDATION_ERROR"
    assert hint in exc.value.message
    assert field in exc.value.message


def test_region_allow_list() -> None:
    allowed = frozenset({"us-west-2", "eu-central-1"})
    assert validate_region("us-west-2", allowed) == "us-west-2"
    with pytest.raises(InvalidInput) as exc:
        validate_region("us-east-1", allowed)
    assert codes(exc) == {"BAD_VALUE"}
    assert "eu-central-1, us-west-2" in exc.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Trio 1", "Trio 1"),
        ("  acme.trio_v2-1\t", "acme.trio_v2-1"),
        ("x", "x"),
        ("9" * 80, "9" * 80),
    ],
)
def test_workset_name_accept(raw: str, expected: str) -> None:
    assert validate_workset_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("-abc", "a letter or digit"),
        ("a" * 81, "1-80"),
        ("a\nb", "1-80"),
        ("a/b", "1-80"),
        ("a;rm -rf", "1-80"),
        ("Caf\u00e9", "1-80"),
        ("Cafe\u0301", "1-80"),
    ],
)
def test_workset_name_reject(raw: str, hint: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_workset_name(raw)
    assert codes(exc) == {"BAD_VALUE"}
    assert exc.value.issues[0].field == "name"
    assert hint in exc.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Alice@Example.COM", "alice@example.com"),
        (" bob.smith+tag@lab.example.org ", "bob.smith+tag@lab.example.org"),
    ],
)
def test_email_accept(raw: str, expected: str) -> None:
    assert validate_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("alice", "local-part@domain.tld"),
        ("a@b", "local-part@domain.tld"),
        ("a b@c.com", "local-part@domain.tld"),
        ("a@@b.com", "local-part@domain.tld"),
        ("a@b.c0m", "local-part@domain.tld"),
        ("a\x00b@c.com", "local-part@domain.tld"),
        ("a@b..com", "malformed domain"),
        ("a@-b.com", "malformed domain"),
    ],
)
def test_email_reject(raw: str, hint: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_email(raw)
    assert codes(exc) == {"BAD_VALUE"}
    assert exc.value.issues[0].field == "email"
    assert hint in exc.value.message


def test_email_allowed_domains() -> None:
    domains = frozenset({"Example.com"})
    assert validate_email("a@EXAMPLE.com", allowed_domains=domains) == "a@example.com"
    with pytest.raises(InvalidInput) as exc:
        validate_email("a@sub.example.com", allowed_domains=domains)
    assert "allowed domain" in exc.value.message


@pytest.mark.parametrize("password", ["correct horse", "x" * 8, "y" * 256, " pad ded "])
def test_password_accept(password: str) -> None:
    assert validate_password(password, email="alice@example.com") == password


@pytest.mark.parametrize(
    ("password", "hints"),
    [
        ("s3cr3t!", ["at least 8"]),
        ("", ["at least 8"]),
        ("z" * 257, ["at most 256"]),
        (" " * 10, ["only whitespace"]),
        ("\t \n", ["at least 8", "only whitespace"]),
        ("ALICE@example.com", ["same as the email"]),
    ],
)
def test_password_reject(password: str, hints: list[str]) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_password(password, email="alice@example.com")
    assert codes(exc) == {"BAD_VALUE"}
    assert len(exc.value.issues) == len(hints)
    for hint in hints:
        assert hint in exc.value.message
    if password.strip():
        assert password not in exc.value.message  # never echo a secret


# --- bucket names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["acme-genomics-ursa", "ursa-omics-analysis-us-west-2", "a.b-c", "abc", "a" * 63]
)
def test_bucket_accept(name: str) -> None:
    assert validate_bucket_name(name) == name


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("ab", "3-63"),
        ("a" * 64, "3-63"),
        ("Acme", "3-63"),
        ("-abc", "starting and ending"),
        ("abc-", "starting and ending"),
        ("a_b", "3-63"),
        ("a..b", "'..'"),
        ("192.168.1.1", "IPv4"),
        ("xn--abc", "'xn--'"),
        ("sthree-abc", "'sthree-'"),
        ("amzn-s3-demo-bucket", "'amzn-s3-demo-'"),
        ("abc-s3alias", "'-s3alias'"),
        ("abc--ol-s3", "'--ol-s3'"),
        ("abc\n", "3-63"),
    ],
)
def test_bucket_reject(name: str, hint: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_bucket_name(name)
    assert codes(exc) == {"BAD_VALUE"}
    assert exc.value.issues[0].field == "bucket"
    assert hint in exc.value.message


# --- S3 keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "S1_R1.fastq.gz",
        "sample..v2.bam",
        "dir/sub dir/file (1).fq.gz",
        "a/.hidden/...",
        "donn\u00e9es/x.fq",
        "%41%20",
        "x" * 1024,
        "\u00e9" * 512,  # exactly 1,024 UTF-8 bytes
    ],
)
def test_input_key_accept(key: str) -> None:
    assert check_input_key(key) == key


REJECTED_KEYS = [
    ("", "UNSAFE_KEY", "is empty"),
    ("a//b", "UNSAFE_KEY", "empty segment"),
    ("a/", "UNSAFE_KEY", "empty segment"),
    ("/a", "UNSAFE_KEY", "starts with '/'"),
    (".", "PATH_TRAVERSAL", "'..' segment"),
    ("./a", "PATH_TRAVERSAL", "'..' segment"),
    ("a/./b", "PATH_TRAVERSAL", "'..' segment"),
    ("..", "PATH_TRAVERSAL", "'..' segment"),
    ("../a", "PATH_TRAVERSAL", "'..' segment"),
    ("a/..", "PATH_TRAVERSAL", "'..' segment"),
    ("a\\b", "UNSAFE_KEY", "backslash"),
    ("a%2Eb", "UNSAFE_KEY", "encoded"),
    ("a%2fb", "UNSAFE_KEY", "encoded"),
    ("%5C", "UNSAFE_KEY", "encoded"),
    ("%2e%2E/x", "UNSAFE_KEY", "encoded"),
    ("a\x00b", "UNSAFE_KEY", "U+0000"),
    ("a\x1fb", "UNSAFE_KEY", "U+001F"),
    ("a\nb", "UNSAFE_KEY", "U+000A"),
    ("a\x7fb", "UNSAFE_KEY", "U+007F"),
    ("a\x85b", "UNSAFE_KEY", "U+0085"),
    ("a\x9fb", "UNSAFE_KEY", "U+009F"),
    *[
        (f"a{ch}b", "UNSAFE_KEY", f"U+{ord(ch):04X}")
        for ch in "\u2215\u2044\uff0f\u29f8\uff3c\u2024\u2025\ufe52\uff0e"
        + "\u202a\u202e\u2066\u2069\u200b\u200c\u200d\ufeff"
    ],
    ("e\u0301", "UNSAFE_KEY", "NFC"),
    ("\ufb01le", "UNSAFE_KEY", "NFKC"),
    ("\u00bd.txt", "UNSAFE_KEY", "NFKC"),
    ("a\ud800b", "UNSAFE_KEY", "surrogate"),
    ("x" * 1025, "UNSAFE_KEY", "1025 UTF-8 bytes"),
    ("\u00e9" * 513, "UNSAFE_KEY", "1026 UTF-8 bytes"),
]


@pytest.mark.parametrize(("key", "code", "hint"), REJECTED_KEYS)
def test_input_key_reject(key: str, code: str, hint: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        check_input_key(key)
    assert code in codes(exc)
    assert hint in exc.value.message
    assert all(issue.field == "key" for issue in exc.value.issues)


def test_input_key_reports_every_problem() -> None:
    with pytest.raises(InvalidInput) as exc:
        check_input_key("/a/../b\\c%2f", field="R1_FQ")
    assert [i.code for i in exc.value.issues] == ["PATH_TRAVERSAL"] + ["UNSAFE_KEY"] * 3
    assert {i.field for i in exc.value.issues} == {"R1_FQ"}


@pytest.mark.parametrize(
    ("prefix", "segments", "expected"),
    [
        ("worksets/ws1", ("results", "x.json"), "worksets/ws1/results/x.json"),
        ("worksets/ws1/", ("daylily.ready",), "worksets/ws1/daylily.ready"),
        ("w", ("sample..v2.bam",), "w/sample..v2.bam"),
        ("w", ("...",), "w/..."),
    ],
)
def test_build_key_accept(prefix: str, segments: tuple[str, ...], expected: str) -> None:
    assert build_key(prefix, *segments) == expected


@pytest.mark.parametrize(
    ("prefix", "segments", "code", "hint"),
    [
        ("w", (".",), "PATH_TRAVERSAL", "traversal"),
        ("w", ("..",), "PATH_TRAVERSAL", "traversal"),
        ("w", ("a", "..", "b"), "PATH_TRAVERSAL", "traversal"),
        ("w", ("a/b",), "UNSAFE_KEY", "1-255"),
        ("w", ("",), "UNSAFE_KEY", "1-255"),
        ("w", ("a b",), "UNSAFE_KEY", "1-255"),
        ("w", ("\u00e9",), "UNSAFE_KEY", "1-255"),
        ("w", ("x" * 256,), "UNSAFE_KEY", "1-255"),
        ("w", ("x" * 255,) * 5, "UNSAFE_KEY", "UTF-8 bytes"),
        ("w", (), "UNSAFE_KEY", "at least one segment"),
        ("", ("a",), "UNSAFE_KEY", "prefix"),
        ("/", ("a",), "UNSAFE_KEY", "prefix"),
        ("/abs", ("a",), "UNSAFE_KEY", "starts with '/'"),
        ("a/../b", ("c",), "PATH_TRAVERSAL", "'..' segment"),
        ("a//", ("c",), "UNSAFE_KEY", "empty segment"),
    ],
)
def test_build_key_reject(prefix: str, segments: tuple[str, ...], code: str, hint: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        build_key(prefix, *segments)
    assert code in codes(exc)
    assert hint in exc.value.message


@pytest.mark.parametrize("segment", [".", ".."])
def test_build_key_names_the_dot_segment(segment: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        build_key("w", "a", segment)
    assert exc.value.issues[0].field == "segments"
    assert f"key segment {segment!r}" in exc.value.message


SEGMENT = st.text(alphabet="ab._-", min_size=1, max_size=6)


@given(
    prefix=st.lists(SEGMENT, min_size=1, max_size=3).map("/".join),
    trailing=st.booleans(),
    segments=st.lists(st.one_of(SEGMENT, st.text(max_size=4)), min_size=1, max_size=4),
)
def test_build_key_property(prefix: str, trailing: bool, segments: list[str]) -> None:
    clean_prefix = prefix not in {".", ".."} and not {".", ".."} & set(prefix.split("/"))
    clean_segments = all(KEY_SEGMENT_RE.fullmatch(s) and s not in {".", ".."} for s in segments)
    try:
        key = build_key(prefix + "/" * trailing, *segments)
    except InvalidInput:
        assert not (clean_prefix and clean_segments)  # a well-formed request is never refused
        return
    assert clean_prefix
    assert clean_segments
    assert key.startswith(prefix + "/")
    assert ".." not in key.split("/")
    assert key == prefix + "/" + "/".join(segments)


@given(st.one_of(st.text(alphabet="ab./\\%2eE5cf \u2215\u00e9\u0301", max_size=12), st.text()))
def test_input_key_property(key: str) -> None:
    try:
        check_input_key(key)
    except InvalidInput:
        return
    parts = key.split("/")
    assert "" not in parts
    assert "." not in parts
    assert ".." not in parts
    assert "\\" not in key
    assert "%2e" not in key.lower()


# --- S3 URIs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "bucket", "key"),
    [
        (
            "s3://acme-genomics-ursa/worksets/x/R1.fastq.gz",
            "acme-genomics-ursa",
            "worksets/x/R1.fastq.gz",
        ),
        ("s3://b.example/sample..v2.bam", "b.example", "sample..v2.bam"),
    ],
)
def test_parse_s3_uri_accept(uri: str, bucket: str, key: str) -> None:
    parsed = parse_s3_uri(uri)
    assert parsed == S3Uri(bucket=bucket, key=key)
    assert str(parsed) == uri


@pytest.mark.parametrize(
    ("uri", "key"),
    [
        ("s3://acme-ursa/worksets/ws1/results/", "worksets/ws1/results/"),
        ("s3://acme-ursa/worksets/ws1", "worksets/ws1"),
        ("s3://acme-ursa/", ""),
        ("s3://acme-ursa", ""),
    ],
)
def test_parse_s3_uri_prefix(uri: str, key: str) -> None:
    parsed = parse_s3_uri(uri, allow_prefix=True)
    assert parsed.key == key
    assert str(parsed) == f"s3://acme-ursa/{key}"


@pytest.mark.parametrize(
    ("uri", "code", "hint"),
    [
        ("s3:/bucket/x", "BAD_S3_URI", "must start with 's3://'"),
        ("S3://bucket/x", "BAD_S3_URI", "must start with 's3://'"),
        ("s3:bucket/x", "BAD_S3_URI", "must start with 's3://'"),
        ("https://bucket/x", "BAD_S3_URI", "must start with 's3://'"),
        (" s3://bucket/x", "BAD_S3_URI", "must start with 's3://'"),
        ("s3://", "BAD_S3_URI", "no bucket"),
        ("s3:///x", "BAD_S3_URI", "no bucket"),
        ("s3://Bad_Bucket/x", "BAD_S3_URI", "3-63"),
        ("s3://192.168.0.1/x", "BAD_S3_URI", "IPv4"),
        ("s3://bucket", "BAD_S3_URI", "no object key"),
        ("s3://bucket/", "BAD_S3_URI", "no object key"),
        ("s3://bucket/a/../b", "PATH_TRAVERSAL", "'..' segment"),
        ("s3://bucket/./b", "PATH_TRAVERSAL", "'..' segment"),
        ("s3://bucket/a//b", "UNSAFE_KEY", "empty segment"),
        ("s3://bucket//a", "UNSAFE_KEY", "starts with '/'"),
        ("s3://bucket/a/", "UNSAFE_KEY", "empty segment"),
        ("s3://bucket/a%2F..%2Fb", "UNSAFE_KEY", "encoded"),
    ],
)
def test_parse_s3_uri_reject(uri: str, code: str, hint: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_s3_uri(uri)
    assert code in codes(exc)
    assert hint in exc.value.message
    assert all(issue.field == "uri" for issue in exc.value.issues)


@pytest.mark.parametrize(
    ("uri", "code"),
    [("s3://bucket/a/../", "PATH_TRAVERSAL"), ("s3://bucket/results//", "UNSAFE_KEY")],
)
def test_parse_s3_uri_prefix_reject(uri: str, code: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_s3_uri(uri, allow_prefix=True)
    assert code in codes(exc)


# --- S3 -> local writers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("root", "key", "expected"),
    [
        ("/tmp/dl", "a/b.txt", "/tmp/dl/a/b.txt"),
        ("/tmp/dl/", "sample..v2.bam", "/tmp/dl/sample..v2.bam"),
        ("/", "x", "/x"),
    ],
)
def test_safe_local_target_accept(root: str, key: str, expected: str) -> None:
    assert safe_local_target(root, key) == expected


@pytest.mark.parametrize(
    ("root", "key", "code"),
    [
        ("/tmp/dl", "..", "PATH_TRAVERSAL"),
        ("/tmp/dl", "prefix/..", "PATH_TRAVERSAL"),
        ("/tmp/dl", "a/../../x", "PATH_TRAVERSAL"),
        ("/tmp/dl", "/etc/passwd", "UNSAFE_KEY"),
        ("/tmp/dl", "\\evil", "UNSAFE_KEY"),
        ("/tmp/dl", "..%2Fx", "UNSAFE_KEY"),
        ("tmp/dl", "x", "BAD_VALUE"),
        ("/tmp/../dl", "x", "BAD_VALUE"),
    ],
)
def test_safe_local_target_reject(root: str, key: str, code: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        safe_local_target(root, key)
    assert code in codes(exc)
