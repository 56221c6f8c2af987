"""A lesson's figure and knowledge check in the browser: the figure is drawn with its text alternative, the check
answers in place with JavaScript and on a page of its own without, and the figure fits a phone."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.helpers import PHONE, PageFactory

LESSON = "/courses/kam-pay/lessons/year-end-retention-bonus"


def test_figure_is_visible_and_the_check_gives_feedback_with_and_without_javascript(new_page: PageFactory) -> None:
    page = new_page(locale="en-GB", viewport=PHONE, color_scheme="dark")
    page.goto(LESSON)
    figure = page.get_by_role("img", name="Timeline from January to 31 December", exact=False)
    expect(figure).to_be_visible()
    assert figure.bounding_box()["width"] <= PHONE[0]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]

    check = page.locator("form.knowledge-check")
    check.get_by_label("€97,000", exact=False).check()
    check.get_by_role("button", name="Check my answer").click()
    feedback = check.get_by_role("status")
    expect(feedback).to_contain_text("Not quite.")
    expect(feedback).to_contain_text("That is the sum for Plan A")
    check.get_by_label("€84,000", exact=False).check()
    check.get_by_role("button", name="Check my answer").click()
    expect(feedback).to_contain_text("Right.")
    assert page.url.endswith(LESSON)  # answered in place

    plain = new_page(locale="de-DE", javascript=False)
    plain.goto(LESSON)
    plain.locator("form.knowledge-check").get_by_label("84.000", exact=False).check()
    plain.get_by_role("button", name="Antwort prüfen").click()
    expect(plain.get_by_role("status")).to_contain_text("Richtig.")
    plain.get_by_role("link", name="Zurück zur Lektion").click()
    assert plain.url.endswith(f"{LESSON}#check-1")
