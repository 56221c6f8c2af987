"""Shared knowledge about the bundled course and small page actions used by several e2e tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, Protocol
from uuid import uuid4

import yaml
from playwright.sync_api import Page, expect

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONTENT_DIR = PROJECT_ROOT / "content"
COURSE_ID = "kam-pay"
PASSWORD = "correct horse battery staple"
DESKTOP = (1280, 900)
PHONE = (360, 740)

# Form labels and buttons as the learner sees them, per interface language.
REGISTER_FORM = {
    "de": {
        "name": "Ihr Name",
        "email": "E-Mail",
        "password": "Passwort",
        "confirm": "Passwort wiederholen",
        "submit": "Konto anlegen",
    },
    "en": {
        "name": "Your name",
        "email": "Email",
        "password": "Password",
        "confirm": "Repeat password",
        "submit": "Create account",
    },
}
LOGIN_FORM = {
    "de": {"email": "E-Mail", "password": "Passwort", "submit": "Anmelden"},
    "en": {"email": "Email", "password": "Password", "submit": "Log in"},
}


class PageFactory(Protocol):
    """The `new_page` fixture: a page in a fresh browser context."""

    def __call__(
        self,
        *,
        locale: str = "de-DE",
        color_scheme: Literal["light", "dark"] = "light",
        viewport: tuple[int, int] = DESKTOP,
    ) -> Page: ...


@dataclass(frozen=True)
class Learner:
    name: str
    email: str
    password: str = PASSWORD


def _front_matter(path: Path) -> dict:
    match = re.match(r"^---\n(.*?)\n---\n", path.read_text(encoding="utf-8"), re.DOTALL)
    assert match, f"{path} has no front matter"
    return yaml.safe_load(match.group(1))


@cache
def course_meta() -> dict:
    return yaml.safe_load((CONTENT_DIR / COURSE_ID / "course.yml").read_text(encoding="utf-8"))


def lesson_ids() -> list[str]:
    return list(course_meta()["lessons"])


def course_title(lang: str) -> str:
    return str(course_meta()["title"][lang])


@cache
def lesson_title(lesson_id: str, lang: str) -> str:
    return str(_front_matter(CONTENT_DIR / COURSE_ID / f"{lesson_id}.{lang}.md")["title"])


def lesson_path(lesson_id: str) -> str:
    return f"/courses/{COURSE_ID}/lessons/{lesson_id}"


def new_learner(name: str = "Erika Mustermann") -> Learner:
    return Learner(name=name, email=f"learner-{uuid4().hex[:12]}@example.org")


def page_language(page: Page) -> str:
    return page.locator("html").get_attribute("lang") or ""


def fill_register_form(page: Page, learner: Learner, *, confirm: str | None = None) -> None:
    """Fill the registration form in whatever language the page is shown and submit it."""
    labels = REGISTER_FORM[page_language(page)]
    page.get_by_label(labels["name"], exact=True).fill(learner.name)
    page.get_by_label(labels["email"], exact=True).fill(learner.email)
    page.get_by_label(labels["password"], exact=True).fill(learner.password)
    page.get_by_label(labels["confirm"], exact=True).fill(learner.password if confirm is None else confirm)
    page.get_by_role("button", name=labels["submit"], exact=True).click()


def register(page: Page, learner: Learner | None = None) -> Learner:
    """Create an account through the real form (CSRF included); the learner ends up logged in on /."""
    learner = learner or new_learner()
    response = page.goto("/auth/register")
    assert response is not None and response.ok
    fill_register_form(page, learner)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_contain_text(learner.name)
    return learner


def log_in(page: Page, learner: Learner) -> None:
    response = page.goto("/auth/login")
    assert response is not None and response.ok
    labels = LOGIN_FORM[page_language(page)]
    page.get_by_label(labels["email"], exact=True).fill(learner.email)
    page.get_by_label(labels["password"], exact=True).fill(learner.password)
    page.get_by_role("button", name=labels["submit"], exact=True).click()
    expect(page).to_have_url(re.compile(r"/$"))
