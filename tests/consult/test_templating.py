"""Template globals and render shortcuts give what they replace, byte for byte: the CSRF field and the phase
badge (formerly macros), the layout's links and id URLs (formerly ``url_for`` on every page), the receipt
file's ``data:`` URL (formerly ``quote`` of the whole text), the render context (formerly a ``ChainMap``
copy) and the context processors (formerly run twice in a blueprint's view)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from flask import render_template_string, url_for
from hypothesis import given
from hypothesis import strategies as st

from consult import templating
from consult.consultations.models import Phase
from consult.links import LAYOUT, MARKER, MAX_ROOTS
from consult.voting import services as voting
from consult.voting import views

from .voting_helpers import contest, receipt_file, to_phase

HOSTILE = [
    "",
    "plain",
    '"><img src=x onerror=alert(1)> </a>&amp; 100% #top?x=1&y=%0A\r\nLine 2 é ☃',
    "{{ 7*7 }} {% raw %} {title}",
    "\x00\x01\x7f\x80 ÿ Ā \u2028 \ufeff 𝄞 🗳️",
    "~-._ !*'();:@&=+$,/?#[]",
]

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
ID_URL = re.compile(r"id_url\(((?:'[\w.]+'|\s|if|else|\w)+?), (\w+)=")
OLD_MACROS = (
    '{% macro csrf() %}<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">{% endmacro %}'
    '{% macro phase_badge(phase) %}<span class="badge phase-{{ phase }}">{{ phase }}</span>{% endmacro %}'
)


@given(st.text())
def test_percent_encode_is_quote_with_nothing_safe(text):
    assert views.percent_encode(text) == quote(text, safe="")


@pytest.mark.parametrize("text", HOSTILE + ["\ud800 a lone surrogate"], ids=range(len(HOSTILE) + 1))
def test_percent_encode_matches_quote_on_hostile_text(text):
    try:
        expected = quote(text, safe="")
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            views.percent_encode(text)
        return
    assert views.percent_encode(text) == expected


def test_an_encoded_template_refuses_a_format_spec():
    with pytest.raises(ValueError, match="format spec"):
        views._percent_encoded("Total: {total:>8}")
    assert views._percent_encoded("a {b} c{{d}}") == "a%20{b}%20c%7Bd%7D"


@pytest.mark.parametrize("title", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("allow_change", [True, False])
def test_the_receipt_data_url_is_quote_of_the_receipt_text(app, title, allow_change):
    c = SimpleNamespace(
        id=12, public_id="contest-0123abcd", title=f"Title {title}", allow_change=allow_change
    )
    receipt = voting.CastReceipt(c.public_id, "ab" * 32, "cd" * 16, ["o1", "o3"])
    words = f"Alpha, {title}"
    with app.test_request_context("/", base_url="http://localhost/pre fix/"):
        text = views.receipt_text(c, receipt, words)
        url = views.receipt_data_url(c, receipt, words)
    assert url == "data:text/plain;charset=utf-8," + quote(text, safe="")
    assert f"Title {title}" in text and "http://localhost/pre fix/contests/12/bulletin" in text


def test_the_receipt_page_link_decodes_to_the_receipt_text(make, client, login):
    c, consultation, organiser = contest(make, "budget")
    to_phase(consultation, organiser, Phase.VOTING)
    login(client, make.user())
    page = client.post(f"/contests/{c.id}/cast", data={"choice": ["o2", "o3"]}).get_data(as_text=True)
    _, text = receipt_file(page)
    assert text.startswith("Ballot receipt\n") and "Your choices:   Beta, Gamma\n" in text


@pytest.mark.parametrize("phase", HOSTILE + [Phase.VOTING], ids=range(len(HOSTILE) + 1))
def test_the_csrf_field_and_phase_badge_are_the_old_macros_output(app, phase):
    with app.test_request_context("/"):
        old = render_template_string(OLD_MACROS + "{{ csrf() }}|{{ phase_badge(phase) }}", phase=phase)
        new = render_template_string("{{ csrf() }}|{{ phase_badge(phase) }}", phase=phase)
        assert new == old
        assert 'name="csrf_token" value="' in new


def _id_url_calls() -> set[tuple[str, str]]:
    """(endpoint, argument) of every ``id_url`` call in the templates."""
    calls = set()
    for path in TEMPLATES.rglob("*.html"):
        for endpoints, name in ID_URL.findall(path.read_text()):
            calls.update((endpoint, name) for endpoint in re.findall(r"'([\w.]+)'", endpoints))
    return calls


def test_id_url_is_url_for_and_falls_back_for_anything_else(app):
    used = _id_url_calls()
    assert ("voting.cast", "contest_id") in used and ("consultations.detail", "cid") in used
    cases = [(endpoint, {name: n}) for endpoint, name in sorted(used) for n in (0, 7, MARKER, 2**31 - 1)]
    cases += [
        ("voting.contest", {"contest_id": "12"}),  # not an int: url_for
        ("voting.contest", {"contest_id": True}),
        ("auth.login", {"next": "/contests/3?x=<b>"}),
        ("home.index", {}),
    ]
    id_url = app.jinja_env.globals["id_url"]
    for root in ("", "/consult", "/pre fix", ""):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            for endpoint, values in cases:
                assert id_url(endpoint, **values) == url_for(endpoint, **values), (root, endpoint, values)


def test_the_layout_links_are_url_for_under_each_script_root(app):
    layout_links = app.jinja_env.globals["layout_links"]
    for root in ("/consult", "", "/consult"):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            links = layout_links()
            for name, (endpoint, values) in LAYOUT.items():
                assert getattr(links, name) == url_for(endpoint, **values)


def test_the_link_caches_remember_a_bounded_number_of_script_roots(app):
    """A trusted proxy may send any ``SCRIPT_NAME``: past MAX_ROOTS roots the links are built per call."""
    layout_links, id_url = app.jinja_env.globals["layout_links"], app.jinja_env.globals["id_url"]
    for n in range(3 * MAX_ROOTS):
        with app.test_request_context("/", base_url=f"http://localhost/root{n}/"):
            assert layout_links().home == url_for("home.index") == f"/root{n}/"
            assert id_url("voting.cast", contest_id=n) == url_for("voting.cast", contest_id=n)
    assert layout_links.roots is id_url.roots and len(id_url.roots) == MAX_ROOTS


def test_a_render_context_holds_the_globals_under_the_template_s_own(app):
    env = app.jinja_env
    template = env.get_template("voting/receipt.html", globals={"Role": "overlaid"})
    assert type(template) is templating.Template
    context = template.new_context({"contest": 1})
    assert context.parent == {**env.globals, "Role": "overlaid", "contest": 1}
    assert context.globals_keys == set(env.globals)
    shared = {"only": 1}
    included = template.new_context(shared, shared=True)  # an include: the including page's variables
    assert included.parent is shared and included.globals_keys == set(env.globals)


def test_a_blueprint_view_runs_the_default_context_processor_once(app, client):
    """The application's own copy stays (first in the list); the blueprints' copies are gone."""
    default = app.template_context_processors[None][0]
    assert default.__name__ == "_default_template_ctx_processor"
    assert "voting" in app.template_context_processors
    for name, processors in app.template_context_processors.items():
        assert name is None or default not in processors, name
    page = client.get("/auth/login").get_data(as_text=True)  # the layout reads g, request and session
    assert 'name="csrf-token" content="' in page and 'href="/auth/register"' in page
