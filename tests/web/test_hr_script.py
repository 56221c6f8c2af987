"""Issue #17's promise for HR systems, end to end: an HR script (plain `requests`, as an integrator would write it)
reads completions with a token from the app served over real HTTP, and receives the signed webhooks for a course
completed and a certificate issued once `flask outbox send` runs. The signature is checked with the reference
Standard Webhooks library, not with our own code."""

from __future__ import annotations

import html
import json
import re

import pytest
import requests
from standardwebhooks.webhooks import Webhook as Verifier

from course.extensions import db
from course.models import Webhook
from tests.hr_helpers import nearly_complete, served, webhook_receiver
from tests.quiz_helpers import client_for, faster_apps

TOKEN = re.compile(r'<code id="new-token">([^<]+)</code>')


def hr_script_completions(base_url: str, token: str, course: str) -> list[dict]:
    """What an HR integrator writes: page through the certified learners of a course, following `next`."""
    completions, url = [], f"{base_url}/api/v1/progress?course={course}&status=certified&limit=1"
    while url:
        response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        response.raise_for_status()
        page = response.json()
        completions += [item for item in page["items"] if item["completed"]]
        url = page["next"]
    return completions


def test_an_hr_script_reads_completions_and_receives_the_signed_webhooks(make_app, monkeypatch, make_user) -> None:
    build = faster_apps(make_app, monkeypatch)
    with (
        webhook_receiver() as receiver,
        served(lambda base: build(PUBLIC_URL=base, WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True)) as (app, base_url),
    ):
        admin = client_for(app, make_user(role="admin", locale="en"))
        page = admin.post(
            "/admin/api-tokens", data={"name": "HR sync", "x_progress_read": "y", "x_certificates_read": "y"}
        )
        assert page.status_code == 200
        token = html.unescape(TOKEN.search(page.get_data(as_text=True)).group(1))
        created = admin.post(
            "/admin/webhooks/new",
            data={
                "name": "HR system",
                "url": receiver.url,
                "x_course_completed": "y",
                "x_certificate_issued": "y",
                "active": "y",
            },
        )
        assert created.status_code == 302
        with app.app_context():
            secret = db.session.query(Webhook.secret).scalar()

        learners = [make_user(locale="en", display_name=f"Learner {n}") for n in range(3)]
        for learner in learners[:2]:  # two finish the course and take the certificate; the third does not
            browser = client_for(app, learner)
            assert browser.post(nearly_complete(app, learner) + "/complete").status_code == 302
            assert browser.post("/courses/kam-pay/certificate", data={"name": learner.display_name}).status_code == 302

        completions = hr_script_completions(base_url, token, "kam-pay")
        assert [c["user_id"] for c in completions] == [learner.id for learner in learners[:2]]
        assert all(c["percent"] == 100 and c["certificate"]["verify_url"].startswith(base_url) for c in completions)
        assert requests.get(f"{base_url}/api/v1/progress", timeout=30).status_code == 401

        result = app.test_cli_runner().invoke(args=["outbox", "send", "--channel", "webhook"])
        assert "4 sent" in result.output, result.output
        verifier = Verifier(secret)
        received = [verifier.verify(d.body, d.headers) for d in receiver.deliveries]
        assert sorted((r["type"], r["data"]["user"]["id"]) for r in received) == sorted(
            (kind, learner.id) for kind in ("course.completed", "certificate.issued") for learner in learners[:2]
        )
        issued = next(r for r in received if r["type"] == "certificate.issued")
        assert issued["data"]["certificate"]["verify_url"].startswith(f"{base_url}/verify/")
        assert issued["data"]["user"]["email"] in {learners[0].email, learners[1].email}

        tampered = dict(receiver.deliveries[0].headers)
        with pytest.raises(Exception, match="signature"):
            verifier.verify(receiver.deliveries[0].body.replace(b"}", b" }", 1), tampered)
        assert json.loads(receiver.deliveries[0].body)  # the body is the JSON that was signed
