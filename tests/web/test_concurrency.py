"""Requests that race on one attempt or one design, on SQLite and PostgreSQL: nothing is lost, undone or refused.

Each race is made certain, not likely: a hook around the loader of the row both requests change (attempt or
design) makes both requests read before either writes, the second writing last from its stale read. With a
lock taken by the loader, the second request waits inside its load until the first has committed, and the
first stops waiting for it after a short while; no assertion depends on timing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from types import ModuleType

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from course.core.sandbox import draw_parameters, recommended_plan, salesperson_plan, scenario
from course.core.sandbox.evaluation import plan_data
from course.extensions import db, lock_for_writing
from course.models import QuizAttempt, QuizResult, SandboxDesign, SandboxResult, SandboxVersion, User
from course.quiz import operations as quiz_operations
from course.sandbox import operations as sandbox_operations
from tests.quiz_helpers import COURSE, MANDATE, attempt_key, client_for, faster_apps, start_attempt

API = "/api/v1"
RENDEZVOUS_SECONDS = 0.2  # how long the first request waits for a second one that a lock holds back
HANG_GUARD_SECONDS = 10  # only a broken test ever waits this long
ROUNDS = 2


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    return faster_apps(make_app, monkeypatch)


def at_once(*calls: Callable[[], object]) -> list[object]:
    """Run each call in its own thread, all released together; their results in order (an exception is raised)."""
    start = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], object]) -> None:
        start.wait()
        try:
            results[index] = call()
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


class Interleaving:
    """Orders two requests around a loader (`own_attempt`, `own_design`): the second loads after the first, the
    first waits until the second has loaded too, and the second goes on once the first has finished. So both
    read before either writes, and the second writes last from what it read, unless the loader's lock holds the
    second back until the first has committed: then the first stops waiting after `RENDEZVOUS_SECONDS`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: ModuleType, name: str) -> None:
        self.role = threading.local()
        self.first_loaded = self.second_loaded = self.first_done = threading.Event()
        original = getattr(module, name)

        def loaded(*args: object, **kwargs: object) -> object:
            role = getattr(self.role, "name", None)
            if role == "second":
                self.first_loaded.wait(HANG_GUARD_SECONDS)
            found = original(*args, **kwargs)
            if role == "first":
                self.first_loaded.set()
                self.second_loaded.wait(RENDEZVOUS_SECONDS)
            elif role == "second":
                self.second_loaded.set()
                self.first_done.wait(HANG_GUARD_SECONDS)
            return found

        monkeypatch.setattr(module, name, loaded)

    def race(self, first: Callable[[], object], second: Callable[[], object]) -> list[object]:
        """Both requests' responses, first's first."""
        self.first_loaded, self.second_loaded, self.first_done = threading.Event(), threading.Event(), threading.Event()

        def run(role: str, call: Callable[[], object]) -> object:
            self.role.name = role
            try:
                return call()
            finally:
                self.role.name = None
                if role == "first":
                    self.first_done.set()

        return at_once(lambda: run("first", first), lambda: run("second", second))


@pytest.fixture
def attempt_loads(monkeypatch: pytest.MonkeyPatch) -> Interleaving:
    return Interleaving(monkeypatch, quiz_operations, "own_attempt")


@pytest.fixture
def design_loads(monkeypatch: pytest.MonkeyPatch) -> Interleaving:
    return Interleaving(monkeypatch, sandbox_operations, "own_design")


# --- The lock itself -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"])
def test_on_sqlite_the_write_lock_is_held_from_before_the_read_to_the_commit(app: Flask, make_user) -> None:
    """Taken even after the request has read (reads are outside a transaction); readers are never held up."""
    user = make_user()
    with app.app_context():
        other = sqlite3.connect(db.engine.url.database, timeout=0)  # gives up at once instead of waiting
        try:
            assert db.session.get(User, user.id) is not None
            lock_for_writing()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            assert other.execute("SELECT count(*) FROM users").fetchone() == (1,)
            lock_for_writing()  # again in the same transaction: nothing to do
            db.session.commit()
            other.execute("BEGIN IMMEDIATE")
            other.rollback()
        finally:
            other.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_on_sqlite_a_request_waits_for_the_write_lock_and_takes_it_when_released(app: Flask, make_user) -> None:
    """While another process writes, the request waits for the lock and takes it once that one commits."""
    make_user()
    with app.app_context():
        holder = sqlite3.connect(db.engine.url.database, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    taken = threading.Event()

    def take() -> None:
        with app.app_context():
            lock_for_writing()
            taken.set()
            db.session.execute(text("UPDATE users SET display_name = 'Second'"))
            db.session.commit()

    worker = threading.Thread(target=take)
    try:
        worker.start()
        assert not taken.wait(RENDEZVOUS_SECONDS)  # held back while the other connection writes
        holder.execute("UPDATE users SET display_name = 'First'")
        holder.commit()
        worker.join(HANG_GUARD_SECONDS)
        assert taken.is_set() and holder.execute("SELECT display_name FROM users").fetchone() == ("Second",)
    finally:
        holder.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_on_sqlite_a_write_lock_never_released_fails_after_the_busy_timeout(make_app, make_user) -> None:
    app = make_app(SQLITE_BUSY_TIMEOUT_MS=50)
    make_user()
    with app.app_context():
        holder = sqlite3.connect(db.engine.url.database, timeout=0)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(OperationalError, match="locked"):
                lock_for_writing()
        finally:
            holder.close()


def api_start(client) -> int:
    response = client.post(f"{API}/courses/{COURSE}/quizzes/{MANDATE}/attempts")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def questions_of(client, attempt_id: int) -> dict[str, dict]:
    document = client.get(f"{API}/attempts/{attempt_id}").get_json()
    return {question["id"]: question for question in document["questions"]}


# --- A checked answer stays checked (issue #13, item 1) --------------------------------------------------------


@pytest.mark.parametrize("first", ["check", "save"])
@pytest.mark.parametrize("way", ["api", "page"])
def test_an_answer_checked_while_another_is_saved_stays_checked_and_locked(
    app: Flask, make_user, attempt_loads: Interleaving, way: str, first: str
) -> None:
    """Check one question and save another at the same moment: the check holds, the save is kept, and a later
    save of the checked question changes nothing, so the result counts the answer as it was checked."""
    outcomes = [_check_while_saving(app, make_user(locale="en"), attempt_loads, way, first) for _ in range(ROUNDS)]
    undone = [outcome for outcome in outcomes if outcome != (True, "wrong", 0, 1)]
    assert undone == [], f"{len(undone)} of {ROUNDS} checks undone or saves lost: (checked, answer, marks)"


def _check_while_saving(app: Flask, user: User, attempt_loads: Interleaving, way: str, first: str) -> tuple:
    """(checked?, the checked answer, its mark, the saved question's mark) after the race, a later save of the
    checked question and the submission."""
    learner, other_tab = client_for(app, user), client_for(app, user)
    attempt_id = api_start(learner)
    key = attempt_key(app, attempt_id)
    checked, saved = key.of_type("single"), key.of_type("truefalse")
    base = f"{API}/attempts/{attempt_id}"
    if way == "api":
        check = lambda: learner.post(f"{base}/questions/{checked}/check", json={"answer": key.wrong(checked)})  # noqa: E731
        save = lambda: other_tab.post(f"{base}/answers", json={"answers": {saved: key.right(saved)}})  # noqa: E731
    else:  # a page sends all its fields (one left empty is saved as unanswered) and checks `check=<number>`
        drafts = {checked: key.wrong(checked), saved: key.right(saved)}
        check = lambda: learner.post(  # noqa: E731
            f"/attempts/{attempt_id}", data={**key.form_data(drafts), "check": str(key.number(checked))}
        )
        save = lambda: other_tab.post(f"/attempts/{attempt_id}", data=key.form_data({saved: key.right(saved)}))  # noqa: E731
    if first == "check":
        checking, saving = attempt_loads.race(check, save)
    else:
        saving, checking = attempt_loads.race(save, check)
    assert checking.status_code in (200, 302) and saving.status_code in (200, 302)

    later = learner.post(f"{base}/answers", json={"answers": {checked: key.right(checked)}})
    assert later.status_code == 200, later.get_json()
    question = questions_of(learner, attempt_id)[checked]
    result = learner.post(f"{base}/submit", json={"answers": {}, "allow_unanswered": True}).get_json()
    marks = {question["id"]: question["result"]["mark"] for question in result["questions"]}
    answer = {key.wrong(checked): "wrong", key.right(checked): "right"}.get(question["answer"], question["answer"])
    return question["checked"], answer, marks[checked], marks[saved]


# --- A double-clicked submit lands on the review (issue #13, item 7) -------------------------------------------


@pytest.mark.parametrize("fast", [True, False], ids=["prepared-close", "orm-close"])
def test_a_double_clicked_submit_shows_the_review_twice_and_counts_once(
    app: Flask, make_user, attempt_loads: Interleaving, fast: bool
) -> None:
    """Either way of closing the attempt (course/fast/attempts.py or its plain twin)."""
    app.config["FAST_PATHS"] = fast
    refused = []
    for _round in range(ROUNDS):
        user = make_user(locale="en")
        attempt_id, landed = _submit_twice(app, user, attempt_loads)
        if landed != [(302, f"/attempts/{attempt_id}/review")] * 2:
            refused.append(landed)
        with app.app_context():
            result = db.session.scalar(select(QuizResult).where(QuizResult.user_id == user.id))
            assert (result.attempts, result.best_percent) == (1, 100.0)
            assert db.session.get(QuizAttempt, attempt_id).status == "submitted"
    assert refused == [], f"{len(refused)} of {ROUNDS} double submits not both sent to the review"


def _submit_twice(app: Flask, user: User, attempt_loads: Interleaving) -> tuple[int, list[tuple]]:
    """The attempt, and (status, redirect) of each of two submissions of it from two tabs at once."""
    first, second = client_for(app, user), client_for(app, user)
    attempt_id = start_attempt(first)
    key = attempt_key(app, attempt_id)
    data = {**key.form_data(key.right_answers()), "submit": "1"}
    responses = attempt_loads.race(
        lambda: first.post(f"/attempts/{attempt_id}", data=data),
        lambda: second.post(f"/attempts/{attempt_id}", data=data),
    )
    return attempt_id, [(response.status_code, response.headers.get("Location")) for response in responses]


def test_many_learners_submitting_at_once_are_each_recorded_once(app: Flask, make_user) -> None:
    clients = [client_for(app, make_user(locale="en")) for _ in range(8)]
    attempts = [start_attempt(client) for client in clients]
    keys = [attempt_key(app, attempt_id) for attempt_id in attempts]
    forms = [{**key.form_data(key.right_answers()), "submit": "1"} for key in keys]
    responses = at_once(
        *(
            lambda c=c, a=a, f=f: c.post(f"/attempts/{a}", data=f)
            for c, a, f in zip(clients, attempts, forms, strict=True)
        )
    )
    assert [r.headers.get("Location") for r in responses] == [f"/attempts/{a}/review" for a in attempts]
    with app.app_context():
        results = db.session.execute(select(QuizResult.attempts, QuizResult.best_percent)).all()
        assert sorted(results) == [(1, 100.0)] * len(attempts)
        statuses = db.session.scalars(select(QuizAttempt.status).where(QuizAttempt.id.in_(attempts))).all()
        assert statuses == ["submitted"] * len(attempts)


# --- A design's best score never goes down (issue #13, item 6) -------------------------------------------------


@pytest.mark.parametrize("first", ["good", "poor"])
def test_a_designs_best_score_keeps_the_best_of_versions_saved_at_once(
    app: Flask, make_user, design_loads: Interleaving, first: str
) -> None:
    """A good and a poor plan saved at the same moment, in either order: the design and the learner's overall
    best are the good plan's score."""
    lowered = []
    for _round in range(ROUNDS):
        user = make_user(locale="en")
        design_id, scores = _save_good_and_poor(app, user, design_loads, first)
        with app.app_context():
            design = db.session.get(SandboxDesign, design_id)
            stored = db.session.scalars(select(SandboxVersion.score).where(SandboxVersion.design_id == design.id))
            assert set(stored) == scores
            overall = db.session.scalar(select(SandboxResult.best_score).where(SandboxResult.user_id == user.id))
            if (design.best_score, overall) != (max(scores), max(scores)):
                lowered.append((design.best_score, overall, sorted(scores)))
    assert lowered == [], f"{len(lowered)} of {ROUNDS} designs lost their best score: (design, overall, versions)"


def _save_good_and_poor(app: Flask, user: User, design_loads: Interleaving, first: str) -> tuple[int, set[float]]:
    """A new design with two versions saved from two tabs at once; its id and the two versions' scores."""
    learner, other_tab = client_for(app, user), client_for(app, user)
    created = learner.post(f"{API}/courses/{COURSE}/sandbox/designs", json={"scenario": "defend"}).get_json()
    chosen = scenario("defend")
    budget = draw_parameters(chosen, created["seed"]).budget_ttc
    versions = f"{API}/sandbox/designs/{created['id']}/versions"
    good = lambda: learner.post(versions, json={"plan": plan_data(recommended_plan(chosen, budget))})  # noqa: E731
    poor = lambda: other_tab.post(versions, json={"plan": plan_data(salesperson_plan(budget))})  # noqa: E731
    responses = design_loads.race(good, poor) if first == "good" else design_loads.race(poor, good)
    assert [response.status_code for response in responses] == [201, 201]
    scores = {response.get_json()["score"] for response in responses}
    assert len(scores) == 2
    return created["id"], scores
