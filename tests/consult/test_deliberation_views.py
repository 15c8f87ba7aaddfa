"""Deliberation pages and htmx fragments: one URL, fragment or page; role and ownership checks."""

from __future__ import annotations

import re

import pytest

from consult.deliberation import services as delib
from consult.deliberation.models import Comment
from consult.extensions import db

from .factories import Factories

HX = {"HX-Request": "true"}


def is_fragment(response) -> bool:
    return "<html" not in response.get_data(as_text=True)


def test_reply_in_place_with_htmx_or_by_redirect(client, make, login):
    c = make.consultation()
    root = make.comment(c, body="root")
    login(client, make.user(name="Replier"))
    response = client.post(
        f"/comments/{root.id}/reply", data={"body": "via *htmx*", "stance": "for"}, headers=HX
    )
    assert response.status_code == 200 and is_fragment(response)
    html = response.get_data(as_text=True)
    assert "<em>htmx</em>" in html and "stance-for" in html
    assert f'id="reply-slot-{root.id}" hx-swap-oob="true"' in html, "the reply form is cleared"
    assert "HX-Request" in response.headers["Vary"]
    plain = client.post(f"/comments/{root.id}/reply", data={"body": "no js"})
    assert plain.status_code == 303 and re.search(
        rf"/consultations/{c.id}#comment-\d+$", plain.headers["Location"]
    )
    assert [n.comment.body_md for n in delib.thread(c, None)[0].children] == ["via *htmx*", "no js"]


def test_reply_past_the_depth_limit_is_retargeted(app_factory):
    app = app_factory(COMMENT_MAX_DEPTH=1)
    client = app.test_client()
    with app.app_context():
        make = Factories()
        c = make.consultation()
        root = make.comment(c)
        child = make.comment(c, parent=root)
        user = make.user()
        with client.session_transaction() as sess:
            sess["uid"], sess["sv"] = user.id, user.session_version
        response = client.post(f"/comments/{child.id}/reply", data={"body": "deep"}, headers=HX)
        assert response.headers["HX-Retarget"] == f"#replies-{root.id}"


@pytest.mark.parametrize(
    "path",
    ["/comments/{id}", "/comments/{id}/reply", "/comments/{id}/edit", "/comments/{id}/history"],
    ids=["comment", "reply-form", "edit-form", "history"],
)
def test_every_fragment_url_also_serves_the_full_page(client, make, login, path):
    c = make.consultation()
    author = make.user()
    comment = make.comment(c, author, body="context")
    delib.edit_comment(comment, author, "context, edited")
    login(client, author)
    url = path.format(id=comment.id)
    fragment, page = client.get(url, headers=HX), client.get(url)
    assert fragment.status_code == page.status_code == 200
    assert is_fragment(fragment) and not is_fragment(page)
    first_line = fragment.get_data(as_text=True).strip().splitlines()[0]
    assert first_line in page.get_data(as_text=True), "the page includes the fragment"
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in page.headers["Vary"]


def test_new_top_level_comment_returns_it_and_a_fresh_form(client, make, login):
    c = make.consultation()
    login(client, make.user())
    response = client.post(
        f"/consultations/{c.id}/comments", data={"body": "top", "stance": "against"}, headers=HX
    )
    html = response.get_data(as_text=True)
    assert "stance-against" in html and f'id="new-comment-c{c.id}"' in html and 'hx-swap-oob="true"' in html


def test_proposal_discussion(client, make, login):
    c = make.consultation()
    p = make.proposal(c)
    login(client, make.user())
    response = client.post(
        f"/consultations/{c.id}/comments", data={"body": "on the proposal", "proposal_id": p.id}
    )
    assert response.headers["Location"].startswith(f"/proposals/{p.id}#comment-")
    assert "on the proposal" in client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "on the proposal" not in client.get(f"/consultations/{c.id}").get_data(as_text=True)
    fragment = client.get(f"/proposals/{p.id}?sort=endorsed", headers=HX)
    assert is_fragment(fragment) and "on the proposal" in fragment.get_data(as_text=True)
    assert '<strong aria-current="true">most endorsed</strong>' in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


def test_consultation_discussion_sorts_in_place(client, make):
    c = make.consultation()
    old, new = make.comment(c, body="older"), make.comment(c, body="newer")
    delib.set_endorsement(old, make.user(), True)
    fragment = client.get(f"/consultations/{c.id}?sort=endorsed", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and f'id="discussion-c{c.id}"' in fragment
    assert fragment.index("older") < fragment.index("newer")
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert "<html" in page and page.index("newer") < page.index("older")
    assert new.id


def test_endorse_flag_and_moderate_in_place(client, make, login, app):
    c = make.consultation()
    comment = make.comment(c, body="spicy take")
    cid = comment.id
    citizen = make.user()
    login(client, citizen)
    endorsed = client.post(f"/comments/{cid}/endorse", data={"endorsed": "1"}, headers=HX)
    assert 'aria-pressed="true"' in endorsed.get_data(as_text=True) and "1 endorsement<" in endorsed.get_data(
        as_text=True
    )
    flagged = client.post(f"/comments/{cid}/flag", data={"reason": "rude"}, headers=HX)
    assert "You flagged this." in flagged.get_data(as_text=True)
    denied = client.post(f"/comments/{cid}/moderate", data={"action": "hide", "reason": "x"}, headers=HX)
    assert (
        denied.status_code == 403 and denied.headers["HX-Retarget"] == "#htmx-errors" and is_fragment(denied)
    )
    login(client, make.user("moderator"))
    hidden = client.post(
        f"/comments/{cid}/moderate", data={"action": "hide", "reason": "Insults"}, headers=HX
    )
    html = hidden.get_data(as_text=True)
    assert hidden.status_code == 200 and "Hidden by a moderator." in html and "Insults" in html
    login(client, citizen)
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert "Hidden by a moderator." in page and "spicy take" not in page


def test_only_authors_edit_their_comments(client, make, login):
    c = make.consultation()
    comment = make.comment(c)
    login(client, make.user())
    assert client.get(f"/comments/{comment.id}/edit").status_code == 403
    assert client.post(f"/comments/{comment.id}/edit", data={"body": "hijacked"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).body_md == "A comment"


def test_objects_of_a_draft_consultation_are_not_found(client, make, login):
    organiser = make.user("organiser")
    c = make.consultation(organiser)
    p, comment = make.proposal(c), make.comment(c)
    c.phase = "draft"
    db.session.commit()
    login(client, make.user())
    for path in (f"/proposals/{p.id}", f"/comments/{comment.id}", f"/api/consultations/{c.id}/proposals"):
        assert client.get(path).status_code == 404, path
    for path in (
        f"/comments/{comment.id}/reply",
        f"/proposals/{p.id}/support",
        f"/consultations/{c.id}/comments",
    ):
        assert client.post(path, data={"body": "x"}).status_code == 404, path
    login(client, organiser)
    assert client.get(f"/proposals/{p.id}").status_code == 200


def test_a_proposal_id_from_another_consultation_is_refused(client, make, login):
    c, other = make.consultation(), make.consultation()
    foreign = make.proposal(other)
    login(client, make.user())
    response = client.post(f"/consultations/{c.id}/comments", data={"body": "x", "proposal_id": foreign.id})
    assert response.status_code == 400 and b"not part of this consultation" in response.data


def test_support_in_place_and_threshold_display(client, make, login):
    c = make.consultation(support_threshold=2)
    p = make.proposal(c)
    login(client, make.user())
    response = client.post(f"/proposals/{p.id}/support", data={"supported": "1"}, headers=HX)
    html = response.get_data(as_text=True)
    assert is_fragment(response) and "<strong>1</strong> support" in html and "Withdraw support" in html
    assert "2 needed" in html
    assert client.post(f"/proposals/{p.id}/support", data={"supported": "0"}).status_code == 303
    assert delib.support_count(p) == 0


def test_submit_and_edit_proposal_views(client, make, login):
    c = make.consultation()
    author = make.user()
    login(client, author)
    empty = client.post(f"/consultations/{c.id}/proposals/new", data={"title": "", "body": "x"})
    assert empty.status_code == 422
    created = client.post(
        f"/consultations/{c.id}/proposals/new", data={"title": "Benches", "body": "More benches"}
    )
    pid = int(created.headers["Location"].rsplit("/", 1)[1])
    assert (
        client.post(f"/proposals/{pid}/edit", data={"title": "More benches", "body": "x"}).status_code == 303
    )
    login(client, make.user())
    assert client.post(f"/proposals/{pid}/edit", data={"title": "Mine", "body": "x"}).status_code == 403


def test_answer_and_moderate_proposal_views(client, make, login):
    organiser = make.user("organiser")
    c = make.consultation(organiser)
    p = make.proposal(c)
    login(client, make.user())
    assert (
        client.post(f"/proposals/{p.id}/answer", data={"status": "accepted", "answer": "x"}).status_code
        == 403
    )
    assert client.post(f"/proposals/{p.id}/flag", data={"reason": "dup"}).status_code == 303
    login(client, organiser)
    assert (
        client.post(f"/proposals/{p.id}/answer", data={"status": "accepted", "answer": "Yes"}).status_code
        == 303
    )
    assert (
        client.post(f"/proposals/{p.id}/moderate", data={"action": "hide", "reason": "dup"}).status_code
        == 303
    )
    assert b"Hidden by a moderator" in client.get(f"/proposals/{p.id}").data
    assert b"Official answer: accepted" in client.get(f"/proposals/{p.id}").data
    assert client.get(f"/consultations/{c.id}/moderation").status_code == 200


def test_moderation_page_and_block_view_need_moderators(client, make, login):
    c = make.consultation()
    troll = make.user()
    login(client, make.user())
    assert client.get(f"/consultations/{c.id}/moderation").status_code == 403
    assert client.post(f"/users/{troll.id}/block", data={"reason": "x"}).status_code == 403
    login(client, make.user("moderator"))
    response = client.post(f"/users/{troll.id}/block", data={"reason": "abuse", "back": "//evil.example"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    db.session.refresh(troll)
    assert troll.is_blocked


def test_posting_is_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_POST="2/minute")
    client = app.test_client()
    with app.app_context():
        make = Factories()
        c = make.consultation()
        user = make.user()
        with client.session_transaction() as sess:
            sess["uid"], sess["sv"] = user.id, user.session_version
        codes = [
            client.post(f"/consultations/{c.id}/comments", data={"body": "hi"}).status_code for _ in range(3)
        ]
    assert codes == [303, 303, 429]
