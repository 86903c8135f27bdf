"""Fixtures of the web tier: a seeded portal, anonymous or signed in as a seeded user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web_portal import Portal, all_worksets, make_client, seeded_container


@pytest.fixture
def portal() -> Iterator[Portal]:
    """Anonymous: the CSRF cookie is set, nobody is signed in."""
    container = seeded_container()
    with make_client(container) as client:
        yield Portal(client=client, container=container, worksets=all_worksets(container))


@pytest.fixture
def sam(portal: Portal) -> Portal:
    """Sam Scientist, a customer_user of Acme (sees only own worksets)."""
    assert portal.sign_in("sam@acme.example").status_code == 303
    return portal


@pytest.fixture
def ada(portal: Portal) -> Portal:
    """Ada Admin, customer_admin of Acme (sees all of Acme)."""
    assert portal.sign_in("ada@acme.example").status_code == 303
    return portal


@pytest.fixture
def pat(portal: Portal) -> Portal:
    """Pat Provider, a provider_admin (every tenant, the engine's command log)."""
    assert portal.sign_in("admin@ursa.example").status_code == 303
    return portal
