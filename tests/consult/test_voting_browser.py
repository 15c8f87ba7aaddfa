"""Browser journey: a citizen ranks with the keyboard only, casts and keeps the receipt; an officer closes
and certifies; the receipt is on the bulletin; the downloaded audit package verifies (a tampered one not)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from consult.consultations.models import Phase
from consult.results import services as results
from tally.audit import verify_package

from .conftest import SHOTS, new_page
from .factories import PASSWORD, Factories
from .voting_helpers import contest, to_phase

pytestmark = pytest.mark.browser


def _login(page, base: str, email: str, next_path: str) -> None:
    page.goto(f"{base}/auth/login?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{base}{next_path}")


def test_rank_with_the_keyboard_cast_certify_and_find_the_receipt(browser, live_server):
    base, app = live_server
    with app.app_context():
        make = Factories()
        c, consultation, organiser = contest(make)
        to_phase(consultation, organiser, Phase.VOTING)
        citizen = make.user(email="voter@example.org")
        officer = make.user("officer", email="officer@example.org")
        for other in (["o1"], ["o1", "o2"], ["o3"]):
            from consult.voting import services as voting

            voting.cast(c, make.user(), other)
        contest_id, cid = c.id, consultation.id
        del citizen, officer
    errors: list[str] = []
    context, page = new_page(browser, errors)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        _login(page, base, "voter@example.org", f"/contests/{contest_id}")
        page.get_by_label("Choice 1").focus()
        page.keyboard.press("ArrowDown")  # (no choice) -> Alpha
        page.keyboard.press("ArrowDown")  # Alpha -> Beta
        page.keyboard.press("Tab")
        page.keyboard.press("ArrowDown")  # Alpha
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")  # leave Choice 3 empty, reach the cast button
        page.locator("#ballot-check .ok").wait_for()  # the live check (htmx) says the ballot is valid
        assert page.evaluate("document.activeElement.textContent") == "Cast my ballot"
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="Your ballot was cast").wait_for()
        receipt = page.locator("#receipt").inner_text()
        secret = page.locator("#secret").inner_text()
        assert page.locator("#content").inner_text() == '["o2","o1"]'
        with page.expect_download() as info:
            page.get_by_role("button", name="Download the receipt (text file)").click()
        saved = info.value.path().read_text()
        assert receipt in saved and secret in saved
        page.screenshot(path=str(SHOTS / "citizen-ranks-with-keyboard-and-keeps-receipt.png"), full_page=True)
        page.get_by_role("button", name="Log out").click()

        _login(page, base, "officer@example.org", f"/consultations/{cid}")
        page.get_by_role("button", name="Move to closed").click()
        page.get_by_role("button", name="Certify the results").click()
        page.wait_for_url(f"{base}/consultations/{cid}")
        page.get_by_role("link", name="results").click()
        page.get_by_role("heading", name="Winner").wait_for()
        assert page.locator("svg.chart").count() == 1
        page.screenshot(path=str(SHOTS / "officer-certifies-results.png"), full_page=True)
        with page.expect_download() as info:
            page.get_by_role("link", name="Audit package (zip)").click()
        package = info.value.path().read_bytes()

        page.goto(f"{base}/contests/{contest_id}/bulletin")
        page.get_by_label("Find a receipt").fill(receipt[:12])
        page.get_by_label("Find a receipt").press("Enter")
        page.get_by_role("status").filter(has_text="1 receipt starts").wait_for()
        assert page.locator(".receipts code").all_inner_texts() == [receipt]
        page.screenshot(path=str(SHOTS / "receipt-found-on-bulletin.png"), full_page=True)
    finally:
        context.close()
    assert errors == [], f"browser console errors (CSP violations included): {errors}"
    with app.app_context():
        pem = results.public_key()
    assert verify_package(package, public_key=pem).ok
    src = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "ballots.jsonl":
                data = re.sub(rb'\["o3"\]', b'["o1"]', data, count=1)
            dst.writestr(name, data)
    assert not verify_package(out.getvalue(), public_key=pem).ok


def test_live_budget_total_and_quadratic_credit_meter_without_a_reload(browser, live_server):
    base, app = live_server
    with app.app_context():
        make = Factories()
        budget, consultation, organiser = contest(make, "budget")
        quadratic, _, _ = contest(make, "quadratic", organiser=organiser, consultation=consultation)
        to_phase(consultation, organiser, Phase.VOTING)
        make.user(email="live@example.org")
        budget_id, quadratic_id = budget.id, quadratic.id
    errors: list[str] = []
    context, page = new_page(browser, errors)
    try:
        _login(page, base, "live@example.org", f"/contests/{budget_id}")
        page.evaluate("window.__noReload = 'still here'")
        page.get_by_label("Alpha — cost 60").check()
        page.get_by_label("Gamma — cost 50").check()
        page.locator("#ballot-check").filter(has_text="Total: 110 of 100").wait_for()
        page.locator("#ballot-error").filter(has_text="more than the budget of 100").wait_for()
        page.get_by_label("Gamma — cost 50").uncheck()
        page.locator("#ballot-check").filter(has_text="Total: 60 of 100").wait_for()
        assert page.evaluate("window.__noReload") == "still here"

        page.goto(f"{base}/contests/{quadratic_id}")
        page.evaluate("window.__noReload = 'still here'")
        page.get_by_role("button", name="One vote more for Alpha").click()
        page.locator("#ballot-check").filter(has_text="Credits used: 1 of 10").wait_for()
        page.get_by_role("button", name="One vote more for Alpha").click()
        page.locator("#ballot-check").filter(has_text="Credits used: 4 of 10").wait_for()
        page.get_by_role("button", name="One vote less for Beta").click()
        page.locator("#ballot-check").filter(has_text="Credits used: 5 of 10").wait_for()
        assert page.get_by_label("Beta", exact=True).input_value() == "-1"
        assert page.evaluate("window.__noReload") == "still here"
        page.get_by_role("button", name="Cast my ballot").click()
        page.get_by_role("heading", name="Your ballot was cast").wait_for()
        assert page.locator("#content").inner_text() == '{"o1":2,"o2":-1}'
        page.screenshot(path=str(SHOTS / "quadratic-ballot-cast.png"), full_page=True)
    finally:
        context.close()
    assert errors == [], f"browser console errors (CSP violations included): {errors}"
