"""The layout, the static files and the route table behind every rendered URL."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from web_portal import HTMX, Portal, links

import ursa.web

STATIC = Path(ursa.web.__file__).parent / "static"
HTMX_FILE = "/static/vendor/htmx-2.0.11.min.js"
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"


def css_rule(css: str, selector: str) -> str:
    match = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", css)
    assert match, selector
    return match.group(1)


def test_base_page_has_the_htmx_plumbing(sam: Portal) -> None:
    text = sam.client.get("/worksets").text
    assert '<html lang="en">' in text
    assert "<title>Worksets · Ursa</title>" in text
    assert '<div id="dialogs"></div>' in text
    assert '<div id="toasts" aria-live="polite"></div>' in text
    assert f'<script src="{HTMX_FILE}" defer></script>' in text
    assert '<script src="/static/js/ursa.js" defer></script>' in text
    body = re.search(r"<body ([^>]*)>", text)
    assert body
    assert 'hx-boost="true"' in body.group(1)
    header = re.search(r"hx-headers='\{\"x-csrftoken\": \"([^\"]+)\"\}'", body.group(1))
    assert header
    assert header.group(1) == sam.csrf()


def test_layout_has_brand_nav_user_menu_and_footer(sam: Portal) -> None:
    text = sam.client.get("/worksets").text
    assert '<svg class="brand-mark"' in text
    assert '<span class="brand-name">Ursa</span>' in text
    assert '<a href="/worksets" aria-current="page">Worksets</a>' in text
    assert '<details class="user-menu">' in text
    assert 'action="/sign-out"' in text
    assert '<footer class="site-footer">' in text
    assert text.index("</main>") < text.index("<footer")


def test_every_form_carries_a_csrf_input(sam: Portal) -> None:
    pages = [
        sam.client.get("/worksets").text,
        sam.client.get(f"/worksets/{sam.id_of('Validation set 2')}/cancel").text,
    ]
    for page in pages:
        for form in re.findall(r'<form[^>]*method="post"[^>]*>.*?</form>', page, re.S):
            assert 'name="_csrf_token"' in form


def test_static_files_are_served(portal: Portal) -> None:
    js = portal.client.get(HTMX_FILE)
    assert js.status_code == 200
    assert hashlib.sha256(js.content).hexdigest() == HTMX_SHA256
    for path in ("/static/js/ursa.js", "/static/css/app.css"):
        assert portal.client.get(path).status_code == 200
    readme = (STATIC / "vendor" / "README.md").read_text()
    assert "2.0.11" in readme
    assert HTMX_SHA256 in readme


def test_footer_is_in_the_flow_not_fixed_over_content() -> None:
    css = (STATIC / "css" / "app.css").read_text()
    assert "fixed" not in css_rule(css, ".site-footer")
    body = css_rule(css, "\nbody")
    assert "display: flex" in body
    assert "flex-direction: column" in body
    assert "flex: 1" in css_rule(css, ".content")


def test_user_menu_panel_stays_inside_the_viewport() -> None:
    panel = css_rule((STATIC / "css" / "app.css").read_text(), ".menu-panel")
    assert "right: 0" in panel
    assert "max-width: calc(100vw" in panel


def test_ursa_js_handles_dialogs_and_422() -> None:
    js = (STATIC / "js" / "ursa.js").read_text()
    assert "dialog[data-onload-showmodal]" in js
    assert "showModal()" in js
    assert '"closeDialog"' in js
    assert 'code: "422", swap: true' in js


def test_no_cdn_or_machine_paths_in_templates_or_static() -> None:
    root = STATIC.parent
    checkout = str(Path(__file__).resolve().parents[2])  # this machine's path to the project
    for path in [
        *root.glob("templates/**/*.html"),
        *STATIC.glob("css/*.css"),
        *STATIC.glob("js/*.js"),
    ]:
        text = path.read_text()
        assert "://" not in text.replace("http://www.w3.org", ""), path
        assert checkout not in text, path


def test_every_rendered_url_resolves_to_a_route(ada: Portal) -> None:
    """Defect 32: no link, action or hx-* URL may point at a route that does not exist."""
    pages = [
        ada.client.get("/worksets").text,
        ada.client.get("/worksets?limit=5").text,
        ada.client.get(f"/worksets/{ada.id_of('Cohort B wave 2')}").text,
        ada.client.get(f"/worksets/{ada.id_of('Truncated upload')}").text,
        ada.client.get(f"/worksets/{ada.id_of('Cohort B wave 2')}/cancel", headers=HTMX).text,
        ada.client.get(f"/worksets/{ada.id_of('Cohort B wave 3')}/cancel").text,
    ]
    urls = set().union(*(links(page) for page in pages))
    assert {"/worksets", "/sign-out", HTMX_FILE} <= urls
    assert any(url.endswith("/cancel") for url in urls)
    assert any("cursor=" in url for url in urls)
    for url in sorted(urls):
        status = ada.client.get(url).status_code
        assert status != 404, url
        assert status < 500, url


def test_sign_in_page_urls_resolve(portal: Portal) -> None:
    for url in links(portal.client.get("/sign-in").text):
        assert portal.client.get(url).status_code != 404, url
