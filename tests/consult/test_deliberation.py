"""Deliberation services: proposals, supports and the ballot list, comments, endorsements, moderation."""

from __future__ import annotations

import pytest

from consult.consultations.services import transition
from consult.deliberation import services as delib
from consult.deliberation.models import Visibility
from consult.errors import PermissionDenied, ServiceError
from consult.extensions import db

from .factories import Factories


def test_proposals_only_during_deliberation_and_for_eligible_people(ctx, make):
    open_c = make.consultation()
    p = delib.submit_proposal(open_c, make.user(), "Trees", "Plant **trees**")
    assert p.body_html == "<p>Plant <strong>trees</strong></p>\n"
    with pytest.raises(ServiceError, match="only possible during deliberation"):
        delib.submit_proposal(make.consultation(phase="voting"), make.user(), "Late", "Too late")
    with pytest.raises(PermissionDenied, match="not eligible"):
        delib.submit_proposal(make.consultation(eligibility="census"), make.user(), "Who", "me")
    with pytest.raises(ServiceError, match="title is empty"):
        delib.submit_proposal(open_c, make.user(), "  ", "body")


def test_proposal_edit_window(ctx, make):
    c = make.consultation()
    author = make.user()
    p = make.proposal(c, author)
    delib.edit_proposal(p, author, "Better title", "Better body")
    assert p.title == "Better title" and p.edited_at is not None
    with pytest.raises(PermissionDenied):
        delib.edit_proposal(p, make.user(), "Mine now", "x")
    make.backdate(p, minutes=16)
    with pytest.raises(ServiceError, match="first 15 minutes"):
        delib.edit_proposal(p, author, "Too late", "x")


def test_supports_threshold_and_ballot_list(ctx, make):
    organiser = make.user("organiser")
    c = make.consultation(organiser, support_threshold=2)
    popular, lonely, rejected, hidden = (
        make.proposal(c, title=t) for t in ("popular", "lonely", "rejected", "hidden")
    )
    fans = [make.user() for _ in range(3)]
    for fan in fans[:2]:
        for p in (popular, rejected, hidden):
            delib.set_support(p, fan, True)
    assert delib.set_support(popular, fans[0], True) == 2, "supporting twice counts once"
    delib.set_support(lonely, fans[0], True)
    delib.answer_proposal(rejected, organiser, "rejected", "Not legal.")
    delib.moderate(hidden, make.user("moderator"), "hide", "Off topic")
    assert [p.title for p in delib.ballot_eligible_proposals(c)] == ["popular"]
    assert delib.set_support(popular, fans[1], False) == 1
    assert delib.ballot_eligible_proposals(c) == []
    with pytest.raises(ServiceError, match="rejected"):
        delib.set_support(rejected, fans[2], True)
    no_threshold = make.consultation(organiser)
    a = make.proposal(no_threshold, title="a")
    assert delib.ballot_eligible_proposals(no_threshold) == [a]


def test_supports_close_with_deliberation(ctx, make):
    organiser = make.user("organiser")
    c = make.consultation(organiser)
    p = make.proposal(c)
    transition(c, organiser, "voting")
    with pytest.raises(ServiceError, match="only possible during deliberation"):
        delib.set_support(p, make.user(), True)


def test_official_answer_by_the_organiser_only(ctx, make):
    organiser = make.user("organiser")
    c = make.consultation(organiser)
    p = make.proposal(c)
    with pytest.raises(PermissionDenied):
        delib.answer_proposal(p, make.user("organiser"), "accepted", "ok")
    with pytest.raises(ServiceError, match="accepted, evaluating or rejected"):
        delib.answer_proposal(p, organiser, "maybe", "hmm")
    delib.answer_proposal(p, organiser, "accepted", "We will *do* it.")
    assert p.answer_status == "accepted" and "<em>do</em>" in p.answer_html
    assert not delib.can_edit_proposal(p, db.session.get(type(p.author), p.author_id)), (
        "answered: no more edits"
    )


def test_threaded_comments_nest_up_to_the_limit(ctx, make):
    c = make.consultation()
    comment = make.comment(c, body="level 0")
    chain = [comment]
    for level in range(1, 7):
        chain.append(make.comment(c, body=f"level {level}", parent=chain[-1]))
    assert [x.depth for x in chain] == [0, 1, 2, 3, 4, 4, 4]
    assert chain[5].parent_id == chain[3].id, "a reply past the limit sits beside its parent"
    roots = delib.thread(c, None)
    assert len(roots) == 1 and roots[0].children[0].comment.body_md == "level 1"


def test_replies_stay_in_their_discussion(ctx, make):
    c, other = make.consultation(), make.consultation()
    p = make.proposal(c)
    on_c = make.comment(c)
    with pytest.raises(ServiceError, match="same discussion"):
        make.comment(other, parent=on_c)
    with pytest.raises(ServiceError, match="same discussion"):
        make.comment(c, parent=on_c, proposal=p)
    with pytest.raises(ServiceError, match="not part of this consultation"):
        make.comment(other, proposal=p)
    with pytest.raises(ServiceError, match="stance"):
        make.comment(c, stance="maybe")


def test_edit_history_keeps_previous_versions(ctx, make):
    c = make.consultation()
    author = make.user()
    comment = make.comment(c, author, body="first", stance="for")
    delib.edit_comment(comment, author, "second", "against")
    delib.edit_comment(comment, author, "second", "against")  # no change, no revision
    delib.edit_comment(comment, author, "third")
    assert [(r.body_md, r.stance) for r in delib.revisions(comment)] == [
        ("first", "for"),
        ("second", "against"),
    ]
    assert comment.body_md == "third" and comment.stance == "against" and comment.edited_at
    with pytest.raises(PermissionDenied):
        delib.edit_comment(comment, make.user(), "hijack")


def test_endorsements_and_sorting(ctx, make):
    c = make.consultation()
    old, new = make.comment(c, body="old"), make.comment(c, body="new")
    fans = [make.user() for _ in range(2)]
    for fan in fans:
        delib.set_endorsement(old, fan, True)
    assert delib.set_endorsement(old, fans[0], True) == 2
    with pytest.raises(ServiceError, match="your own"):
        delib.set_endorsement(old, db.session.get(type(fans[0]), old.author_id), True)
    assert [n.comment.body_md for n in delib.thread(c, None, sort="newest")] == ["new", "old"]
    assert [n.comment.body_md for n in delib.thread(c, None, sort="endorsed")] == ["old", "new"]
    nodes = {n.comment.body_md: n for n in delib.thread(c, fans[0])}
    assert nodes["old"].endorsed and nodes["old"].endorsements == 2 and not nodes["new"].endorsed
    assert delib.set_endorsement(old, fans[0], False) == 1
    assert new.id


def test_flags_hide_automatically_then_moderators_decide(ctx, make):
    c = make.consultation()
    comment = make.comment(c)
    flaggers = [make.user() for _ in range(3)]
    assert delib.flag(comment, flaggers[0], "spam") is False
    assert delib.flag(comment, flaggers[0], "spam again") is False, "one flag per person"
    assert delib.flag(comment, flaggers[1]) is False
    with pytest.raises(ServiceError, match="your own"):
        delib.flag(comment, db.session.get(type(flaggers[0]), comment.author_id))
    assert delib.flag(comment, flaggers[2]) is True
    assert comment.visibility == Visibility.PENDING
    with pytest.raises(ServiceError, match="hidden comment"):
        make.comment(c, parent=comment)
    with pytest.raises(PermissionDenied):
        delib.moderate(comment, flaggers[0], "restore", "looks fine")
    moderator = make.user("moderator")
    with pytest.raises(ServiceError, match="reason is empty"):
        delib.moderate(comment, moderator, "restore", "")
    delib.moderate(comment, moderator, "restore", "Not spam, just enthusiastic.")
    assert comment.visibility == Visibility.VISIBLE
    assert delib.flag(comment, make.user()) is False, "restoring resolved the earlier flags"
    delib.moderate(comment, moderator, "hide", "Personal attack.")
    assert comment.visibility == Visibility.HIDDEN and comment.moderation_reason == "Personal attack."
    assert delib.moderation_queue(c)["comments"] == [comment]


def test_flag_threshold_is_configurable(app_factory):
    app = app_factory(FLAGS_TO_HIDE=1)
    with app.app_context():
        make = Factories()
        c = make.consultation()
        comment = make.comment(c)
        assert delib.flag(comment, make.user()) is True


def test_the_consultations_organiser_moderates_it(ctx, make):
    organiser = make.user("organiser")
    c = make.consultation(organiser)
    p = make.proposal(c)
    delib.moderate(p, organiser, "hide", "Duplicate of another proposal.")
    assert p.visibility == Visibility.HIDDEN
    with pytest.raises(PermissionDenied):
        delib.moderate(p, make.user("organiser"), "restore", "not mine")


def test_blocking_stops_participation_and_sessions(ctx, make):
    c = make.consultation()
    troll, moderator = make.user(), make.user("moderator")
    version = troll.session_version
    with pytest.raises(PermissionDenied):
        delib.set_blocked(troll, make.user(), True, "no")
    with pytest.raises(ServiceError, match="cannot be blocked"):
        delib.set_blocked(make.user("moderator"), moderator, True, "no")
    delib.set_blocked(troll, moderator, True, "Repeated abuse")
    assert troll.is_blocked and troll.session_version == version + 1
    with pytest.raises(PermissionDenied, match="not eligible"):
        make.comment(c, troll)
    delib.set_blocked(troll, moderator, False, "Appeal accepted")
    assert make.comment(c, troll).id


def test_comments_close_with_voting(ctx, make):
    c = make.consultation(phase="voting")
    assert make.comment(c).id
    closed = make.consultation(phase="closed")
    with pytest.raises(ServiceError, match="deliberation or voting"):
        make.comment(closed)
