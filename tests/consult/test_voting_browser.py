"""Browser journeys: a citizen registers, ranks with the keyboard only (Tab and arrow keys from the top of
the page), casts and keeps the receipt (the file is saved from the page's ``data:`` link, without a
request); an officer closes and certifies; the receipt is on the bulletin and the receipt check
recomputes it from the secret and the choices picked on the ballot's form; the downloaded audit package
passes ``tally verify`` (the command line) and one changed ballot fails it."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile

import pytest

from consult.consultations.models import Phase
from consult.voting import services as voting
from tally.audit import compute_receipt

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


def _tab_to(page, element_id: str, limit: int = 30) -> None:
    """Press Tab (keyboard only) until the element with ``element_id`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} is not reachable with the Tab key")


def _tally(*args: str) -> subprocess.CompletedProcess:
    """The ``tally`` command line, as an auditor runs it."""
    return subprocess.run(
        [sys.executable, "-m", "tally", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_citizen_registers_ranks_by_keyboard_officer_certifies_receipt_checked_package_verifies(
    browser, live_server, tmp_path
):
    base, app = live_server
    with app.app_context():
        make = Factories()
        c, consultation, organiser = contest(make)
        to_phase(consultation, organiser, Phase.VOTING)
        make.user("officer", email="officer@example.org")
        for other in (["o1"], ["o1", "o2"], ["o3"]):
            voting.cast(c, make.user(), other)
        contest_id, cid, public_id = c.id, consultation.id, c.public_id
    errors: list[str] = []
    context, page = new_page(browser, errors)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.goto(f"{base}/auth/register")
        page.get_by_label("Email").fill("ranker@example.org")
        page.get_by_label("Display name").fill("Ranker")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Repeat the password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url(f"{base}/consultations")

        page.goto(f"{base}/contests/{contest_id}")
        _tab_to(page, "rank-1")
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
        assert page.locator("#words").inner_text() == "1. Beta, 2. Alpha"
        assert page.locator("#content").inner_text() == '["o2","o1"]'
        # Requests the download makes: none, the file is in the page. The browser may still fetch the
        # page's own static files (its icon comes when it likes), which carry nothing of the ballot.
        sent: list = []
        page.on("request", lambda request: sent.append(request))
        with page.expect_download() as info:
            page.get_by_role("link", name="Download the receipt (text file)").click()
        download = info.value
        assert download.suggested_filename == f"receipt-{contest_id}.txt"
        saved = download.path().read_text(encoding="utf-8")
        over_http = [r for r in sent if r.url.startswith("http")]
        assert [r.url for r in over_http if "/static/" not in r.url] == []
        assert not [r.url for r in over_http if secret in r.url + (r.post_data or "")]
        assert receipt in saved and secret in saved and "1. Beta, 2. Alpha" in saved
        assert '["o2","o1"]' in saved and f"Contest id:     {public_id}" in saved
        assert compute_receipt(public_id, ["o2", "o1"], secret) == receipt
        assert page.get_by_role("heading", name="Your ballot was cast").is_visible(), "still on the page"
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
        package = tmp_path / "audit.zip"
        info.value.save_as(package)
        key_url = page.get_by_role("link", name="This site's public signing key").get_attribute("href")
        public_key = tmp_path / "signing-key.pem"
        public_key.write_bytes(page.request.get(f"{base}{key_url}").body())
        page.get_by_role("button", name="Log out").click()

        page.goto(f"{base}/contests/{contest_id}/bulletin")
        page.get_by_label("Find a receipt").fill(receipt[:12])
        page.get_by_label("Find a receipt").press("Enter")
        page.get_by_role("status").filter(has_text="1 receipt starts").wait_for()
        assert page.locator(".receipts code").all_inner_texts() == [receipt]
        page.screenshot(path=str(SHOTS / "receipt-found-on-bulletin.png"), full_page=True)

        page.get_by_role("link", name="recompute a receipt").click()
        page.get_by_label("Secret").fill(secret)
        page.get_by_label("Choice 1").select_option(label="Beta")
        page.get_by_label("Choice 2").select_option(label="Alpha")
        page.get_by_role("button", name="Recompute my receipt").click()
        page.locator("#bulletin-verdict").filter(has_text="is on the published bulletin").wait_for()
        assert page.locator("#recomputed").inner_text() == receipt
        page.screenshot(path=str(SHOTS / "receipt-recomputed-from-choices.png"), full_page=True)
    finally:
        context.close()
    assert errors == [], f"browser console errors (CSP violations included): {errors}"

    passed = _tally("verify", str(package), "--public-key", str(public_key), "--receipt", receipt)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    src = zipfile.ZipFile(package)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "ballots.jsonl":
                data = re.sub(rb'\["o3"\]', b'["o1"]', data, count=1)
            dst.writestr(name, data)
    failed = _tally("verify", str(tampered), "--public-key", str(public_key))
    assert failed.returncode != 0, failed.stdout
    assert "ballots.jsonl" in failed.stdout, failed.stdout


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
        receipt, secret = page.locator("#receipt").inner_text(), page.locator("#secret").inner_text()
        page.screenshot(path=str(SHOTS / "quadratic-ballot-cast.png"), full_page=True)

        # The receipt check takes the same +/- buttons (plain form posts there) and the secret.
        page.goto(f"{base}/contests/{quadratic_id}/receipt-check")
        page.get_by_label("Secret").fill(secret)
        for name in ("One vote more for Alpha", "One vote more for Alpha", "One vote less for Beta"):
            with page.expect_navigation():
                page.get_by_role("button", name=name).click()
        assert page.get_by_label("Secret").input_value() == secret, "adjusting keeps the secret"
        page.get_by_role("button", name="Recompute my receipt").click()
        page.locator("#bulletin-verdict").filter(has_text="published after the close").wait_for()
        assert page.locator("#recomputed").inner_text() == receipt
        assert page.locator("#checked-words").inner_text() == "Alpha +2, Beta -1"
    finally:
        context.close()
    assert errors == [], f"browser console errors (CSP violations included): {errors}"
