"""Webhooks: signed per Standard Webhooks (checked with the reference library), sent by the outbox job to a real
HTTP receiver; a receiver that times out or fails is tried again later without holding back other webhooks; a
refusal fails at once with the reason in the delivery log; deleted, switched-off or unsubscribed webhooks are
skipped; addresses are checked (https, no credentials, no private networks) before anything is sent."""

from __future__ import annotations

import html
import json
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook as Verifier

from course import events
from course.account import operations as accounts
from course.config import InsecureConfigError
from course.core import webhooks as rules
from course.extensions import db
from course.models import AuditEntry, Certificate, OutboxMessage, User, Webhook, utcnow
from course.outbox import operations as outbox
from course.webhooks import operations
from course.webhooks.forms import EVENT_LABELS, SCOPE_LABELS
from tests.hr_helpers import Receiver, nearly_complete, webhook_receiver
from tests.quiz_helpers import client_for, faster_apps

EN = {"Accept-Language": "en"}


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    build = faster_apps(make_app, monkeypatch)
    return lambda **overrides: build(**{"WEBHOOK_ALLOW_PRIVATE_ADDRESSES": True, **overrides})


@pytest.fixture
def receiver():
    with webhook_receiver() as running:
        yield running


def add_webhook(app: Flask, url: str, *chosen: str, active: bool = True) -> tuple[int, str]:
    with app.test_request_context():
        admin = db.session.scalar(select(User).where(User.role == "admin")) or _admin()
        webhook = operations.create_webhook("HR", url, chosen or rules.EVENTS, active, by=admin)
        db.session.commit()
        return webhook.id, webhook.secret


def _admin() -> User:
    from course.auth import operations as auth

    user = auth.create_user("hooks-admin@example.org", "correct horse battery", "Admin", role="admin")
    db.session.flush()
    return user


def issue(app: Flask, user_id: int, public_id: str = "c" * 26) -> None:
    """What issuing a certificate tells the integrations, in its own transaction."""
    with app.test_request_context():
        events.emit(events.CertificateIssued(user_id, "kam-pay", public_id, utcnow()))
        db.session.commit()


def send(app: Flask, later: timedelta = timedelta(0)) -> outbox.SendReport:
    with app.app_context():
        return outbox.send_due(utcnow() + later, channel_names=["webhook"])


def messages(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


# --- Signed deliveries -----------------------------------------------------------------------------------------------


def test_a_delivery_is_signed_as_standard_webhooks_says(app: Flask, make_user, receiver: Receiver) -> None:
    learner = make_user(display_name="Zoë Ångström")
    _id, secret = add_webhook(app, receiver.url, "certificate.issued")
    issue(app, learner.id)
    assert str(send(app)) == "1 sent, 0 to retry, 0 failed, 0 skipped, 0 postponed"
    (delivery,) = receiver.deliveries
    assert delivery.path == "/hooks/course"
    assert delivery.headers["Content-Type"] == "application/json"
    payload = Verifier(secret).verify(delivery.body, delivery.headers)
    assert payload["type"] == "certificate.issued"
    assert payload["data"]["user"] == {
        "id": learner.id,
        "erased": False,
        "email": learner.email,
        "name": "Zoë Ångström",
    }
    assert payload["data"]["certificate"]["verify_url"] == "http://127.0.0.1:5000/verify/" + "c" * 26
    assert delivery.headers["webhook-id"] == f"msg_{messages(app)[0].id}"
    assert (
        rules.sign(
            secret, delivery.headers["webhook-id"], int(delivery.headers["webhook-timestamp"]), delivery.body.decode()
        )
        == delivery.headers["webhook-signature"]
    )


def test_the_same_event_is_queued_once_per_webhook(app: Flask, make_user, receiver: Receiver) -> None:
    learner = make_user()
    add_webhook(app, receiver.url, "certificate.issued")
    add_webhook(app, receiver.url, "certificate.issued", "course.completed")
    issue(app, learner.id)
    issue(app, learner.id)  # told twice: still one message per webhook
    assert [m.key.rsplit(":", 1)[0] for m in messages(app)] == ["certificate.issued:" + "c" * 26] * 2
    send(app)
    assert len(receiver.deliveries) == 2


def test_nothing_listens_without_an_active_webhook_for_the_event(app: Flask, receiver: Receiver) -> None:
    event = events.CourseCompleted(1, "kam-pay", utcnow())
    with app.app_context():
        assert not events.wanted(event)
    add_webhook(app, receiver.url, "certificate.issued")
    add_webhook(app, receiver.url, "course.completed", active=False)
    with app.app_context():
        assert not events.wanted(event)
    add_webhook(app, receiver.url, "course.completed")
    with app.app_context():
        assert events.wanted(event)


def test_erasing_a_learner_withdraws_the_deliveries_about_them(app: Flask, make_user, receiver: Receiver) -> None:
    learner = make_user()
    _id, secret = add_webhook(app, receiver.url, "course.completed")
    with app.test_request_context():
        events.emit(events.CourseCompleted(learner.id, "kam-pay", utcnow()))
        db.session.commit()
        accounts.delete_account(db.session.get(User, learner.id), None)
        db.session.commit()
    assert send(app).sent == 0
    assert receiver.deliveries == [] and messages(app) == []


def test_a_learner_erased_before_the_delivery_is_built_is_only_an_id(app: Flask, make_user) -> None:
    learner = make_user()
    with app.test_request_context():
        accounts.delete_account(db.session.get(User, learner.id), None)
        db.session.commit()
        assert operations.person(learner.id) == {"id": learner.id, "erased": True}


# --- Failures --------------------------------------------------------------------------------------------------------


def test_a_receiver_that_times_out_is_tried_again_and_the_delivery_arrives(make_app, make_user, receiver) -> None:
    app = make_app(WEBHOOK_TIMEOUT_SECONDS=0.2)
    learner = make_user()
    _id, secret = add_webhook(app, receiver.url, "certificate.issued")
    issue(app, learner.id)
    receiver.delay = 1.0
    assert send(app).retrying == 1
    (message,) = messages(app)
    assert message.status == "pending" and message.attempts == 1
    port = receiver.url.split(":")[2].split("/")[0]
    assert message.last_error == f"127.0.0.1:{port} gave no answer within 0.2 s."
    receiver.delay = 0
    assert send(app).sent == 0  # not due yet: the outbox waits before the next try
    assert send(app, later=timedelta(minutes=2)).sent == 1
    first, second = receiver.deliveries
    assert first.headers["webhook-id"] == second.headers["webhook-id"]  # the receiver can drop a second copy
    Verifier(secret).verify(second.body, second.headers)


def test_a_dead_receiver_does_not_hold_back_another_webhook(make_app, make_user) -> None:
    app = make_app(WEBHOOK_TIMEOUT_SECONDS=0.2)
    learner = make_user()
    with webhook_receiver() as slow, webhook_receiver() as fast:
        add_webhook(app, slow.url, "certificate.issued")
        add_webhook(app, fast.url, "certificate.issued")
        slow.delay = 1.0
        issue(app, learner.id, "a" * 26)
        issue(app, learner.id, "b" * 26)
        report = send(app)
        assert (report.sent, report.retrying, report.postponed) == (2, 1, 1)
        assert len(fast.deliveries) == 2 and len(slow.deliveries) == 1


@pytest.mark.parametrize(
    ("status", "outcome", "error"),
    [
        (500, "pending", "HTTP 500 from"),
        (503, "pending", "HTTP 503 from"),
        (429, "pending", "HTTP 429 from"),
        (408, "pending", "HTTP 408 from"),
        (400, "failed", "HTTP 400 from"),
        (401, "failed", "HTTP 401 from"),
        (404, "failed", "HTTP 404 from"),
        (410, "failed", "HTTP 410 from"),
        (301, "failed", "HTTP 301: the receiver redirects to ?; enter that address in the webhook."),
    ],
)
def test_what_the_receivers_answer_means(app, make_user, receiver, status: int, outcome: str, error: str) -> None:
    learner = make_user()
    add_webhook(app, receiver.url, "certificate.issued")
    issue(app, learner.id)
    receiver.answers.put(status)
    send(app)
    (message,) = messages(app)
    assert (message.status, message.last_status_code) == (outcome, status)
    assert message.last_error.startswith(error)


@pytest.mark.parametrize("change", ["deleted", "switched off", "unsubscribed"])
def test_a_delivery_for_a_webhook_that_no_longer_wants_it_is_skipped(app, make_user, receiver, change: str) -> None:
    learner = make_user()
    webhook_id, _secret = add_webhook(app, receiver.url, "certificate.issued", "course.completed")
    issue(app, learner.id)
    with app.test_request_context():
        webhook = db.session.get(Webhook, webhook_id)
        if change == "deleted":
            operations.delete_webhook(webhook)
        else:
            operations.change_webhook(
                webhook, webhook.name, webhook.url, ["course.completed"], active=change != "switched off"
            )
        db.session.commit()
    assert send(app).skipped == 1
    assert receiver.deliveries == []
    assert messages(app)[0].status == "skipped"


def test_an_address_that_now_leads_into_a_private_network_is_not_posted_to(make_app, make_user, receiver) -> None:
    app = make_app(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=False)
    learner = make_user()
    with app.test_request_context():
        admin = _admin()
        webhook = Webhook(
            name="HR",
            url=receiver.url,
            secret=rules.new_secret(lambda n: b"k" * n),
            events=["certificate.issued"],
            created_by_id=admin.id,
        )
        db.session.add(webhook)  # saved while the address was public (say), before its name pointed elsewhere
        db.session.commit()
    issue(app, learner.id)
    send(app)
    (message,) = messages(app)
    assert message.status == "failed" and receiver.deliveries == []
    assert "leads into a private or local network (127.0.0.1)" in message.last_error


# --- Addresses -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # a form check: the database adds nothing
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hr.example.com/hook", "The address must start with https://: deliveries carry personal data."),
        ("https://user:pw@hr.example.com/hook", "The address must not contain a user name or password"),
        ("https://127.0.0.1/hook", "leads into a private or local network (127.0.0.1)"),
        ("https://10.1.2.3/hook", "leads into a private or local network (10.1.2.3)"),
        ("https://169.254.169.254/latest/meta-data", "leads into a private or local network (169.254.169.254)"),
        ("https://[::1]/hook", "leads into a private or local network (::1)"),
        ("https://[::ffff:10.0.0.1]/hook", "leads into a private or local network"),
        ("ftp://hr.example.com/hook", "Enter the receiver's full address"),
        ("hr.example.com/hook", "Enter the receiver's full address"),
        ("https://hr.example.com:99999/hook", "This is not a valid web address."),
        ("https://hr.example.com/hook#x", "must not contain a fragment"),
    ],
)
def test_an_address_the_site_will_not_post_to_is_refused_with_the_reason(
    make_app, make_user, url: str, message: str
) -> None:
    app = make_app(WEBHOOK_ALLOW_HTTP=False, WEBHOOK_ALLOW_PRIVATE_ADDRESSES=False)
    admin = client_for(app, make_user(role="admin", locale="en"))
    response = admin.post(
        "/admin/webhooks/new", data={"name": "HR", "url": url, "x_certificate_issued": "y"}, headers=EN
    )
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(Webhook)) is None


def test_public_addresses_are_not_private() -> None:
    assert not rules.is_private("93.184.216.34") and not rules.is_private("2606:2800:220:1:248:1893:25c8:1946")
    assert all(
        rules.is_private(a)
        for a in (
            "127.0.0.1",
            "10.0.0.1",
            "192.168.1.1",
            "172.16.0.1",
            "169.254.1.1",
            "::1",
            "fe80::1",
            "fc00::1",
            "0.0.0.0",  # noqa: S104 - an address checked, not bound
            "224.0.0.1",
        )
    )


# --- The admins' pages -----------------------------------------------------------------------------------------------


def test_admins_create_edit_ping_retry_and_delete_a_webhook(app: Flask, make_user, receiver: Receiver) -> None:
    admin = client_for(app, make_user(role="admin", locale="en"))
    created = admin.post(
        "/admin/webhooks/new",
        data={"name": "HR", "url": receiver.url, "x_certificate_issued": "y", "active": "y"},
        headers=EN,
    )
    assert created.status_code == 302
    page_url = created.headers["Location"]
    with app.app_context():
        webhook = db.session.scalar(select(Webhook))
        webhook_id, first_secret = webhook.id, webhook.secret
    assert first_secret.startswith("whsec_") and first_secret in admin.get(page_url).get_data(as_text=True)

    assert admin.post(f"/admin/webhooks/{webhook_id}/secret").status_code == 302
    with app.app_context():
        secret = db.session.get(Webhook, webhook_id).secret
    assert secret != first_secret

    assert admin.post(f"/admin/webhooks/{webhook_id}/ping").status_code == 302
    receiver.answers.put(400)
    send(app)
    log = html.unescape(admin.get(page_url, headers=EN).get_data(as_text=True))
    assert "HTTP 400 from 127.0.0.1" in log and "Failed" in log
    (message,) = messages(app)
    assert admin.post(f"/admin/webhooks/{webhook_id}/deliveries/{message.id}/retry").status_code == 302
    send(app)
    ping = Verifier(secret).verify(receiver.deliveries[-1].body, receiver.deliveries[-1].headers)
    assert ping["type"] == "ping" and ping["data"]["webhook"]["id"] == webhook_id
    assert admin.post(f"/admin/webhooks/{webhook_id}/deliveries/{message.id}/retry").status_code == 404  # sent

    edited = admin.post(
        f"/admin/webhooks/{webhook_id}/edit",
        data={"name": "HR system", "url": receiver.url, "x_course_completed": "y"},
    )
    assert edited.status_code == 302
    with app.app_context():
        webhook = db.session.get(Webhook, webhook_id)
        assert (webhook.name, webhook.events, webhook.active) == ("HR system", ["course.completed"], False)
    assert "HR system" in admin.get("/admin/webhooks").get_data(as_text=True)

    assert admin.get(f"/admin/webhooks/{webhook_id}/delete").status_code == 200
    assert admin.post(f"/admin/webhooks/{webhook_id}/delete").status_code == 302
    assert admin.get(page_url).status_code == 404
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert [a for a in actions if a.startswith("webhook_")] == [
        "webhook_created",
        "webhook_secret_rotated",
        "webhook_changed",
        "webhook_deleted",
    ]


def test_a_webhook_form_without_events_is_refused(app: Flask, make_user) -> None:
    admin = client_for(app, make_user(role="admin", locale="en"))
    response = admin.post("/admin/webhooks/new", data={"name": "HR", "url": "https://hr.example.com/h"}, headers=EN)
    assert response.status_code == 400 and "Choose at least one event." in response.get_data(as_text=True)


def test_every_event_and_scope_has_a_label() -> None:
    from course.core import api_tokens

    assert list(EVENT_LABELS) == list(rules.EVENTS) and list(SCOPE_LABELS) == list(api_tokens.SCOPES)


def test_the_payload_is_json_with_the_event_type_and_moment(app: Flask, make_user, receiver: Receiver) -> None:
    learner = make_user()
    add_webhook(app, receiver.url, "learner.overdue")
    due = utcnow() - timedelta(days=1)
    with app.test_request_context():
        events.emit(events.LearnerOverdue(learner.id, "kam-pay", 7, due, utcnow()))
        db.session.commit()
    send(app)
    payload = json.loads(receiver.deliveries[0].body)
    assert payload["type"] == "learner.overdue" and payload["timestamp"].endswith("Z")
    assert payload["data"]["assignment_id"] == 7 and payload["data"]["due_at"].endswith("Z")


def test_a_certificate_issued_and_revoked_in_the_app_reaches_the_receiver(app, make_user, receiver) -> None:
    """The events come from the real views: the learner's last lesson, the certificate, a trainer's revocation."""
    learner = make_user(display_name="Zoë Ångström")
    _id, secret = add_webhook(app, receiver.url)
    browser = client_for(app, learner)
    browser.post(nearly_complete(app, learner) + "/complete")
    browser.post("/courses/kam-pay/certificate", data={"name": "Zoë Ångström"})
    with app.app_context():
        public_id = db.session.scalar(select(Certificate.public_id))
    trainer = client_for(app, make_user(role="trainer"))
    assert (
        trainer.post(f"/certificates/{public_id}/revoke", data={"reason": "Issued to the wrong person"}).status_code
        == 302
    )
    assert send(app).sent == 3
    received = [Verifier(secret).verify(d.body, d.headers) for d in receiver.deliveries]
    assert [r["type"] for r in received] == ["course.completed", "certificate.issued", "certificate.revoked"]
    assert received[2]["data"]["reason"] == "Issued to the wrong person"
    assert received[2]["data"]["certificate"]["id"] == public_id


def test_a_refusing_receivers_answer_is_kept_short_in_the_log(app, make_user, receiver) -> None:
    learner = make_user()
    add_webhook(app, receiver.url, "certificate.issued")
    issue(app, learner.id)
    receiver.answers.put((422, b"signature\n   mismatch " + b"x" * 5000))
    send(app)
    (message,) = messages(app)
    assert message.status == "failed"
    assert (
        message.last_error.startswith("HTTP 422 from 127.0.0.1:") and ": signature mismatch xxx" in message.last_error
    )
    assert len(message.last_error) < 300


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # start-up checks: no database involved
@pytest.mark.parametrize("timeout", [0, -1, 121, "ten", True])
def test_a_bad_webhook_timeout_stops_the_start(make_app, timeout: object) -> None:
    with pytest.raises(InsecureConfigError, match="WEBHOOK_TIMEOUT_SECONDS must be a number of seconds"):
        make_app(WEBHOOK_TIMEOUT_SECONDS=timeout)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_plain_http_addresses_are_for_debug_and_tests_only(make_app) -> None:
    assert make_app().config["WEBHOOK_ALLOW_HTTP"] is True  # TESTING
    assert make_app(WEBHOOK_ALLOW_HTTP=False).config["WEBHOOK_ALLOW_HTTP"] is False
