"""Running one cell of the matrix: the request as the caller, the status it must answer,
and what a refusal may (not) say."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from matrix_table import KNOWN_BUGS, MATRIX
from matrix_vocabulary import HIDDEN, Payload
from tenancy_world import EMAILS, OWNER, PRINCIPALS, SEES_SUBJECT, SUBJECT, World

PROBLEM = "application/problem+json"


def cell_params(*, reads: bool) -> list[Any]:
    """``(route, principal, htmx)`` for every GET cell (``reads``), or every other cell."""
    params = []
    for (method, template), row in MATRIX.items():
        if (method == "GET") != reads:
            continue
        for principal in PRINCIPALS:
            for htmx in (False, True) if row.htmx else (False,):
                reason = KNOWN_BUGS.get((method, template, principal, htmx))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                name = f"{method} {template} {principal}{' htmx' if htmx else ''}"
                params.append(
                    pytest.param((method, template), principal, htmx, id=name, marks=marks)
                )
    return params


def _assert_refusal(world: World, response: httpx.Response, *, api: bool, htmx: bool) -> None:
    """A refusal says nothing about the subject, and is problem+json on the API."""
    text = response.text
    assert SUBJECT not in text and EMAILS[OWNER] not in text, text[:500]
    if api:
        assert response.headers["content-type"].startswith(PROBLEM)
        body = response.json()
        assert body["status"] == response.status_code
        body.pop("instance")  # the path the caller sent, which names the id they sent
        assert world.subject.workset_id not in json.dumps(body)
        return
    assert world.subject.workset_id not in text
    if htmx and response.status_code >= 400:
        assert response.headers.get("hx-reswap") == "none"  # a toast; the page stays


GHOST_ID = "no-such-workset-0badc0de"


def _normalized(response: httpx.Response, *, api: bool) -> object:
    if not api:
        return response.text
    body = response.json()
    for varying in ("instance", "request_id"):
        body.pop(varying, None)
    return body


def _assert_same_as_missing(
    world: World, route: tuple[str, str], principal: str, htmx: bool, hidden: httpx.Response
) -> None:
    """A hidden workset answers exactly as a workset that does not exist."""
    method, template = route
    row = MATRIX[route]
    payload = row.payload(world, principal) if row.payload else Payload()
    url = world.url(template).replace(world.subject.workset_id, GHOST_ID)
    missing = world.call(
        principal,
        method,
        url,
        htmx=htmx,
        params=row.query,
        json=payload.json,
        form=payload.form,
        content=payload.content,
        headers=payload.headers,
    )
    api = template.startswith("/api/")
    assert missing.status_code == hidden.status_code
    assert _normalized(missing, api=api) == _normalized(hidden, api=api)


def run_cell(world: World, route: tuple[str, str], principal: str, htmx: bool) -> None:
    method, template = route
    row = MATRIX[route]
    expect = row.expected(principal, htmx=htmx)
    url = world.url(template)
    payload = row.payload(world, principal) if row.payload else Payload()
    after = row.check(world, principal) if row.check else None
    response = world.call(
        principal,
        method,
        url,
        htmx=htmx,
        params=row.query,
        json=payload.json,
        form=payload.form,
        content=payload.content,
        headers=payload.headers,
    )
    assert response.status_code == expect.status, (
        f"{method} {url} as {principal}: {response.status_code} {response.text[:300]}"
    )
    if expect.location is not None:
        assert response.headers.get("location") == world.url(expect.location)
    if expect.hx_redirect is not None:
        assert response.headers.get("hx-redirect") == expect.hx_redirect
    if not expect.allowed:
        _assert_refusal(world, response, api=template.startswith("/api/"), htmx=htmx)
    if expect == HIDDEN and "{workset_id" in template:
        _assert_same_as_missing(world, route, principal, htmx, response)
    if row.names_subject and response.status_code == 200:
        # By id: a search box echoes the name it was asked for.
        shown = world.subject.workset_id in response.text
        assert shown == (principal in SEES_SUBJECT), f"{url} as {principal}"
    if after is not None:
        after(expect, response)
