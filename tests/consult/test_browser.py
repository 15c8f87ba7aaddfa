"""Browser journeys (Playwright driving Debian's chromium, headless) against a live server in a thread.

Skipped with the reason when chromium or playwright is missing, unless ``CONSULT_REQUIRE_BROWSER=1``, in
which case they fail. Screenshots of each journey's end go to ``test-output/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import pytest

from .conftest import SHOTS, new_page
from .factories import Factories

pytestmark = pytest.mark.browser


def test_citizen_registers_and_replies_in_a_thread_without_a_reload(browser, live_server):
    from playwright.sync_api import expect  # the ``browser`` fixture has skipped if playwright is absent

    base, app = live_server
    with app.app_context():
        make = Factories()
        consultation = make.consultation(title="Riverside park")
        root = make.comment(consultation, body="Keep the riverside path open.", stance="for")
        cid, root_id = consultation.id, root.id
    errors: list[str] = []
    context, page = new_page(browser, errors)
    try:
        page.goto(f"{base}/auth/register")
        page.get_by_label("Email").fill("new.citizen@example.org")
        page.get_by_label("Display name").fill("New Citizen")
        page.get_by_label("Password", exact=True).fill("a long browser passphrase")
        page.get_by_label("Repeat the password").fill("a long browser passphrase")
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url(f"{base}/consultations")
        page.get_by_role("link", name="Riverside park").click()
        page.wait_for_url(f"{base}/consultations/{cid}")
        page.evaluate("window.__noReload = 'still here'")

        page.locator(f"#comment-{root_id}").get_by_role("link", name="Reply").click()
        box = page.get_by_label("Reply to")
        # htmx moves the focus after the swap has settled, a moment after the box appears.
        expect(box, "focus moves into the reply form").to_be_focused()
        box.fill("I agree, and let us add benches.")
        page.locator(f"#reply-slot-{root_id}").get_by_label("against").check()
        page.get_by_role("button", name="Post reply").click()

        reply = page.locator(f"#replies-{root_id} > li").filter(has_text="let us add benches")
        reply.wait_for()
        assert "against" in reply.inner_text()
        assert page.evaluate("window.__noReload") == "still here", "the page was reloaded"
        assert page.locator(f"#reply-slot-{root_id} form").count() == 0, "the reply form closes"

        page.locator(f"#comment-{root_id}").get_by_role("button", name="Endorse").first.click()
        page.locator(f"#comment-{root_id}").get_by_role("button", name="Endorsed").first.wait_for()
        assert page.evaluate("window.__noReload") == "still here"

        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "citizen-registers-and-replies.png"), full_page=True)
    finally:
        context.close()
    assert errors == [], f"browser console errors (CSP violations included): {errors}"


def test_moderator_hides_a_flagged_comment_in_place_on_a_phone(browser, live_server):
    base, app = live_server
    with app.app_context():
        make = Factories()
        consultation = make.consultation(title="Harbour baths")
        spam = make.comment(consultation, body="BUY CHEAP WATCHES")
        make.comment(consultation, body="A thoughtful point about water quality.", stance="for")
        moderator = make.user("moderator", email="mod@example.org")
        cid, spam_id, email = consultation.id, spam.id, moderator.email
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        page.goto(f"{base}/auth/login?next=/consultations/{cid}")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("a long test passphrase")
        page.get_by_label("Password").press("Enter")
        page.wait_for_url(f"{base}/consultations/{cid}")
        page.evaluate("window.__noReload = 1")
        spam_item = page.locator(f"#comment-{spam_id}")
        spam_item.get_by_text("Moderate").click()
        spam_item.get_by_label("Reason (shown publicly)").fill("Advertising")
        spam_item.get_by_role("button", name="Hide").click()
        page.locator(f"#comment-{spam_id}").get_by_text("Hidden by a moderator.").wait_for()
        assert page.evaluate("window.__noReload") == 1
        assert "Advertising" in page.locator(f"#comment-{spam_id}").inner_text()
        page.get_by_role("link", name="most endorsed").click()
        page.wait_for_url(f"{base}/consultations/{cid}?sort=endorsed")
        page.get_by_text("most endorsed").and_(page.locator("strong")).wait_for()
        assert page.evaluate("window.__noReload") == 1, "sorting happens in place"
        assert page.locator("main h1").count() == 1
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page scrolls sideways on a phone by {overflow}px"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "moderator-hides-comment-phone.png"), full_page=True)
    finally:
        context.close()
    assert errors == [], errors
