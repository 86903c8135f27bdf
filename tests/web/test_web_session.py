"""Signing in and out, and what anonymous visitors get."""

from __future__ import annotations

from web_portal import HTMX, Portal, make_client, seeded_container

SEEDED = (
    "admin@ursa.example",
    "ada@acme.example",
    "sam@acme.example",
    "gil@globex.example",
    "uma@globex.example",
)


def test_sign_in_page_lists_users_grouped_by_customer_with_roles(portal: Portal) -> None:
    page = portal.client.get("/sign-in")
    assert page.status_code == 200
    assert "<title>Sign in · Ursa</title>" in page.text
    for email in SEEDED:
        assert email in page.text
    assert page.text.index("Acme Genomics") < page.text.index("Globex Bio")
    assert page.text.index("Globex Bio") < page.text.index("Ursa (provider)")
    for role in ("Customer user", "Customer admin", "Provider admin"):
        assert role in page.text
    assert page.text.count('action="/sign-in"') == len(SEEDED)
    assert page.text.count('name="_csrf_token"') == len(SEEDED)


def test_signing_in_sets_the_session_and_opens_the_worksets(portal: Portal) -> None:
    response = portal.sign_in("sam@acme.example")
    assert response.status_code == 303
    assert response.headers["location"] == "/worksets"
    assert portal.client.cookies.get("session")
    page = portal.client.get("/worksets")
    assert page.status_code == 200
    assert "Sam Scientist" in page.text
    assert "sam@acme.example" in page.text
    assert "Customer user · Acme Genomics" in page.text


def test_signing_in_again_replaces_the_previous_user(portal: Portal) -> None:
    portal.sign_in("sam@acme.example")
    portal.sign_in("gil@globex.example")
    page = portal.client.get("/worksets")
    assert "Gil Admin" in page.text
    assert "Sam Scientist" not in page.text


def test_signing_in_issues_a_new_session_id(portal: Portal) -> None:
    portal.client.get("/sign-in")
    assert portal.client.cookies.get("session") is None  # no session before signing in
    host = portal.client.base_url.host
    portal.client.cookies.set("session", "a" * 64, domain=host)  # an id an attacker planted
    portal.sign_in("sam@acme.example")
    before = portal.client.cookies.get("session")
    assert before and before != "a" * 64
    portal.sign_in("sam@acme.example")  # signing in again rotates once more
    after = portal.client.cookies.get("session")
    assert after and after != before
    assert portal.client.get("/worksets").status_code == 200
    for held in ("a" * 64, before):  # whoever holds an id from before the last sign-in
        portal.client.cookies.set("session", held, domain=host)
        assert portal.client.get("/worksets", follow_redirects=False).status_code == 303


def test_sign_in_without_csrf_token_is_rejected(portal: Portal) -> None:
    portal.csrf()
    response = portal.client.post("/sign-in", data={"user_id": portal.user_id("sam@acme.example")})
    assert response.status_code == 403
    assert portal.client.get("/worksets").status_code == 303  # still signed out


def test_sign_in_as_unknown_user_goes_back_to_sign_in(portal: Portal) -> None:
    response = portal.client.post(
        "/sign-in", data={"user_id": "nobody", "_csrf_token": portal.csrf()}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"


def test_sign_out_ends_the_session(sam: Portal) -> None:
    response = sam.client.post("/sign-out", data={"_csrf_token": sam.csrf()})
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    again = sam.client.get("/worksets")
    assert again.status_code == 303
    assert again.headers["location"] == "/sign-in"


def test_anonymous_worksets_redirects_to_sign_in(portal: Portal) -> None:
    response = portal.client.get("/worksets")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"


def test_expired_session_on_an_htmx_request_goes_to_sign_in(portal: Portal) -> None:
    response = portal.client.get("/worksets", headers=HTMX)
    assert response.headers["hx-redirect"] == "/sign-in"
    assert "<html" not in response.text


def test_root_redirects_to_worksets(sam: Portal) -> None:
    response = sam.client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/worksets"


def test_without_dev_sign_in_there_is_no_user_list() -> None:
    container = seeded_container(dev_sign_in=False)
    with make_client(container) as client:
        page = client.get("/sign-in")
        assert page.status_code == 200
        assert "identity provider" in page.text
        assert "sam@acme.example" not in page.text
        assert 'name="user_id"' not in page.text
        token = client.cookies.get("csrftoken")
        response = client.post("/sign-in", data={"user_id": "x", "_csrf_token": token})
        assert response.status_code == 405
