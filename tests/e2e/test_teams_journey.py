"""A sales director's wish, end to end: an admin builds a team from a CSV file, its trainer assigns the course due
in 14 days, the learners are told by mail, the reminder job run after the clock has moved on sends "due soon" once,
and the team's manager reads the team's report and nobody else's. axe checks the new pages on the way."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

from flask import Flask
from playwright.sync_api import expect

from course.auth import operations as accounts
from course.extensions import db
from course.groups import operations as groups
from course.models import Group

from .conftest import LiveServer
from .helpers import PASSWORD, Learner, PageFactory, course_title, log_in, mails_to, say
from .test_accessibility import blocking_violations, fail_on
from .test_admin_invite_journey import make_admin

LANG = "de"
COURSE = "kam-pay"


def make_account(app: Flask, role: str, tag: str, name: str) -> Learner:
    person = Learner(name=f"{name} {tag}", email=f"{role}-{name.lower()}-{tag}@example.org", password=PASSWORD)
    with app.app_context():
        accounts.create_user(person.email, person.password, person.name, role=role, locale=LANG, email_verified=True)
        db.session.commit()
    return person


def run_job(app: Flask, now: datetime | None = None) -> str:
    """`flask notifications send` at a moment to come: what the periodic job does when that moment has come."""
    args = ["notifications", "send", *(["--now", now.isoformat()] if now else [])]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_team_is_assigned_the_course_reminded_once_and_reported_to_its_manager(
    new_page: PageFactory, live_server: LiveServer, mailbox
) -> None:
    app = live_server.app
    tag = uuid4().hex[:8]
    findings: dict[str, list[dict]] = {}
    admin = make_admin(app, LANG)
    anna, ben = make_account(app, "learner", tag, "Anna"), make_account(app, "learner", tag, "Ben")
    trainer = make_account(app, "trainer", tag, "Tina")
    manager = make_account(app, "manager", tag, "Max")
    outsider = make_account(app, "learner", tag, "Olga")
    with app.app_context():  # another team, which the manager must not see
        other = groups.create_group(f"Other team {tag}")
        groups.add_member(other, accounts.find_user(outsider.email))
        db.session.commit()
        other_id = other.id

    # The admin makes the group and fills it from a CSV file with a role per person.
    page = new_page(locale="de-DE")
    log_in(page, admin)
    page.goto("/admin/groups/new")
    page.get_by_label(say(app, LANG, "Name of the group"), exact=True).fill(f"KAM team {tag}")
    page.get_by_role("button", name=say(app, LANG, "Create the group"), exact=True).click()
    page.get_by_role("link", name=say(app, LANG, "Add from a CSV file…"), exact=True).click()
    csv = f"E-Mail;Rolle\n{anna.email};\n{ben.email};member\n{trainer.email};trainer\n{manager.email};manager\n"
    page.get_by_label(say(app, LANG, "CSV file"), exact=True).set_input_files(
        {"name": "team.csv", "mimeType": "text/csv", "buffer": csv.encode()}
    )
    page.get_by_role("button", name=say(app, LANG, "Check and add"), exact=True).click()
    for person in (anna, ben, trainer, manager):
        expect(page.get_by_role("table")).to_contain_text(person.email)
    with app.app_context():
        group_id = db.session.query(Group.id).filter(Group.name == f"KAM team {tag}").scalar()

    # The trainer assigns the course to the team, due in 14 days.
    page = new_page(locale="de-DE")
    log_in(page, trainer)
    page.goto(f"/studio/courses/{COURSE}/assignments")
    today = datetime.now(ZoneInfo(app.config["TIME_ZONE"])).date()
    due = today + timedelta(days=14)
    page.get_by_label(say(app, LANG, "Group"), exact=True).select_option(label=f"KAM team {tag}")
    page.get_by_label(say(app, LANG, "Due date"), exact=True).fill(due.isoformat())
    findings["the assignments page"] = blocking_violations(page)
    page.get_by_role("button", name=say(app, LANG, "Assign"), exact=True).click()
    expect(page.get_by_role("table")).to_contain_text(f"KAM team {tag}")

    # The job sends the learners their "assigned" mail; nobody else gets one.
    run_job(app)
    assigned = say(app, LANG, "A course is assigned to you")
    for learner in (anna, ben):
        mails = mails_to(mailbox, learner.email, 1)
        assert [mail.subject for mail in mails] == [assigned], learner.email
        assert course_title(LANG) in mails[0].text
        assert any(f"/courses/{COURSE}" in link or "/notifications/" in link for link in mails[0].links)
    assert mailbox.to(outsider.email) == [] and mailbox.to(trainer.email) == []

    # Anna sees the course first on her home page, with its due date, and the notification in the header.
    page = new_page(locale="de-DE")
    log_in(page, anna)
    expect(page.locator("main")).to_contain_text(course_title(LANG))
    expect(page.locator("main")).to_contain_text(str(due.day))
    page.goto("/notifications")
    expect(page.locator("main")).to_contain_text(course_title(LANG))
    findings["the learner's notifications"] = blocking_violations(page)

    # Twelve days later the reminder job (as cron runs it every few minutes) sends "due soon" exactly once.
    later = datetime.combine(due - timedelta(days=2), time(9), tzinfo=UTC)
    run_job(app, later)
    run_job(app, later + timedelta(minutes=5))
    run_job(app, later + timedelta(hours=6))
    due_soon = say(app, LANG, "Your course is due soon")
    for learner in (anna, ben):
        mails = mails_to(mailbox, learner.email, 2)
        assert [mail.subject for mail in mails] == [assigned, due_soon], learner.email

    # The manager reads the team's report, and cannot open another team's.
    page = new_page(locale="de-DE")
    log_in(page, manager)
    page.get_by_role("link", name=say(app, LANG, "Reports"), exact=True).click()
    expect(page.get_by_role("link", name=course_title(LANG))).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text(f"Other team {tag}")
    findings["the manager's reports"] = blocking_violations(page)
    page.get_by_role("link", name=course_title(LANG)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"KAM team {tag}")
    members = page.locator("dt", has_text=say(app, LANG, "Members")).locator("xpath=following-sibling::dd")
    expect(members).to_have_text("2")  # Anna and Ben; the trainer and the manager are not members
    findings["the group report"] = blocking_violations(page)
    response = page.goto(f"/reports/groups/{other_id}/courses/{COURSE}")
    assert response is not None and response.status == 404

    # The CSV is made by a background job: its page shows how far it is, then offers the file.
    page.goto(f"/reports/groups/{group_id}/courses/{COURSE}")
    page.get_by_role("button", name=say(app, LANG, "Download as CSV")).click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    findings["the CSV job, waiting"] = blocking_violations(page)
    # The live server's job runner (the embedded thread) makes the file; the page's script shows it when ready.
    filename = f"report-group-{group_id}-{COURSE}.csv"
    expect(page.get_by_role("status")).to_have_text(say(app, LANG, "Ready: %(name)s.", name=filename))  # jobs.js
    findings["the CSV job, done"] = blocking_violations(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=say(app, LANG, "Download %(name)s", name=filename)).click()
    assert download.value.suggested_filename == filename
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert anna.email in text and outsider.email not in text
    fail_on(findings)
