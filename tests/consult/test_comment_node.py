"""``deliberation.services.comment_node`` reads one comment's subtree, not its whole thread: for every
comment of a tree (replies of replies, a proposal's thread beside the consultation's, endorsements and
a flag by the viewer) it is the very node that :func:`~consult.deliberation.services.thread` holds."""

from __future__ import annotations

import random

from consult.deliberation import services as delib


def _shape(node: delib.Node) -> tuple:
    return (
        node.comment.id,
        node.endorsements,
        node.endorsed,
        node.flagged,
        tuple(_shape(child) for child in node.children),
    )


def _walk(nodes: list[delib.Node]):
    for node in nodes:
        yield node
        yield from _walk(node.children)


def test_a_comment_node_is_its_subtree_in_the_thread(make):
    rng = random.Random(6)
    consultation = make.consultation()
    proposal = make.proposal(consultation)
    viewer, others = make.user(), [make.user() for _ in range(3)]
    for where in (None, proposal):
        written = []
        for _ in range(25):
            parent = rng.choice(written) if written and rng.random() < 0.7 else None
            written.append(make.comment(consultation, rng.choice(others), parent=parent, proposal=where))
        for comment in rng.sample(written, 8):
            endorsers = [u for u in (viewer, *others) if u.id != comment.author_id]
            delib.set_endorsement(comment, rng.choice(endorsers), True)
        delib.flag(rng.choice(written), viewer)
    for where in (None, proposal):
        for user in (viewer, None):
            nodes = list(_walk(delib.thread(consultation, user, where)))
            assert len(nodes) == 25 and any(node.children for node in nodes)
            for node in nodes:
                assert _shape(delib.comment_node(node.comment, user)) == _shape(node)


def test_a_comment_just_posted_is_the_node_comment_node_reads(make):
    consultation = make.consultation()
    author = make.user()
    parent = make.comment(consultation, make.user())
    for new in (
        delib.post_comment(consultation, author, "a *new* comment"),
        delib.post_comment(consultation, author, "a reply", parent=parent),
    ):
        assert _shape(delib.posted_node(new)) == _shape(delib.comment_node(new, author))
