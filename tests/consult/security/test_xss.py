"""Stored XSS: hostile text typed into every field that is shown again renders inert on every page (as
every kind of visitor, plain and htmx) and in every export (JSON, CSV).

The payloads go in through the real forms, as an attacker would send them: display names, consultation
title, summary and description, invitation labels, census file names and contents, proposals, comments,
replies, flag and moderation reasons, official answers. Pages are then parsed as HTML: no event-handler
attribute, no script other than the app's own, no frame or object, no ``javascript:`` URL, no htmx
attribute from user text, no tag a payload invented.
"""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

from consult.csvexport import DANGEROUS

from .conftest import path_of, rules, send

PAYLOADS = [
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">click</a>',
    "'';!--\"<XSS>=&{()}",
    '<iframe src="//evil.example"></iframe>',
    '<a hx-post="/auth/logout?evil" hx-trigger="load">x</a>',
    '<div data-hx-get="/evil" data-hx-trigger="load">x</div>',
    '<meta http-equiv="refresh" content="0;url=//evil.example">',
    '[click](javascript:alert(1)) ![x](x" onerror="alert(1))',
    '<style>body{display:none}</style><p style="color:red">x</p>',
    '=HYPERLINK("http://evil.example","x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd",
    "-2+3+cmd",
]
FORBIDDEN_TAGS = {"iframe", "object", "embed", "base", "xss", "frame", "applet", "style"}


class Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "script" and not (values.get("src") or "").startswith("/"):
            self.problems.append("inline or foreign <script>")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append("<meta http-equiv>")
        for name, value in attrs:
            text = (value or "").strip().lower()
            if name.startswith("on") or name == "style":
                self.problems.append(f"<{tag} {name}=>")
            if text.startswith(("javascript:", "vbscript:", "data:text/html")):
                self.problems.append(f"<{tag} {name}={text[:30]}>")
            if (name.startswith(("hx-", "data-hx-")) or name == "hx") and "evil" in text:
                self.problems.append(f"<{tag} {name}={text[:30]}> from user text")


def html_problems(html: str) -> list[str]:
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems


def plant(client, login, world) -> None:
    """Send every payload through every form field that is stored and shown again."""
    users = world.users
    login(client, users["author"])
    for i, payload in enumerate(PAYLOADS):
        comment = send(
            client,
            "POST",
            f"/consultations/{world.consultation.id}/comments",
            data={"body": payload, "stance": "for"},
        )
        assert comment.status_code == 303, comment.status_code
        reply = send(client, "POST", f"/comments/{world.comment.id}/reply", data={"body": payload})
        assert reply.status_code == 303
        proposal = send(
            client,
            "POST",
            f"/consultations/{world.consultation.id}/proposals/new",
            data={"title": f"{payload} {i}"[:200], "body": payload},
        )
        assert proposal.status_code == 303, proposal.status_code
        send(client, "POST", f"/proposals/{world.proposal.id}/flag", data={"reason": payload[:200]})
    login(client, users["owner"])
    edit = send(
        client,
        "POST",
        f"/consultations/{world.consultation.id}/edit",
        data={
            "title": PAYLOADS[1],
            "summary": " ".join(PAYLOADS[:4]),
            "description_md": "\n\n".join(PAYLOADS),
        },
    )
    assert edit.status_code == 303, edit.status_code
    send(
        client,
        "POST",
        f"/proposals/{world.proposal.id}/answer",
        data={"status": "accepted", "answer": "\n\n".join(PAYLOADS)},
    )
    send(
        client,
        "POST",
        f"/consultations/{world.consultation.id}/invitations",
        data={"count": "1", "label": PAYLOADS[0]},
    )
    for payload in PAYLOADS[:3]:
        census = f"email\n{payload}\n".encode()
        send(
            client,
            "POST",
            f"/consultations/{world.consultation.id}/census",
            data={"census": (io.BytesIO(census), f"{payload}.csv")},
        )
    login(client, users["moderator"])
    send(
        client,
        "POST",
        f"/comments/{world.comment.id}/moderate",
        data={"action": "hide", "reason": PAYLOADS[2]},
    )
    login(client, users["admin"])
    for payload in PAYLOADS[:4]:  # display names are shown beside every post
        send(client, "POST", "/auth/logout")
        send(
            client,
            "POST",
            "/auth/register",
            data={
                "email": f"x{abs(hash(payload))}@example.org",
                "display_name": payload[:80],
                "password": "a long test passphrase",
                "password2": "a long test passphrase",
            },
        )
        send(client, "POST", f"/consultations/{world.consultation.id}/comments", data={"body": "hi"})


def test_payloads_render_inert_on_every_page_and_export(client, login, world):
    plant(client, login, world)
    pages = exports = 0
    wrong: list[str] = []
    for who in ("anonymous", "author", "owner", "moderator", "admin"):
        for rule in rules(client.application):
            if "GET" not in (rule.methods or ()) or rule.endpoint in ("static", "vendor.htmx_js"):
                continue
            for headers in ({}, {"HX-Request": "true"}):
                if world.users[who] is not None:
                    login(client, world.users[who])
                else:
                    send(client, "POST", "/auth/logout")
                response = send(client, "GET", path_of(rule, world.values()), headers=headers)
                where = f"{who} {rule.endpoint} {headers or ''}"
                if response.mimetype == "text/html":
                    pages += 1
                    wrong += [f"{where}: {p}" for p in html_problems(response.get_data(as_text=True))]
                elif response.mimetype == "application/json":
                    exports += 1
                    wrong += [f"{where}: {p}" for p in json_problems(response.get_data(as_text=True))]
                elif response.mimetype == "text/csv":
                    exports += 1
                    wrong += [f"{where}: {p}" for p in csv_problems(response)]
                elif response.mimetype not in ("application/x-pem-file", "application/zip"):
                    wrong.append(f"{where}: unexpected type {response.mimetype}")
    assert pages > 100 and exports > 10
    assert not wrong, wrong[:20]


def test_the_planted_payloads_are_really_shown(client, login, world):
    """Guard against a vacuous pass: the payload text is on the pages, escaped, not dropped."""
    plant(client, login, world)
    html = send(client, "GET", f"/consultations/{world.consultation.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html
    assert html_problems(html) == []
    assert html_problems('<p onclick="x">') and html_problems("<script>x</script>")


def json_problems(text: str) -> list[str]:
    problems: list[str] = []

    def walk(value, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and key.endswith("_html"):
            problems.extend(f"{key}: {p}" for p in html_problems(value))

    walk(json.loads(text))
    return problems


def csv_problems(response) -> list[str]:
    problems = []
    if not response.headers.get("Content-Disposition", "").startswith("attachment;"):
        problems.append("CSV not served as an attachment")
    for row in csv.reader(io.StringIO(response.get_data(as_text=True))):
        for cell in row:
            if cell.lstrip(" ").startswith(DANGEROUS) and not _number(cell):
                problems.append(f"formula cell {cell[:30]!r}")
    return problems


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
