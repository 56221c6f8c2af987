"""The analytics pages: who may open them, the statistics against a hand-computed example, the progress table's
filters, sorting and pages, the CSV export and the sandbox histogram."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable

import pytest
from flask import Flask

from course.analytics import operations
from course.analytics.operations import LearnerFilter
from course.core.quiz.statistics import ItemFlag
from course.extensions import db
from tests.jobs import ask, export
from tests.quiz_helpers import attempt_key, client_for, faster_apps, start_attempt
from tests.web.test_analytics_seed import COURSE, MANDATE, add_attempt, add_learner, course_of

PAGES = (
    f"/studio/courses/{COURSE}/learners",
    f"/studio/courses/{COURSE}/learners/{{learner}}",
    f"/studio/courses/{COURSE}/quizzes",
    f"/studio/courses/{COURSE}/quizzes/{MANDATE}/statistics",
    f"/studio/courses/{COURSE}/sandbox",
)


@pytest.fixture
def app(make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch) -> Flask:
    # The worked example below has four attempts: flags show from the first attempt here (the minimum number of
    # attempts has its own tests in test_analytics_counts.py).
    return faster_apps(make_app, monkeypatch)(ITEM_FLAGS_MIN_ATTEMPTS=1)


def trainer(app: Flask, locale: str = "en", role: str = "trainer"):
    user_id = add_learner(app, f"Coach {role}", role=role, locale=locale)
    return client_for(app, type("U", (), {"id": user_id})())


def text_of(response) -> str:
    return response.get_data(as_text=True)


# --- access -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(app: Flask, page: str) -> None:
    learner = add_learner(app, "Ada")
    response = app.test_client().get(page.format(learner=learner))
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("page", PAGES)
def test_learners_cannot_open_analytics_pages(app: Flask, page: str) -> None:
    learner = add_learner(app, "Ada")
    client = client_for(app, type("U", (), {"id": learner})())
    assert client.get(page.format(learner=learner)).status_code == 403


@pytest.mark.parametrize("role", ["trainer", "admin"])
@pytest.mark.parametrize("page", PAGES)
def test_trainers_and_admins_open_every_analytics_page(app: Flask, page: str, role: str) -> None:
    learner = add_learner(app, "Ada", lessons=1, quizzes={MANDATE: (50.0, False)}, sandbox={"defend": 55.0})
    response = trainer(app, role=role).get(page.format(learner=learner))
    assert response.status_code == 200
    body = text_of(response)
    assert "style=" not in body and "<script" not in body  # the strict CSP allows neither


def test_only_trainers_managers_and_admins_ask_for_the_csv(app: Flask) -> None:
    """The CSV is a background job asked for by a POST: visitors log in, learners are refused, readers get a job."""
    learner = add_learner(app, "Ada")
    path = f"/studio/courses/{COURSE}/learners.csv"
    assert "/auth/login" in app.test_client().post(path).headers["Location"]
    assert client_for(app, type("U", (), {"id": learner})()).post(path).status_code == 403
    readers = {role: trainer(app, role=role) for role in ("trainer", "manager", "admin")}
    for client in readers.values():
        ask(client, path)
    assert readers["trainer"].get(path).status_code == 405  # a link cannot start an export
    assert readers["trainer"].post("/studio/courses/nope/learners.csv").status_code == 404


@pytest.mark.parametrize(
    "page",
    [
        "/studio/courses/nope/learners",
        "/studio/courses/nope/quizzes",
        "/studio/courses/nope/sandbox",
        f"/studio/courses/{COURSE}/quizzes/nope/statistics",
        f"/studio/courses/{COURSE}/learners/999999",
        f"/studio/courses/{COURSE}/learners/99999999999999999999",
    ],
)
def test_unknown_course_quiz_or_learner_is_a_404_page(app: Flask, page: str) -> None:
    assert trainer(app).get(page).status_code == 404


# --- item statistics: the worked example of tests/test_quiz_statistics.py, stored as real attempts ---------------
#
# Three questions of the mandate quiz: a = pay-depends-on (single, 1 point), b = mandate-bonus-total (numeric,
# 2 points: 100000 is full marks, 15000 half), c = fourth-question (short text, 1 point).
#
#   learner  a  b  c   T    responses
#   1        1  2  1   4    right option, 100000, "Support"
#   2        1  0  1   2    right option, 85000, "support "
#   3        0  2  1   3    "visits", "100.000" (= 100000), "Unterstützung"
#   4        0  1  0   1    "quarter-revenue", 15000, "Ansprechpartner"
#
# Facility (mean / max): a = 2/4 = 50 %, b = 5/8 = 62.5 %, c = 3/4 = 75 %.
# Discrimination r(x, T − x): a: x = 1,1,0,0 against X = 3,1,3,1 → deviations ½,½,−½,−½ and 1,−1,1,−1 → Σ = 0 → 0.
#   b: x = 2,0,2,1, X = 2,2,1,0 → Σdx·dX = −¼, Σdx² = ΣdX² = 11/4 → r = −1/11 = −9.1 %.
#   c: x = 1,1,1,0, X = 3,1,2,1 → Σdx·dX = ¾, Σdx² = ¾, ΣdX² = 11/4 → r = ¾ / √(¾ · 11/4) = √(3/11) = 52.2 %.
# Discriminative efficiency: a = 0, b = −100/11 = −9.1 %, c = 100 % (Cov equals Cov_max).
# Flags: a dubious (DE 0 < 15), b dubious and negative, c none. Mean score (4 + 2 + 3 + 1)/16 = 62.5 %.
# CIC = 100 · 3/2 · (1 − (1/3 + 11/12 + 1/4)/(5/3)) = 15 %.

RIGHT, WRONG_VISITS, WRONG_REVENUE = "mandate-carried-out", "visits", "quarter-revenue"
ROWS = [
    (RIGHT, 1, (100000, "100000"), 2, "Support", 1),
    (RIGHT, 1, (85000, "85000"), 0, "support ", 1),
    (WRONG_VISITS, 0, (100000, "100.000"), 2, "Unterstützung", 1),
    (WRONG_REVENUE, 0, (15000, "15000"), 1, "Ansprechpartner", 0),
]


def seed_worked_example(app: Flask) -> list[int]:
    learners = []
    for number, (a, mark_a, (value, typed), mark_b, c, mark_c) in enumerate(ROWS, start=1):
        learner = add_learner(app, f"Learner {number}")
        add_attempt(
            app,
            learner,
            MANDATE,
            {
                "pay-depends-on": (a, mark_a),
                "mandate-bonus-total": ({"text": typed, "value": float(value)}, mark_b),
                "fourth-question": (c, mark_c),
            },
        )
        learners.append(learner)
    return learners


def test_item_statistics_match_the_hand_computed_example(app: Flask) -> None:
    learners = seed_worked_example(app)
    # A second attempt must not count by default: it would turn question a's facility to 3/5.
    add_attempt(app, learners[3], MANDATE, {"pay-depends-on": (RIGHT, 1)}, number=2)
    course = course_of(app)
    with app.test_request_context():
        report = operations.quiz_report(course, course.quiz(MANDATE), True, "en")
    assert report.attempts == 4
    assert report.mean_percent == pytest.approx(62.5)
    assert report.cic == pytest.approx(15.0)
    stats = {item.question.id: item.statistics for item in report.questions}
    a, b, c = stats["pay-depends-on"], stats["mandate-bonus-total"], stats["fourth-question"]
    assert (a.facility, b.facility, c.facility) == (0.5, 0.625, 0.75)
    assert a.discrimination == pytest.approx(0.0, abs=1e-12)
    assert b.discrimination == pytest.approx(-1 / 11)
    assert c.discrimination == pytest.approx(math.sqrt(3 / 11))
    assert b.discriminative_efficiency == pytest.approx(-100 / 11)
    assert c.discriminative_efficiency == pytest.approx(100.0)
    assert a.flags == (ItemFlag.DUBIOUS,)
    assert b.flags == (ItemFlag.DUBIOUS, ItemFlag.NEGATIVE_DISCRIMINATION)
    assert c.flags == ()
    assert stats["good-objectives"].attempts == 0  # in the quiz, drawn by no attempt here
    assert [item.question.id for item in report.questions] == [q.id for q in course.quiz(MANDATE).questions]
    assert report.flagged == 2


def test_all_attempts_include_repeats(app: Flask) -> None:
    learners = seed_worked_example(app)
    add_attempt(app, learners[3], MANDATE, {"pay-depends-on": (RIGHT, 1)}, number=2)
    course = course_of(app)
    with app.test_request_context():
        report = operations.quiz_report(course, course.quiz(MANDATE), False, "en")
    assert report.attempts == 5
    assert report.questions[1].statistics.facility == pytest.approx(3 / 5)


def row_of(body: str, question_number: int) -> list[str]:
    """The cells of the summary table's row for one question, as text."""
    rows = re.findall(r"<tr[^>]*>\s*<td class=\"number\">(\d+)</td>(.*?)</tr>", body, re.S)
    cells = dict(rows)[str(question_number)]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", cells, re.S)]


def test_statistics_page_shows_the_numbers_flags_and_editor_links(app: Flask) -> None:
    seed_worked_example(app)
    body = text_of(trainer(app).get(f"/studio/courses/{COURSE}/quizzes/{MANDATE}/statistics"))
    # question 2 is pay-depends-on (a), 4 is mandate-bonus-total (b), 3 is fourth-question (c) in the file's order
    assert row_of(body, 2)[1:] == ["4", "50.0", "57.7", "0.0", "0.0", "check"]
    assert row_of(body, 4)[1:] == ["4", "62.5", "47.9", "-9.1", "-9.1", "check"]
    assert row_of(body, 3)[1:] == ["4", "75.0", "50.0", "52.2", "100.0", "–"]
    assert "15.0 %" in body  # CIC
    assert "Negative discrimination" in body and "Dubious" in body
    assert f'href="/studio/files/quizzes/{COURSE}/{MANDATE}.yml#q-mandate-bonus-total"' in body


def test_statistics_page_in_german_uses_german_numbers(app: Flask) -> None:
    seed_worked_example(app)
    body = text_of(trainer(app, locale="de").get(f"/studio/courses/{COURSE}/quizzes/{MANDATE}/statistics"))
    assert row_of(body, 4)[1:4] == ["4", "62,5", "47,9"]


def test_answer_distribution_on_the_page(app: Flask) -> None:
    seed_worked_example(app)
    body = text_of(trainer(app).get(f"/studio/courses/{COURSE}/quizzes/{MANDATE}/statistics"))
    section = body[body.index('id="q-mandate-bonus-total"') :]
    section = section[: section.index("</section>")]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", section, re.S)]
    header, rows = cells[:4], [cells[i : i + 4] for i in range(4, len(cells), 4)]
    assert header == ["Answer", "Right?", "Count", "Share"]
    # 100000 and "100.000" are the same number; ties are listed by value
    assert rows == [
        ["100,000", "right", "2", "50 %"],
        ["15,000", "–", "1", "25 %"],
        ["85,000", "–", "1", "25 %"],
        ["No answer", "–", "0", "0 %"],
    ]
    choices = body[body.index('id="q-pay-depends-on"') :]
    choices = choices[: choices.index("</section>")]
    assert re.findall(r'<td class="number">(\d+)</td>', choices) == ["2", "1", "1", "0", "0"]


@pytest.mark.parametrize("mode", ["bogus", "", "ALL"])
def test_a_bad_attempts_switch_falls_back_to_first_attempts(app: Flask, mode: str) -> None:
    response = trainer(app).get(f"/studio/courses/{COURSE}/quizzes/{MANDATE}/statistics?attempts={mode}")
    assert response.status_code == 200
    assert 'aria-current="page">First attempts' in text_of(response)


def test_quiz_list_counts_first_attempts_and_flagged_questions(app: Flask) -> None:
    seed_worked_example(app)
    body = text_of(trainer(app).get(f"/studio/courses/{COURSE}/quizzes"))
    row = body[body.index(f"/quizzes/{MANDATE}/statistics") :]
    row = row[: row.index("</tr>")]
    numbers = re.findall(r'<td class="number">(?:<span class="flag">)?([^<]+)', row)
    assert numbers == ["7", "4", "62.5 %", "2"]


# --- the progress table -----------------------------------------------------------------------------------------


def seed_progress(app: Flask) -> dict[str, int]:
    course = course_of(app)
    everything = {quiz.id: (90.0, True) for quiz in course.quizzes}
    return {
        "certified": add_learner(
            app, "Cora Certified", lessons=6, quizzes=everything, sandbox={"defend": 80.0}, certificate="valid"
        ),
        "completed": add_learner(app, "Carl Completed", lessons=6, quizzes=everything, sandbox={"growth": 71.0}),
        "revoked": add_learner(
            app, "Rita Revoked", lessons=6, quizzes=everything, sandbox={"defend": 75.0}, certificate="revoked"
        ),
        "progress": add_learner(app, "Paul Progress", lessons=2, quizzes={MANDATE: (40.0, False)}),
        "idle": add_learner(app, "Ina Idle", email="=cmd|' /C calc'!A0@example.org"),
    }


def page_of(app: Flask, **wanted) -> operations.LearnerPage:
    page = wanted.pop("page", 1)
    size = wanted.pop("size", 50)
    with app.app_context():
        return operations.learner_page(course_of(app), LearnerFilter(**wanted), page, size)


def test_statuses_of_learners(app: Flask) -> None:
    ids = seed_progress(app)
    add_learner(app, "Tom Trainer", role="trainer")  # staff are not in the table
    rows = {row.user_id: row for row in page_of(app).rows}
    assert len(rows) == 5
    assert rows[ids["certified"]].status == "certified" and rows[ids["certified"]].certificate
    assert rows[ids["completed"]].status == "completed"
    assert rows[ids["revoked"]].status == "completed" and rows[ids["revoked"]].revoked
    assert rows[ids["progress"]].status == "in_progress" and rows[ids["progress"]].lessons == 2
    assert rows[ids["idle"]].status == "not_started" and rows[ids["idle"]].last_activity is None
    assert rows[ids["progress"]].quizzes[MANDATE].percent == 40.0


@pytest.mark.parametrize(
    ("status", "names"),
    [
        ("certified", ["Cora Certified"]),
        ("completed", ["Carl Completed", "Rita Revoked"]),
        ("in_progress", ["Paul Progress"]),
        ("not_started", ["Ina Idle"]),
    ],
)
def test_filter_by_status(app: Flask, status: str, names: list[str]) -> None:
    seed_progress(app)
    assert [row.name for row in page_of(app, status=status).rows] == names


def test_filter_by_name_or_email_fragment_ignores_case_and_wildcards(app: Flask) -> None:
    seed_progress(app)
    assert [row.name for row in page_of(app, query="PAUL").rows] == ["Paul Progress"]
    assert [row.name for row in page_of(app, query="cmd|").rows] == ["Ina Idle"]
    assert page_of(app, query="%").rows == []  # a literal %, not a wildcard
    assert page_of(app, query="_").rows == []


def test_sort_keys_and_directions(app: Flask) -> None:
    seed_progress(app)
    assert [r.name for r in page_of(app).rows] == [
        "Carl Completed",
        "Cora Certified",
        "Ina Idle",
        "Paul Progress",
        "Rita Revoked",
    ]
    by_lessons = [r.name for r in page_of(app, sort="lessons", descending=True).rows]
    assert by_lessons[-2:] == ["Paul Progress", "Ina Idle"]
    by_sandbox = [r.name for r in page_of(app, sort="sandbox", descending=True).rows]
    assert by_sandbox[:3] == ["Cora Certified", "Rita Revoked", "Carl Completed"]
    assert [r.name for r in page_of(app, sort="sandbox").rows][:2] == ["Ina Idle", "Paul Progress"]


def test_unknown_sort_status_or_direction_fall_back_to_defaults() -> None:
    assert LearnerFilter.parse(None, "weird", "password_hash", "sideways") == LearnerFilter()
    assert LearnerFilter.parse("  x" * 100, None, None, None).query == ("  x" * 100).strip()[:120]


def test_pages_cover_every_learner_once_and_a_page_past_the_end_shows_the_last(app: Flask) -> None:
    for number in range(7):
        add_learner(app, f"Learner {number:02d}")
    first, second, third = (page_of(app, page=n, size=3) for n in (1, 2, 3))
    names = [r.name for p in (first, second, third) for r in p.rows]
    assert names == [f"Learner {n:02d}" for n in range(7)]
    assert (first.first, first.last, first.total, first.pages) == (1, 3, 7, 3)
    assert (third.first, third.last) == (7, 7)
    assert page_of(app, page=99, size=3).page == 3
    assert page_of(app, page=-4, size=3).page == 1


@pytest.mark.parametrize("query", ["page=abc", "page=-1", "page=99999999999999999999", "sort=x&dir=y&status=z"])
def test_bad_query_parameters_still_show_the_table(app: Flask, query: str) -> None:
    seed_progress(app)
    response = trainer(app).get(f"/studio/courses/{COURSE}/learners?{query}")
    assert response.status_code == 200
    assert "Learners 1–5 of 5" in text_of(response)


def test_progress_page_links_pages_and_learners(app: Flask) -> None:
    for number in range(55):
        add_learner(app, f"Learner {number:02d}")
    client = trainer(app)
    body = text_of(client.get(f"/studio/courses/{COURSE}/learners?sort=name&dir=desc&q=learner"))
    assert "Learners 1–50 of 55" in body
    assert "page=2" in body and "dir=desc" in body and 'rel="next"' in body
    body = text_of(client.get(f"/studio/courses/{COURSE}/learners?page=2&sort=name&dir=desc&q=learner"))
    assert "Learners 51–55 of 55" in body and "Learner 00" in body


def test_empty_course_shows_a_message_and_an_empty_csv(app: Flask) -> None:
    client = trainer(app)
    assert "No learners match." in text_of(client.get(f"/studio/courses/{COURSE}/learners"))
    response = export(client, app, f"/studio/courses/{COURSE}/learners.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1 and rows[0][:3] == ["Name", "Email", "Status"]


def test_csv_holds_the_filtered_table_and_defuses_formulas(app: Flask) -> None:
    ids = seed_progress(app)
    add_learner(app, "@SUM(1+1)", email="plus@example.org")
    response = export(trainer(app), app, f"/studio/courses/{COURSE}/learners.csv", data={"status": "not_started"})
    text = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert [row[0] for row in body] == ["'@SUM(1+1)", "Ina Idle"]
    assert body[1][1] == "'=cmd|' /C calc'!A0@example.org"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in body for cell in row)
    assert len(header) == len(body[0])
    assert 'filename="kam-pay-learners.csv"' in response.headers["Content-Disposition"]
    assert ids  # the other learners are filtered out


def test_csv_columns_for_a_certified_learner(app: Flask) -> None:
    seed_progress(app)
    text = export(trainer(app), app, f"/studio/courses/{COURSE}/learners.csv", data={"status": "certified"}).get_data(
        as_text=True
    )
    header, row = list(csv.reader(io.StringIO(text)))
    record = dict(zip(header, row, strict=True))
    assert record["Lessons done"] == "6" and record["Lessons in the course"] == "6"
    assert record[f"Best result {MANDATE} (%)"] == "90"
    assert record["Sandbox score"] == "80" and record["Certificate state"] == "valid"


# --- one learner ------------------------------------------------------------------------------------------------


def test_learner_detail_lists_lessons_attempts_designs_and_certificate(app: Flask) -> None:
    learner = add_learner(app, "Cora Certified", lessons=3, sandbox={"defend": 80.0}, certificate="valid")
    add_attempt(app, learner, MANDATE, {"pay-depends-on": (RIGHT, 1)})
    add_attempt(app, learner, MANDATE, {"pay-depends-on": (WRONG_VISITS, 0)}, number=2)
    body = text_of(trainer(app).get(f"/studio/courses/{COURSE}/learners/{learner}"))
    assert "3 of 6 lessons done." in body
    assert body.count(">Attempt 1</a></th>") == 1 and ">Attempt 2</a></th>" in body  # both submitted: linked
    assert "100 %" in body and "0 %" in body
    assert "/sandbox/designs/" in body and "Plan defend" in body
    assert "/verify/" in body and "valid" in body


# --- sandbox ----------------------------------------------------------------------------------------------------


def test_sandbox_histogram_bins_each_learners_best_design(app: Flask) -> None:
    add_learner(app, "A", sandbox={"defend": 72.0, "growth": 100.0})
    add_learner(app, "B", sandbox={"defend": 69.9})
    add_learner(app, "C", sandbox={"defend": 5.0})
    with app.app_context():
        one_more = add_learner(app, "D", sandbox={"defend": 40.0})
        from course.models import SandboxDesign

        db.session.add(
            SandboxDesign(
                user_id=one_more,
                course_id=COURSE,
                scenario_id="defend",
                seed=2,
                name="x",
                best_score=75.0,
                latest_version=1,
            )
        )  # D's best in defend is 75, not 40
        db.session.commit()
        scores = {s.scenario_id: s for s in operations.scenario_scores(course_of(app), ["defend", "growth", "at_risk"])}
    assert scores["defend"].bins == (1, 0, 0, 0, 0, 0, 1, 2, 0, 0)
    assert scores["defend"].learners == 4 and scores["defend"].passed == 2
    assert scores["growth"].bins[9] == 1 and scores["at_risk"].learners == 0 and scores["at_risk"].mean is None
    body = text_of(trainer(app).get(f"/studio/courses/{COURSE}/sandbox"))
    assert body.count("<svg") == 4  # one histogram per scenario
    assert "/courses/kam-pay/sandbox/designs?scenario=defend" in body
    assert 'role="img"' in body and "<desc" in body and "threshold 70" in body


def test_a_trainer_reviews_a_learners_submitted_attempt_and_nobody_else_can(app: Flask) -> None:
    course_of(app)
    ada_id, bob_id = add_learner(app, "Ada Lovelace"), add_learner(app, "Bob")
    ada = client_for(app, type("U", (), {"id": ada_id})())
    attempt_id = start_attempt(ada)
    url = f"/studio/courses/{COURSE}/learners/{ada_id}/attempts/{attempt_id}"
    coach = trainer(app)
    assert coach.get(url).status_code == 404  # still open: nothing to review yet
    key = attempt_key(app, attempt_id)
    assert (
        ada.post(f"/attempts/{attempt_id}", data={**key.form_data(key.right_answers()), "submit": "1"}).status_code
        == 302
    )

    page = text_of(coach.get(url, headers={"Accept-Language": "en"}))
    assert "Ada Lovelace" in page and "Passed" in page
    assert page.count('class="outcome outcome--right') == len(key.question_ids)
    assert "Try again" not in page  # the learner's own actions are not offered to the trainer
    detail = text_of(coach.get(f"/studio/courses/{COURSE}/learners/{ada_id}"))
    assert f'href="{url}"' in detail
    assert ada.get(url).status_code == 403
    assert coach.get(f"/studio/courses/{COURSE}/learners/{bob_id}/attempts/{attempt_id}").status_code == 404
    assert coach.get(f"/studio/courses/{COURSE}/learners/{ada_id}/attempts/{2**40}").status_code == 404
