"""Accessibility as rendered by chromium: colour contrast of every piece of text (WCAG 2.1 AA: 4.5:1, or
3:1 for large text) against its painted background, a keyboard focus that is always visible and moves
in document order, and no sideways scrolling on a phone-sized screen, on the pages of a consultation
from discussion to certified result."""

from __future__ import annotations

import pytest

from consult.consultations.models import Phase
from consult.results import services as results
from consult.voting import services as voting

from .conftest import new_page
from .factories import PASSWORD, Factories
from .voting_helpers import contest, to_phase

pytestmark = pytest.mark.browser

CONTRAST = """() => {
  const parse = (c) => {
    const p = c.match(/[\\d.]+/g).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = parse(getComputedStyle(el).backgroundColor);
      if (c.a > 0) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const low = [];
  for (const el of document.querySelectorAll("body *")) {
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const s = getComputedStyle(el), box = el.getBoundingClientRect();
    if (s.visibility === "hidden" || box.width === 0 || box.right < 0 || box.bottom < 0) continue;
    const a = lum(parse(s.color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(s.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
    const text = el.textContent.trim().slice(0, 30);
    if (ratio < (large ? 3 : 4.5)) low.push(`${el.tagName} "${text}" ${ratio.toFixed(2)}:1`);
  }
  return low;
}"""

# After each Tab: is the focus ring visible, and did the focus move forward in document order?  Tabbing
# past the last control wraps to the first one, which ends the walk.
FOCUSED = """() => {
  const el = document.activeElement, s = getComputedStyle(el), last = window.__lastFocus;
  const wrapped = el === window.__firstFocus;
  const after = !last || (last.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
  window.__firstFocus = window.__firstFocus || el;
  window.__lastFocus = el;
  const ring = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
  return {name: `${el.tagName}#${el.id} "${(el.textContent || el.value || "").trim().slice(0, 25)}"`,
          visible: ring || s.boxShadow !== "none", after, end: wrapped || el === document.body};
}"""


DESKTOP = {"width": 1000, "height": 900}
PHONE = {"width": 390, "height": 844}


def _check(page, url: str, problems: list[str], tabs: int = 25) -> None:
    page.goto(url)
    problems += [f"{url}: low contrast {x}" for x in page.evaluate(CONTRAST)]
    for _ in range(tabs):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUSED)
        if focus["end"]:
            break
        if not focus["visible"]:
            problems.append(f"{url}: focus not visible on {focus['name']}")
        if not focus["after"]:
            problems.append(f"{url}: focus jumped back to {focus['name']}")
    page.set_viewport_size(PHONE)
    sideways = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if sideways > 0:
        problems.append(f"{url}: scrolls sideways by {sideways}px on a phone")
    page.set_viewport_size(DESKTOP)


def test_text_contrast_and_keyboard_focus_on_every_journey_page(browser, live_server):
    base, app = live_server
    with app.app_context():
        make = Factories()
        organiser = make.user("organiser")
        discussion = make.consultation(organiser, title="Contrast check")
        root = make.comment(discussion, body="A point for.", stance="for")
        make.comment(discussion, body="A point against.", stance="against", parent=root)
        hidden = make.comment(discussion, body="spam")
        from consult.deliberation import services as delib

        delib.moderate(hidden, make.user("moderator"), "hide", "Advertising")
        make.proposal(discussion)
        kinds = {}
        for kind in ("ranked", "budget", "quadratic"):
            c, consultation, _ = contest(make, kind, organiser=organiser)
            to_phase(consultation, organiser, Phase.VOTING)
            kinds[kind] = c.id
        certified, consultation, _ = contest(make, organiser=organiser)
        to_phase(consultation, organiser, Phase.VOTING)
        for ballot in (["o1"], ["o2", "o1"], ["o1", "o3"]):
            voting.cast(certified, make.user(), ballot)
        to_phase(consultation, organiser, Phase.CLOSED)
        results.certify_consultation(consultation, make.user("officer"))
        make.user(email="looker@example.org")
        cid, done = discussion.id, certified.id
    errors: list[str] = []
    problems: list[str] = []
    context, page = new_page(browser, errors)
    try:
        for path in ("/", f"/consultations/{cid}", f"/contests/{done}/results", f"/contests/{done}/bulletin"):
            _check(page, f"{base}{path}", problems)
        page.goto(f"{base}/auth/login")
        _check(page, f"{base}/auth/login", problems)
        page.get_by_label("Email").fill("looker@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Password").press("Enter")
        page.wait_for_url(f"{base}/consultations")
        for contest_id in kinds.values():
            _check(page, f"{base}/contests/{contest_id}", problems)
        _check(page, f"{base}/contests/{done}/receipt-check", problems)
    finally:
        context.close()
    assert not problems, "\n".join(problems)
    assert errors == [], errors
