"""The workset search language (domain/search.py): operators, quoting, dates, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ursa.domain.enums import Priority, WorksetState, WorksetType
from ursa.domain.errors import InvalidInput
from ursa.domain.search import KEYS, SearchTerms, parse_instant, parse_search


def _at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def test_the_documented_example() -> None:
    terms = parse_search(
        "state:failed priority:urgent owner:sam@acme.example created>2026-11-01 "
        'type:clinical name:"exome batch" tumour'
    )
    assert terms == SearchTerms(
        states=frozenset({WorksetState.FAILED}),
        priorities=frozenset({Priority.URGENT}),
        types=frozenset({WorksetType.CLINICAL}),
        owners=("sam@acme.example",),
        names=("exome batch",),
        created_after=_at(2026, 11, 2),  # after the whole of 1 November
        text="tumour",
    )


def test_plain_text_is_untouched_and_empty_is_nothing() -> None:
    assert parse_search("") == SearchTerms()
    assert parse_search("   ") == SearchTerms()
    assert parse_search("NA12878 trio") == SearchTerms(text="NA12878 trio")
    assert parse_search("  cohort   b  ") == SearchTerms(text="cohort b")


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("STATE:Failed", SearchTerms(states=frozenset({WorksetState.FAILED}))),
        (
            "state:ready state:retrying",
            SearchTerms(states=frozenset({WorksetState.READY, WorksetState.RETRYING})),
        ),
        (
            "-state:complete -priority:low -type:ruo",
            SearchTerms(
                excluded_states=frozenset({WorksetState.COMPLETE}),
                excluded_priorities=frozenset({Priority.LOW}),
                excluded_types=frozenset({WorksetType.RUO}),
            ),
        ),
        ("owner:me owner:u-1", SearchTerms(owners=("me", "u-1"))),
        ("id:acme-trio id:acme", SearchTerms(id_prefixes=("acme-trio", "acme"))),
        ('name:"exome batch" name:7', SearchTerms(names=("exome batch", "7"))),
        ('name:"unclosed quote', SearchTerms(names=("unclosed quote",))),
        ('"state:failed"', SearchTerms(text="state:failed")),  # quoted: free text
        ('"a  b" c', SearchTerms(text="a  b c")),
        ("12:30 a<b x>=y -foo", SearchTerms(text="12:30 a<b x>=y -foo")),  # not operators
        ("naïve:x", SearchTerms(text="naïve:x")),  # a key is ASCII letters only
        ("--state:x", SearchTerms(text="--state:x")),
    ],
)
def test_operators(q: str, expected: SearchTerms) -> None:
    assert parse_search(q) == expected


@pytest.mark.parametrize(
    ("q", "after", "before"),
    [
        ("created:2026-11-01", _at(2026, 11, 1), _at(2026, 11, 2)),
        ("created>=2026-11-01", _at(2026, 11, 1), None),
        ("created>2026-11-01", _at(2026, 11, 2), None),
        ("created<2026-11-01", None, _at(2026, 11, 1)),
        ("created<=2026-11-01", None, _at(2026, 11, 2)),
        ("created>=2026-11-01T08:30:00Z", _at(2026, 11, 1, 8, 30), None),
        ("created>2026-11-01T08:30Z", _at(2026, 11, 1, 8, 30, 0, 1), None),
        ("created<=2026-11-01t08:30:00.5z", None, _at(2026, 11, 1, 8, 30, 0, 500001)),
        ("created<2026-11-01T09:30:00+01:00", None, _at(2026, 11, 1, 8, 30)),
        ("CREATED>=2026-11-01 created>=2026-11-05", _at(2026, 11, 5), None),  # tightest wins
        ("created<2026-11-05 created<=2026-11-01", None, _at(2026, 11, 2)),
        ("created>=2026-11-05 created<2026-11-01", _at(2026, 11, 5), _at(2026, 11, 1)),
    ],
)
def test_created_comparisons_are_exact(
    q: str, after: datetime | None, before: datetime | None
) -> None:
    terms = parse_search(q)
    assert (terms.created_after, terms.created_before) == (after, before)


def _issues(q: str) -> list[tuple[str, str, str]]:
    with pytest.raises(InvalidInput) as caught:
        parse_search(q)
    return [(i.field, i.code, i.message) for i in caught.value.issues]


@pytest.mark.parametrize(
    ("q", "code", "fragment"),
    [
        ("colour:blue", "UNKNOWN_OPERATOR", "'colour:'"),
        ("http://example.org", "UNKNOWN_OPERATOR", "'http:'"),
        ("state:done", "BAD_VALUE", "state: must be one of"),
        ("priority:high", "BAD_VALUE", "priority: must be one of"),
        ("type:wgs", "BAD_VALUE", "type: must be one of"),
        ("state:", "BAD_VALUE", "state: needs a value"),
        ('name:""', "BAD_VALUE", "name: needs a value"),
        ("-owner:me", "BAD_OPERATOR", "-owner:"),
        ("-name:x", "BAD_OPERATOR", "-name:"),
        ("id:a/b", "BAD_VALUE", "id:"),
        ("id:" + "a" * 65, "BAD_VALUE", "id:"),
        ("owner:" + "a" * 255, "BAD_VALUE", "owner:"),
        ("name:" + "a" * 201, "BAD_VALUE", "name:"),
        ("created>yesterday", "BAD_VALUE", "created>"),
        ("created:>=2026-11-01", "BAD_VALUE", "without a colon"),
        ("created<2026-11-01T08:00:00", "BAD_VALUE", "created< needs a timezone"),
        ("created>=2026-02-30", "BAD_VALUE", "created>= is not a valid date"),
        ("created>=2026-11-01T25:00Z", "BAD_VALUE", "created>= is not a valid date-time"),
        ("created<1899-12-31", "BAD_VALUE", "between 1900 and 9999"),
        ("created>9999-06-01", "BAD_VALUE", "between 1900 and 9999"),
        ("created<=0001-01-01T00:00:00+01:00", "BAD_VALUE", "out of range"),
        ("created>=２０２６-11-01", "BAD_VALUE", "created>="),  # non-ASCII digits
    ],
)
def test_problems_are_invalid_input_on_q_naming_the_operator(
    q: str, code: str, fragment: str
) -> None:
    ((field, got_code, message),) = _issues(q)
    assert (field, got_code) == ("q", code)
    assert fragment in message


def test_every_problem_is_reported_at_once_with_free_text_kept_out() -> None:
    issues = _issues("trio colour:blue state:done created>soon ok")
    assert [code for _, code, _ in issues] == ["UNKNOWN_OPERATOR", "BAD_VALUE", "BAD_VALUE"]
    assert len(_issues(" ".join(["bad:x"] * 50))) == 10  # bounded
    with pytest.raises(InvalidInput) as caught:
        parse_search("state:" + "x" * 5000)
    assert len(caught.value.message) < 300  # the value is shown shortened


def test_parse_instant_needs_a_full_date_time_with_zone() -> None:
    assert parse_instant("2026-11-01T08:00:00Z", "created_after") == _at(2026, 11, 1, 8)
    plus_two = parse_instant(" 2026-11-01T10:00:00.250+02:00 ", "created_after")
    assert plus_two == _at(2026, 11, 1, 8, 0, 0, 250000) and plus_two.tzinfo is UTC
    for bad in ("2026-11-01", "2026-11-01T08:00:00", "soon", "2026-11-01T08:00:00+25:00", ""):
        with pytest.raises(InvalidInput) as caught:
            parse_instant(bad, "created_before")
        assert [i.field for i in caught.value.issues] == ["created_before"]


_terms_alphabet = st.sampled_from(
    [*(k + ":" for k in KEYS), "-", '"', " ", ">", "<", "=", "created", "2026-11-01", "T", "Z"]
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), st.lists(st.one_of(_terms_alphabet, st.text(max_size=5))).map("".join)))
def test_the_parser_raises_nothing_but_invalid_input(q: str) -> None:
    outcome = _outcome(q)
    if isinstance(outcome, InvalidInput):
        assert outcome.issues and all(i.field == "q" for i in outcome.issues)
        return
    for bound in (outcome.created_after, outcome.created_before):
        assert bound is None or bound.utcoffset() == timedelta(0)
    assert '"' not in outcome.text and outcome.text == outcome.text.strip()


def _outcome(q: str) -> SearchTerms | InvalidInput:
    try:
        return parse_search(q)
    except InvalidInput as error:
        return error


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9998, 12, 30)))
def test_a_round_tripped_instant_is_the_same_instant(at: datetime) -> None:
    aware = at.replace(tzinfo=timezone(timedelta(hours=5, minutes=30)))
    text = aware.isoformat()
    assert parse_search(f"created>={text}").created_after == aware
    assert parse_instant(text, "created_after") == aware
