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
import itertools
import json
import re
import zipfile
from html.parser import HTMLParser
from urllib.parse import unquote

from .conftest import create_contests, path_of, rules, send, valid_ballot

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
ESCAPED_SCRIPT = "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;"
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
            data={"census": (io.BytesIO(census), f"{payload}{CENSUS_MARK}.csv")},
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
    who = ("anonymous", "author", "owner", "moderator", "admin")
    pages, exports, wrong = walk(client, login, world, who, [world.contest.id])
    assert pages > 100 and exports > 10
    assert not wrong, wrong[:20]


def test_the_planted_payloads_are_really_shown(client, login, world):
    """Guard against a vacuous pass: the payload text is on the pages, escaped, not dropped."""
    plant(client, login, world)
    html = send(client, "GET", f"/consultations/{world.consultation.id}").get_data(as_text=True)
    assert ESCAPED_SCRIPT in html
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


# A spreadsheet may run a cell starting with these (OWASP "CSV Injection"; ASVS 5.0 V1.2.10 adds NUL),
# after leading spaces. Kept apart from the app's own list so a shorter list there fails here.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def csv_problems(response) -> list[str]:
    problems = []
    if not response.headers.get("Content-Disposition", "").startswith("attachment;"):
        problems.append("CSV not served as an attachment")
    return problems + formula_cells(response.get_data(as_text=True))


def formula_cells(text: str) -> list[str]:
    problems = []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell.lstrip(" ").startswith(FORMULA_START) and not _number(cell):
                problems.append(f"formula cell {cell[:30]!r}")
    return problems


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


# --- candidate names, file names, ballots and results ---------------------------------------------------

CENSUS_MARK = "census-upload-name"
SAFE_FILENAME = re.compile(r'attachment; filename="[A-Za-z0-9._-]+"')
ZIP_TEXT = (".txt", ".pem", ".sig")


def walk(client, login, world, who: tuple[str, ...], contest_ids: list[int]) -> tuple[int, int, list[str]]:
    """Every GET route as each of ``who``, plain and htmx (routes taking a contest: for every contest);
    returns (pages, exports, problems). Uploaded file names must never come back in any answer."""
    pages = exports = 0
    wrong: list[str] = []
    for role in who:
        for rule in rules(client.application):
            if "GET" not in (rule.methods or ()) or rule.endpoint in ("static", "vendor.htmx_js"):
                continue
            ids = contest_ids if "contest_id" in rule.arguments else contest_ids[:1]
            for contest_id, headers in itertools.product(ids, ({}, {"HX-Request": "true"})):
                if world.users[role] is not None:
                    login(client, world.users[role])
                else:
                    send(client, "POST", "/auth/logout")
                path = path_of(rule, {**world.values(), "contest_id": contest_id})
                response = send(client, "GET", path, headers=headers)
                where = f"{role} {path} {headers or ''}"
                body = response.get_data(as_text=response.mimetype != "application/zip")
                if isinstance(body, str) and CENSUS_MARK in body:
                    wrong.append(f"{where}: shows an uploaded file name")
                if response.mimetype == "text/html":
                    pages += 1
                    wrong += [f"{where}: {p}" for p in html_problems(body)]
                    continue
                exports += 1
                disposition = response.headers.get("Content-Disposition")
                if disposition is not None and not SAFE_FILENAME.fullmatch(disposition):
                    wrong.append(f"{where}: download name {disposition!r}")
                if response.mimetype == "application/json":
                    wrong += [f"{where}: {p}" for p in json_problems(body)]
                elif response.mimetype == "text/csv":
                    wrong += [f"{where}: {p}" for p in csv_problems(response)]
                elif response.mimetype == "application/zip":
                    wrong += [f"{where}: {p}" for p in zip_problems(response)]
                elif response.mimetype != "application/x-pem-file":
                    wrong.append(f"{where}: unexpected type {response.mimetype}")
    return pages, exports, wrong


def zip_problems(response) -> list[str]:
    """A download zip: an attachment whose members have plain relative names and are strict JSON, JSON
    lines, formula-free CSV or UTF-8 text (nothing a browser or spreadsheet would run)."""
    problems = []
    if not (response.headers.get("Content-Disposition") or "").startswith("attachment;"):
        problems.append("zip not served as an attachment")
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            if name.startswith("/") or ".." in name.split("/") or "\\" in name or CENSUS_MARK in name:
                problems.append(f"member name {name!r}")
            elif name.endswith(".json"):
                problems += [f"{name}: {p}" for p in json_problems(data.decode("utf-8"))]
            elif name.endswith(".jsonl"):
                for line in data.decode("utf-8").splitlines():
                    problems += [f"{name}: {p}" for p in json_problems(line)]
            elif name.endswith(".csv"):
                problems += [f"{name}: {p}" for p in formula_cells(data.decode("utf-8"))]
            elif name.endswith(ZIP_TEXT):
                data.decode("utf-8")
            else:
                problems.append(f"unexpected member {name!r}")
    return problems


# The receipt page's download link: plain text, every byte outside RFC 3986's unreserved set
# percent-encoded (nothing a title could use to end the URL or the attribute), a plain file name.
RECEIPT_DATA_URL = re.compile(r"data:text/plain;charset=utf-8,(?:[A-Za-z0-9_.~-]|%[0-9A-F]{2})*")
RECEIPT_LINK = re.compile(r'<a class="button" download="([^"]*)" href="([^"]*)">')


def receipt_file_problems(page: str, title: str | None) -> list[str]:
    """The receipt file carried by the receipt page: a safe link whose text names the receipt and secret
    shown on the page, and the hostile contest title (when given) verbatim, neither escaped nor dropped."""
    links = RECEIPT_LINK.findall(page)
    if len(links) != 1:
        return [f"{len(links)} receipt download links"]
    name, href = links[0]
    problems = []
    if not re.fullmatch(r"receipt-\d+\.txt", name):
        problems.append(f"receipt download name {name!r}")
    if not RECEIPT_DATA_URL.fullmatch(href):
        return [*problems, f"receipt link {href[:60]!r}"]
    text = unquote(href.split(",", 1)[1], errors="strict")
    shown = [re.search(rf'<code id="{k}">([^<]*)</code>', page).group(1) for k in ("receipt", "secret")]
    if not all(f" {value}\n" in text for value in shown):
        problems.append("the receipt file does not name the receipt and secret shown")
    if title is not None and f"Contest:        {title}\n" not in text:
        problems.append("the receipt file does not name the contest by its title")
    return problems


def test_hostile_option_names_render_inert_through_voting_results_and_every_export(
    client, login, world, make
):
    """Every payload is also an option name (candidate, approval option, budget project, quadratic
    option) and a contest title, entered through the contest editor. The pages are walked while voting is
    open (the ballot forms), the ballot form's live check and refusals are read as htmx fragments and
    pages, the receipt page's download link is decoded (the file names the hostile title verbatim), and
    after the close and certification every page, JSON, CSV, bulletin, audit package and RCTab export is
    walked again, zip members included. Uploaded census file names never come back."""
    plant(client, login, world)
    cid = world.consultation.id
    login(client, world.users["owner"])
    proposal_title = f"{PAYLOADS[0]} 0"  # a proposal's title: the option links to the proposal
    contests = create_contests(client, cid, [*PAYLOADS, proposal_title], PAYLOADS[1])
    ids = [world.contest.id, *contests.values()]
    assert send(client, "POST", f"/consultations/{cid}/phase", data={"phase": "voting"}).status_code == 303

    pages, exports, wrong = walk(client, login, world, ("anonymous", "citizen", "owner"), ids)
    voters = [make.user() for _ in range(3)]
    ballots = [("ranked", world.contest.id, 3)] + [(k, c, len(PAYLOADS) + 1) for k, c in contests.items()]
    for i, voter in enumerate(voters):
        login(client, voter)
        for kind, contest_id, n in ballots:
            spoiled = {"rank-1": "o1", "rank-2": "o1", "choice": ["o1", "o2", "o3"], "votes-o1": "9"}
            for path, form, status in [
                (f"/contests/{contest_id}/preview", valid_ballot(kind, n, i), 200),
                (f"/contests/{contest_id}/preview", spoiled, 200),
                (f"/contests/{contest_id}/cast", spoiled, 422),
                (f"/contests/{contest_id}/cast", valid_ballot(kind, n, i), 200),
            ]:
                for headers in ({}, {"HX-Request": "true"}):
                    response = send(client, "POST", path, data=form, headers=headers)
                    if path.endswith("/cast") and status == 200 and headers:
                        continue  # the ballot is in: the htmx twin is refused as a second ballot
                    assert response.status_code == status, (kind, path, form, response.status_code)
                    body = response.get_data(as_text=True)
                    wrong += [f"POST {path}: {p}" for p in html_problems(body)]
                    if path.endswith("/cast") and status == 200:  # the receipt page and its file
                        title = PAYLOADS[1] if contest_id != world.contest.id else None
                        wrong += [f"POST {path}: {p}" for p in receipt_file_problems(body, title)]
    login(client, world.users["owner"])
    assert send(client, "POST", f"/consultations/{cid}/phase", data={"phase": "closed"}).status_code == 303
    login(client, world.users["officer"])
    assert send(client, "POST", f"/consultations/{cid}/certify").status_code == 303

    later = walk(client, login, world, ("anonymous", "citizen", "owner", "admin"), ids)
    html = send(client, "GET", f"/contests/{contests['ranked']}/results").get_data(as_text=True)
    assert ESCAPED_SCRIPT in html  # not vacuous: the hostile names are on the results page, escaped
    table = send(client, "GET", f"/contests/{contests['ranked']}/results.csv").get_data(as_text=True)
    assert "'=HYPERLINK(" in table and "'@SUM(1+1)*cmd" in table
    assert later[0] > 100 and later[1] > 40 and pages > 50
    wrong += later[2]
    assert not wrong, wrong[:20]
