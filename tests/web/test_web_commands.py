"""The provider admins' command log: an htmx-loaded region of the detail page, its filters,
and a 403 for everyone else."""

from __future__ import annotations

import re

import pytest
from web_portal import HTMX, Portal, command_entry, links

from ursa.domain.services.operations import MAX_ENTRIES
from ursa.web.forms import CommandFilters, parse_command_filters
from ursa.web.presenters_commands import SHOWN, present_command_log

NEWBORN = "Newborn screen Q4"


def seed_log(portal: Portal, name: str = NEWBORN) -> str:
    workset_id = portal.id_of(name)
    portal.log_commands(
        [
            command_entry(
                workset_id,
                1,
                label="clone_pipeline",
                rendered="git clone --depth 1 https://example.invalid/pipe.git",
                step="pipeline_starting",
                stdout="Cloning into 'pipe'...\ndone.",
                seconds=2.4,
            ),
            command_entry(
                workset_id,
                2,
                label="launch_pipeline",
                rendered="tmux new-session -d -s ursa-run 'bash run.sh'",
                step="pipeline_starting",
            ),
            command_entry(
                workset_id,
                3,
                label="poll_status",
                rendered="cat /fsx/run/status.json",
                stdout='{"pct": 42}',
            ),
            command_entry(
                workset_id,
                4,
                label="slurm_queue",
                rendered="squeue --me -h -o '%i|%T'",
                exit_code=1,
                stderr="slurm_load_jobs error: Socket timed out",
                seconds=125,
            ),
        ]
    )
    return workset_id


def entries(html: str) -> list[str]:
    """The labels of the listed commands, in page order."""
    return re.findall(
        r'<li id="command-\d+" class="command[^"]*" data-seq="[^"]+" data-label="([^"]+)"', html
    )


def test_detail_page_loads_the_command_log_for_provider_admins(pat: Portal) -> None:
    workset_id = pat.id_of(NEWBORN)
    text = pat.client.get(f"/worksets/{workset_id}").text
    loader = re.search(r'<section id="command-log"[^>]*>', text)
    assert loader
    assert f'hx-get="/worksets/{workset_id}/commands"' in loader.group(0)
    assert 'hx-trigger="load"' in loader.group(0)
    assert 'hx-swap="outerHTML"' in loader.group(0)
    assert f'<a href="/worksets/{workset_id}/commands">' in text  # and a real URL without JS


def test_admin_gets_the_fragment_with_entries_newest_first(pat: Portal) -> None:
    workset_id = seed_log(pat)
    response = pat.client.get(f"/worksets/{workset_id}/commands", headers=HTMX)
    assert response.status_code == 200
    text = response.text
    assert "<html" not in text
    assert text.lstrip().startswith('<section id="command-log"')
    assert entries(text) == ["slurm_queue", "poll_status", "launch_pipeline", "clone_pipeline"]
    assert "4 commands · 1 with a non-zero exit" in text
    # the rendered command, alone in its <pre>, escaped
    assert '<pre class="command-text"><code>squeue --me -h -o &#39;%i|%T&#39;</code></pre>' in text
    # time, step, exit code (non-zero highlighted) and duration
    assert '<time datetime="2026-11-23T14:05:13Z"' in text
    assert ">14:05:13</time>" in text
    assert '<span class="command-step">Pipeline starting</span>' in text
    assert '<span class="exit exit-failed">exit 1</span>' in text
    assert '<span class="exit">exit 0</span>' in text
    assert re.search(r'class="command command-failed"[^>]*data-label="slurm_queue"', text)
    assert "2 min 05 s" in text
    assert "2.4 s" in text
    # output tails collapse
    assert '<summary>stderr <span class="muted">· 1 line</span></summary>' in text
    assert '<summary>stdout <span class="muted">· 2 lines</span></summary>' in text
    assert "slurm_load_jobs error: Socket timed out</pre>" in text
    assert "No output." in text  # launch_pipeline printed nothing


def test_label_select_and_text_filter_are_wired_for_htmx(pat: Portal) -> None:
    workset_id = seed_log(pat)
    text = pat.client.get(f"/worksets/{workset_id}/commands", headers=HTMX).text
    url = f"/worksets/{workset_id}/commands"
    assert f'<form id="command-log-filters" class="filters" action="{url}" method="get"' in text
    select = re.search(r'<select id="command-label" name="label"[^>]*>', text)
    assert select
    assert 'hx-trigger="change"' in select.group(0)
    assert 'hx-select="#command-log-entries"' in select.group(0)
    assert '<label for="command-label">' in text
    search = re.search(r'<input id="command-q" type="search" name="q"[^>]*>', text)
    assert search
    assert f'hx-get="{url}"' in search.group(0)
    assert 'hx-trigger="input changed delay:300ms, search"' in search.group(0)
    assert 'hx-target="#command-log-entries"' in search.group(0)
    assert '<label for="command-q">' in text
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]+)</option>', text)
    assert options == [
        ("", "All labels"),
        ("clone_pipeline", "clone_pipeline (1)"),
        ("launch_pipeline", "launch_pipeline (1)"),
        ("poll_status", "poll_status (1)"),
        ("slurm_queue", "slurm_queue (1)"),
    ]


def test_filter_by_label(pat: Portal) -> None:
    workset_id = seed_log(pat)
    text = pat.client.get(
        f"/worksets/{workset_id}/commands", params={"label": "launch_pipeline"}, headers=HTMX
    ).text
    assert entries(text) == ["launch_pipeline"]
    assert "1 command match these filters" in text
    assert '<option value="launch_pipeline" selected>' in text
    assert '<option value="poll_status">' in text  # every label stays selectable
    assert 'id="command-2"' in text  # numbered within the whole log


def test_filter_by_text_searches_commands_and_output(pat: Portal) -> None:
    workset_id = seed_log(pat)
    url = f"/worksets/{workset_id}/commands"
    by_output = pat.client.get(url, params={"q": "SOCKET TIMED"}, headers=HTMX).text
    assert entries(by_output) == ["slurm_queue"]
    assert 'value="SOCKET TIMED"' in by_output
    by_command = pat.client.get(url, params={"q": "git clone"}, headers=HTMX).text
    assert entries(by_command) == ["clone_pipeline"]
    both = pat.client.get(url, params={"q": "status", "label": "slurm_queue"}, headers=HTMX).text
    assert entries(both) == []
    assert "No commands match these filters." in both


def test_full_page_without_htmx(pat: Portal) -> None:
    workset_id = seed_log(pat)
    response = pat.client.get(f"/worksets/{workset_id}/commands?label=poll_status")
    assert response.status_code == 200
    assert "<html" in response.text
    assert f"<title>Command log · {workset_id} · Ursa</title>" in response.text
    assert f'<a href="/worksets/{workset_id}" class="mono">' in response.text
    assert entries(response.text) == ["poll_status"]


def test_empty_log(pat: Portal) -> None:
    text = pat.client.get(f"/worksets/{pat.id_of('Validation set 2')}/commands", headers=HTMX).text
    assert "The engine has not run any command for this workset yet." in text
    assert entries(text) == []


def test_command_text_is_escaped(pat: Portal) -> None:
    workset_id = pat.id_of(NEWBORN)
    pat.log_commands(
        [command_entry(workset_id, 1, rendered="echo '<script>alert(1)</script>'", stdout="<b>")]
    )
    text = pat.client.get(f"/worksets/{workset_id}/commands", headers=HTMX).text
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;b&gt;</pre>" in text


@pytest.mark.parametrize("email", ["sam@acme.example", "ada@acme.example"])
def test_customers_get_403_and_no_command_log_section(portal: Portal, email: str) -> None:
    assert portal.sign_in(email).status_code == 303
    workset_id = seed_log(portal)
    fragment = portal.client.get(f"/worksets/{workset_id}/commands", headers=HTMX)
    assert fragment.status_code == 403
    assert "clone_pipeline" not in fragment.text
    assert 'id="toasts"' in fragment.text  # the error toast, swapped out-of-band
    page = portal.client.get(f"/worksets/{workset_id}/commands")
    assert page.status_code == 403
    assert "clone_pipeline" not in page.text
    detail = portal.client.get(f"/worksets/{workset_id}").text
    assert 'id="command-log"' not in detail
    assert "/commands" not in detail
    assert "Command log" not in detail


def test_another_tenants_workset_is_404_before_403(portal: Portal) -> None:
    assert portal.sign_in("gil@globex.example").status_code == 303
    response = portal.client.get(f"/worksets/{portal.id_of(NEWBORN)}/commands", headers=HTMX)
    assert response.status_code == 404


def test_long_logs_show_the_newest_and_say_so() -> None:
    many = [command_entry("ws-1", n) for n in range(1, SHOWN + 6)]
    view = present_command_log("ws-1", many, many, CommandFilters())
    assert len(view.rows) == SHOWN
    assert view.rows[0].number == SHOWN + 5
    assert view.summary.startswith(f"The newest {SHOWN} of {SHOWN + 5} commands")
    full = [command_entry("ws-1", n) for n in range(MAX_ENTRIES)]
    assert (
        "filter to reach later ones"
        in present_command_log("ws-1", full, full, CommandFilters()).summary
    )


def test_command_filters_are_trimmed_and_bounded() -> None:
    filters = parse_command_filters(label="  poll_status ", q=" x" * 200)
    assert filters.label == "poll_status"
    assert len(filters.q) == 200
    assert filters.active
    assert not parse_command_filters(label=None, q="  ").active


def test_every_url_on_the_admin_pages_resolves(pat: Portal) -> None:
    workset_id = seed_log(pat)
    pages = [
        pat.client.get(f"/worksets/{workset_id}").text,
        pat.client.get(f"/worksets/{workset_id}/commands").text,
        pat.client.get(f"/worksets/{workset_id}/commands", headers=HTMX).text,
    ]
    urls = set().union(*(links(page) for page in pages))
    assert f"/worksets/{workset_id}/commands" in urls
    for url in sorted(urls):
        status = pat.client.get(url).status_code
        assert status != 404, url
        assert status < 500, url
