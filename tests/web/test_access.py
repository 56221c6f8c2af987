"""Who may use which route: one row per route and method; a new route without a row fails the test."""

from __future__ import annotations

import pytest

FIRST = "/courses/kam-pay/lessons/kams-are-not-salespeople"
QUIZ = "/courses/kam-pay/quizzes/kam-mandate-quiz"
SANDBOX = "/courses/kam-pay/sandbox"
NO_CERTIFICATE = "a" * 26
NO_TOKEN = "no-such-link-token-" + "x" * 24

# (endpoint, method, url, anonymous, learner, trainer, admin): the expected status codes.
ACCESS = [
    ("static", "GET", "/static/css/app.css", 200, 200, 200, 200),
    # The configured logo and accent stylesheet (course/branding.py): none here, and a made-up name is missing anyway.
    ("brand_asset", "GET", "/brand/logo-0000000000000000.svg", 404, 404, 404, 404),
    ("site.healthz", "GET", "/healthz", 200, 200, 200, 200),
    ("site.set_language", "POST", "/language", 302, 302, 302, 302),
    ("auth.register", "GET", "/auth/register", 200, 302, 302, 302),
    ("auth.register", "POST", "/auth/register", 400, 302, 302, 302),
    ("auth.login", "GET", "/auth/login", 200, 302, 302, 302),
    ("auth.login", "POST", "/auth/login", 400, 302, 302, 302),
    ("learn.index", "GET", "/", 200, 200, 200, 200),
    ("learn.overview", "GET", "/courses/kam-pay", 200, 200, 200, 200),
    ("learn.lesson", "GET", FIRST, 200, 200, 200, 200),
    ("learn.complete", "POST", f"{FIRST}/complete", 302, 302, 302, 302),
    # Sent without an answer: a knowledge check is open to everyone who may read the lesson, and says what is missing.
    ("learn.answer_check", "POST", f"{FIRST}/checks/check-1", 400, 400, 400, 400),
    ("quiz.show", "GET", QUIZ, 200, 200, 200, 200),
    ("quiz.start", "POST", f"{QUIZ}/attempts", 302, 302, 302, 302),
    # Attempt 999999 does not exist for anyone: a stranger's attempt must look exactly the same (404).
    ("quiz.take", "GET", "/attempts/999999", 302, 404, 404, 404),
    ("quiz.answer", "POST", "/attempts/999999", 302, 404, 404, 404),
    ("quiz.review", "GET", "/attempts/999999/review", 302, 404, 404, 404),
    # Grading essays (course/quiz/grading.py): trainers and admins; no attempt 999999.
    ("quiz.queue", "GET", "/grading", 302, 403, 200, 200),
    ("quiz.grade", "GET", "/grading/999999", 302, 403, 404, 404),
    ("quiz.grade", "POST", "/grading/999999", 302, 403, 404, 404),
    ("api.openapi", "GET", "/api/v1/openapi.json", 200, 200, 200, 200),
    ("api.session", "GET", "/api/v1/session", 200, 200, 200, 200),
    ("api.quiz_info", "GET", f"/api/v1{QUIZ}", 401, 200, 200, 200),
    # The quiz.start row above opened an attempt, so the API resumes it (200, not 201).
    ("api.start_attempt", "POST", f"/api/v1{QUIZ}/attempts", 401, 200, 200, 200),
    ("api.get_attempt", "GET", "/api/v1/attempts/999999", 401, 404, 404, 404),
    ("api.save_answers", "POST", "/api/v1/attempts/999999/answers", 401, 404, 404, 404),
    ("api.check_question", "POST", "/api/v1/attempts/999999/questions/q/check", 401, 404, 404, 404),
    ("api.submit", "POST", "/api/v1/attempts/999999/submit", 401, 404, 404, 404),
    ("api.result", "GET", "/api/v1/attempts/999999/result", 401, 404, 404, 404),
    # Sent without a body: the sandbox API refuses anything but JSON (415) once the user is known.
    ("api.sandbox_evaluate", "POST", "/api/v1/sandbox/evaluate", 401, 415, 415, 415),
    ("api.list_designs", "GET", f"/api/v1{SANDBOX}/designs", 401, 200, 200, 200),
    ("api.create_design", "POST", f"/api/v1{SANDBOX}/designs", 401, 415, 415, 415),
    # Design 999999 does not exist: a stranger's design must look exactly the same (404).
    ("api.get_design", "GET", "/api/v1/sandbox/designs/999999", 401, 404, 404, 404),
    ("api.save_design_version", "POST", "/api/v1/sandbox/designs/999999/versions", 401, 404, 404, 404),
    ("api.get_version", "GET", "/api/v1/sandbox/designs/999999/versions/1", 401, 404, 404, 404),
    ("sandbox.index", "GET", SANDBOX, 200, 200, 200, 200),
    ("sandbox.brief", "GET", f"{SANDBOX}/scenarios/defend", 200, 200, 200, 200),
    # No scenario named: nothing to start.
    ("sandbox.start", "POST", f"{SANDBOX}/designs", 302, 404, 404, 404),
    # Design 999999 does not exist: a stranger's design must look exactly the same (404).
    ("sandbox.edit", "GET", "/sandbox/designs/999999", 302, 404, 404, 404),
    ("sandbox.evaluate", "POST", "/sandbox/designs/999999", 302, 404, 404, 404),
    ("sandbox.preview", "POST", "/sandbox/designs/999999/preview", 302, 404, 404, 404),
    ("sandbox.result", "GET", "/sandbox/designs/999999/versions/1", 302, 404, 404, 404),
    ("sandbox.duplicate", "POST", "/sandbox/designs/999999/duplicate", 302, 404, 404, 404),
    ("sandbox.compare", "GET", f"{SANDBOX}/compare", 302, 200, 200, 200),
    ("sandbox.comment", "POST", "/sandbox/designs/999999/comments", 302, 403, 404, 404),
    ("sandbox.designs", "GET", f"{SANDBOX}/designs", 302, 403, 200, 200),
    ("sandbox.weights", "GET", f"{SANDBOX}/weights", 302, 403, 200, 200),
    # An empty form: the weights do not add up to 100.
    ("sandbox.save_weights", "POST", f"{SANDBOX}/weights", 302, 403, 400, 400),
    ("certificates.mine", "GET", "/courses/kam-pay/certificate", 302, 200, 200, 200),
    # Not complete yet: back to the checklist.
    ("certificates.mine", "POST", "/courses/kam-pay/certificate", 302, 302, 302, 302),
    # Nobody owns this id: it looks missing, to learners and trainers alike.
    ("certificates.pdf", "GET", f"/certificates/{NO_CERTIFICATE}/certificate.pdf", 302, 404, 404, 404),
    ("certificates.credential", "GET", f"/certificates/{NO_CERTIFICATE}/credential.json", 302, 404, 404, 404),
    ("certificates.lookup", "GET", "/verify", 200, 200, 200, 200),
    ("certificates.verify", "GET", f"/verify/{NO_CERTIFICATE}", 404, 404, 404, 404),
    ("certificates.issuer", "GET", "/certificates/issuer.json", 200, 200, 200, 200),
    ("certificates.status_list", "GET", "/certificates/status/revocation", 200, 200, 200, 200),
    ("certificates.manage", "GET", "/courses/kam-pay/certificates", 302, 403, 200, 200),
    # Exports are background jobs: the POST queues one and redirects to its page (course/jobs/).
    ("certificates.export_zip", "POST", "/courses/kam-pay/certificates/export", 302, 403, 302, 302),
    ("certificates.revoke", "POST", f"/certificates/{NO_CERTIFICATE}/revoke", 302, 403, 404, 404),
    ("certificates.reissue", "POST", f"/certificates/{NO_CERTIFICATE}/reissue", 302, 403, 404, 404),
    ("authoring.index", "GET", "/studio", 302, 403, 200, 200),
    ("authoring.create_lesson", "POST", "/studio/courses/kam-pay/lessons", 302, 403, 400, 400),
    ("authoring.create_quiz", "POST", "/studio/courses/kam-pay/quizzes", 302, 403, 400, 400),
    ("authoring.edit", "GET", "/studio/files/kam-pay/course.yml", 302, 403, 200, 200),
    ("authoring.edit", "POST", "/studio/files/kam-pay/course.yml", 302, 403, 400, 400),
    ("authoring.preview", "POST", "/studio/files/kam-pay/course.yml/preview", 302, 403, 400, 400),
    ("authoring.history", "GET", "/studio/files/kam-pay/course.yml/history", 302, 403, 200, 200),
    ("authoring.diff", "GET", "/studio/files/kam-pay/course.yml/diff?a=1&b=1", 302, 403, 200, 200),
    ("authoring.restore", "POST", "/studio/files/kam-pay/course.yml/restore", 302, 403, 302, 302),
    ("authoring.try_quiz", "GET", "/studio/files/quizzes/kam-pay/kam-mandate-quiz.yml/try", 302, 403, 200, 200),
    ("authoring.try_quiz", "POST", "/studio/files/quizzes/kam-pay/kam-mandate-quiz.yml/try", 302, 403, 200, 200),
    ("authoring.gift_upload", "GET", "/studio/courses/kam-pay/gift", 302, 403, 200, 200),
    ("authoring.gift_upload", "POST", "/studio/courses/kam-pay/gift", 302, 403, 400, 400),
    ("authoring.gift_download", "GET", "/studio/files/quizzes/kam-pay/kam-mandate-quiz.yml/gift", 302, 403, 200, 200),
    # The studio's forms (#18): a new lesson, the quiz's question list, settings and question forms. No data sent:
    # the forms refuse it (400); moving or deleting a question that does not exist is 404.
    ("authoring.add_lesson", "POST", "/studio/courses/kam-pay/lessons/add", 302, 403, 400, 400),
    (
        "authoring.publish_with_course",
        "POST",
        "/studio/files/kam-pay/no-such-lesson.de.md/publish-with-course",
        302,
        403,
        404,
        404,
    ),
    ("authoring.questions", "GET", "/studio/files/quizzes/kam-pay/kam-mandate-quiz.yml/questions", 302, 403, 200, 200),
    (
        "authoring.quiz_settings",
        "POST",
        "/studio/files/quizzes/kam-pay/kam-mandate-quiz.yml/settings",
        302,
        403,
        400,
        400,
    ),
    (
        "authoring.add_question",
        "POST",
        "/studio/files/quizzes/kam-pay/kam-mandate-quiz.yml/questions/add",
        302,
        403,
        400,
        400,
    ),
    (
        "authoring.edit_question",
        "GET",
        "/studio/files/quizzes/kam-pay/kam-mandate-quiz.yml/questions/pay-depends-on",
        302,
        403,
        200,
        200,
    ),
    (
        "authoring.edit_question",
        "POST",
        "/studio/files/quizzes/kam-pay/kam-mandate-quiz.yml/questions/pay-depends-on",
        302,
        403,
        400,
        400,
    ),
    (
        "authoring.move_question",
        "POST",
        "/studio/files/quizzes/kam-pay/kam-mandate-quiz.yml/questions/none/move",
        302,
        403,
        404,
        404,
    ),
    (
        "authoring.delete_question",
        "POST",
        "/studio/files/quizzes/kam-pay/kam-mandate-quiz.yml/questions/none/delete",
        302,
        403,
        404,
        404,
    ),
    # A lesson figure upload without a file: refused with a message on the lesson editor (302).
    ("authoring.upload_figure", "POST", "/studio/files/kam-pay/kam-mandate.de.md/figures", 302, 403, 302, 302),
    ("authoring.media", "GET", "/studio/media", 302, 403, 200, 200),
    ("authoring.media", "POST", "/studio/media", 302, 403, 400, 400),
    ("media.media_file", "GET", "/media/" + "0" * 64 + ".png", 404, 404, 404, 404),
    ("analytics.learners", "GET", "/studio/courses/kam-pay/learners", 302, 403, 200, 200),
    ("analytics.learners_csv", "POST", "/studio/courses/kam-pay/learners.csv", 302, 403, 302, 302),
    ("analytics.learner", "GET", "/studio/courses/kam-pay/learners/999999", 302, 403, 404, 404),
    ("analytics.attempt_review", "GET", "/studio/courses/kam-pay/learners/1/attempts/999999", 302, 403, 404, 404),
    ("analytics.quizzes", "GET", "/studio/courses/kam-pay/quizzes", 302, 403, 200, 200),
    ("analytics.statistics", "GET", "/studio/courses/kam-pay/quizzes/kam-mandate-quiz/statistics", 302, 403, 200, 200),
    ("analytics.sandbox", "GET", "/studio/courses/kam-pay/sandbox", 302, 403, 200, 200),
    # Scoped views (#16): the progress pages' way in for managers.
    ("analytics.courses", "GET", "/studio/progress", 302, 403, 200, 200),
    ("admin.users", "GET", "/admin/users", 302, 403, 403, 200),
    # Account 999999 does not exist: admins get 404, everyone else is refused before the lookup.
    ("admin.user", "GET", "/admin/users/999999", 302, 403, 403, 404),
    ("admin.set_role", "POST", "/admin/users/999999/role", 302, 403, 403, 404),
    ("admin.set_active", "POST", "/admin/users/999999/active", 302, 403, 403, 404),
    ("admin.send_reset", "POST", "/admin/users/999999/reset", 302, 403, 403, 404),
    ("admin.delete_user", "GET", "/admin/users/999999/delete", 302, 403, 403, 404),
    ("admin.delete_user", "POST", "/admin/users/999999/delete", 302, 403, 403, 404),
    ("admin.invite", "GET", "/admin/users/invite", 302, 403, 403, 200),
    # An empty form: no address.
    ("admin.invite", "POST", "/admin/users/invite", 302, 403, 403, 400),
    ("admin.import_users", "GET", "/admin/users/import", 302, 403, 403, 200),
    # No file.
    ("admin.import_users", "POST", "/admin/users/import", 302, 403, 403, 400),
    ("admin.audit", "GET", "/admin/audit", 302, 403, 403, 200),
    ("admin.audit_csv", "POST", "/admin/audit.csv", 302, 403, 403, 302),
    # No provider is configured here: an unknown provider is missing for everyone (tests/web/test_sso.py has the rest).
    ("auth.sso_login", "GET", "/auth/sso/nowhere", 404, 404, 404, 404),
    ("auth.sso_callback", "GET", "/auth/sso/nowhere/callback", 404, 404, 404, 404),
    ("auth.forgot_password", "GET", "/auth/password/forgot", 200, 200, 200, 200),
    # An empty form: no address.
    ("auth.forgot_password", "POST", "/auth/password/forgot", 400, 400, 400, 400),
    # A made-up link token: the clear "this link does not work" page, whoever opens it.
    ("auth.reset_password", "GET", f"/auth/password/reset/{NO_TOKEN}", 400, 400, 400, 400),
    ("auth.reset_password", "POST", f"/auth/password/reset/{NO_TOKEN}", 400, 400, 400, 400),
    ("auth.accept_invitation", "GET", f"/auth/invitation/{NO_TOKEN}", 400, 400, 400, 400),
    ("auth.accept_invitation", "POST", f"/auth/invitation/{NO_TOKEN}", 400, 400, 400, 400),
    ("auth.confirm_email", "GET", f"/auth/confirm/{NO_TOKEN}", 400, 400, 400, 400),
    ("auth.confirm_email", "POST", f"/auth/confirm/{NO_TOKEN}", 400, 400, 400, 400),
    ("account.profile", "GET", "/account", 302, 200, 200, 200),
    # An empty form: no name.
    ("account.profile", "POST", "/account", 302, 400, 400, 400),
    ("account.password", "GET", "/account/password", 302, 200, 200, 200),
    ("account.password", "POST", "/account/password", 302, 400, 400, 400),
    ("account.email", "GET", "/account/email", 302, 200, 200, 200),
    ("account.email", "POST", "/account/email", 302, 400, 400, 400),
    # A made-up link token: the clear "this link does not work" page, whoever opens it.
    ("account.confirm_email", "GET", f"/account/email/{NO_TOKEN}", 400, 400, 400, 400),
    ("account.confirm_email", "POST", f"/account/email/{NO_TOKEN}", 400, 400, 400, 400),
    ("account.export", "GET", "/account/export", 302, 200, 200, 200),
    ("account.export", "POST", "/account/export", 302, 200, 200, 200),
    ("account.delete", "GET", "/account/delete", 302, 200, 200, 200),
    # No password given; the only administrator may not delete their account at all.
    ("account.delete", "POST", "/account/delete", 302, 400, 400, 403),
    ("site.privacy", "GET", "/privacy", 200, 200, 200, 200),
    ("site.imprint", "GET", "/imprint", 200, 200, 200, 200),
    ("admin.groups", "GET", "/admin/groups", 302, 403, 403, 200),
    ("admin.new_group", "GET", "/admin/groups/new", 302, 403, 403, 200),
    ("admin.new_group", "POST", "/admin/groups/new", 302, 403, 403, 400),  # no name given
    ("admin.group", "GET", "/admin/groups/999999", 302, 403, 403, 404),
    ("admin.add_group_member", "POST", "/admin/groups/999999/members", 302, 403, 403, 404),
    ("admin.group_member_role", "POST", "/admin/groups/999999/members/1/role", 302, 403, 403, 404),
    ("admin.remove_group_member", "POST", "/admin/groups/999999/members/1/remove", 302, 403, 403, 404),
    ("admin.edit_group", "GET", "/admin/groups/999999/edit", 302, 403, 403, 404),
    ("admin.edit_group", "POST", "/admin/groups/999999/edit", 302, 403, 403, 404),
    ("admin.delete_group", "GET", "/admin/groups/999999/delete", 302, 403, 403, 404),
    ("admin.delete_group", "POST", "/admin/groups/999999/delete", 302, 403, 403, 404),
    ("admin.import_group_members", "GET", "/admin/groups/999999/import", 302, 403, 403, 404),
    ("admin.import_group_members", "POST", "/admin/groups/999999/import", 302, 403, 403, 404),
    # Assignments (course/assignments): trainers and admins; kam-pay is open, so assigning it is refused (400), and
    # assignment 999999 does not exist (404) for those who may assign at all.
    ("assignments.course_assignments", "GET", "/studio/courses/kam-pay/assignments", 302, 403, 200, 200),
    ("assignments.course_assignments", "POST", "/studio/courses/kam-pay/assignments", 302, 403, 400, 400),
    ("assignments.change", "GET", "/studio/courses/kam-pay/assignments/999999", 302, 403, 404, 404),
    ("assignments.change", "POST", "/studio/courses/kam-pay/assignments/999999", 302, 403, 404, 404),
    ("assignments.remove", "GET", "/studio/courses/kam-pay/assignments/999999/delete", 302, 403, 404, 404),
    ("assignments.remove", "POST", "/studio/courses/kam-pay/assignments/999999/delete", 302, 403, 404, 404),
    # SCORM packages (course/scorm): the studio page for trainers and admins (a post without a form: 400; package
    # 999999 does not exist); the launch and the status are public and answer an unknown package key with 404.
    ("scorm.packages", "GET", "/studio/courses/kam-pay/scorm", 302, 403, 200, 200),
    ("scorm.packages", "POST", "/studio/courses/kam-pay/scorm", 302, 403, 400, 400),
    ("scorm.download", "POST", "/studio/courses/kam-pay/scorm/999999/download", 302, 403, 404, 404),
    ("scorm.revoke", "GET", "/studio/courses/kam-pay/scorm/999999/revoke", 302, 403, 404, 404),
    ("scorm.revoke", "POST", "/studio/courses/kam-pay/scorm/999999/revoke", 302, 403, 404, 404),
    ("scorm.launch", "GET", f"/scorm/launch/{NO_TOKEN}?learner_id=lms-1", 404, 404, 404, 404),
    ("scorm.status", "GET", f"/scorm/status/{NO_TOKEN}?learner_id=lms-1", 404, 404, 404, 404),
    # Notifications (course/notifications): one's own list and mail choices; the mail outbox for admins only.
    # Notification 999999, mail 999999 and design 999999 do not exist: a stranger's look exactly the same (404).
    ("notifications.index", "GET", "/notifications", 302, 200, 200, 200),
    ("notifications.read_all", "POST", "/notifications/read", 302, 302, 302, 302),
    ("notifications.read_one", "POST", "/notifications/999999/read", 302, 404, 404, 404),
    ("notifications.preferences", "GET", "/account/notifications", 302, 200, 200, 200),
    ("notifications.preferences", "POST", "/account/notifications", 302, 302, 302, 302),  # nothing ticked: saved
    ("notifications.outbox", "GET", "/admin/mail", 302, 403, 403, 200),
    ("notifications.retry", "POST", "/admin/mail/999999/retry", 302, 403, 403, 404),
    ("notifications.retry_failed", "POST", "/admin/mail/retry-failed", 302, 403, 403, 302),
    ("outbox.index", "GET", "/admin/outbox", 302, 403, 403, 200),
    ("outbox.index", "GET", "/admin/outbox?channel=nonsense", 302, 403, 403, 404),
    ("outbox.retry", "POST", "/admin/outbox/999999/retry", 302, 403, 403, 404),
    ("outbox.retry_failed", "POST", "/admin/outbox/retry-failed", 302, 403, 403, 302),
    # Background jobs (course/jobs/): job 999999 does not exist, and someone else's looks exactly the same (404);
    # the admins' list of failed and waiting jobs.
    ("jobs.show", "GET", "/jobs/999999", 302, 404, 404, 404),
    ("jobs.status", "GET", "/jobs/999999/status", 302, 404, 404, 404),
    ("jobs.download", "GET", "/jobs/999999/download", 302, 404, 404, 404),
    ("jobs.retry", "POST", "/jobs/999999/retry", 302, 404, 404, 404),
    ("jobs.admin", "GET", "/admin/jobs", 302, 403, 403, 200),
    ("jobs.admin_retry", "POST", "/admin/jobs/999999/retry", 302, 403, 403, 404),
    ("jobs.admin_retry_failed", "POST", "/admin/jobs/retry-failed", 302, 403, 403, 302),
    # LTI services (course/lti/service_views.py): the LMS courses and their roster sync, for admins only; no context
    # 999999.
    ("lti_services.contexts", "GET", "/admin/lti/contexts", 302, 403, 403, 200),
    ("lti_services.sync", "POST", "/admin/lti/contexts/999999/sync", 302, 403, 403, 404),
    ("sandbox.ask_feedback", "POST", "/sandbox/designs/999999/feedback", 302, 404, 404, 404),
    # Reports (course/reports): managers, trainers and admins; group 999999 does not exist, and a group outside one's
    # view looks exactly the same (404).
    ("reports.index", "GET", "/reports", 302, 403, 200, 200),
    ("reports.group_course", "GET", "/reports/groups/999999/courses/kam-pay", 302, 403, 404, 404),
    ("reports.group_course_csv", "POST", "/reports/groups/999999/courses/kam-pay.csv", 302, 403, 404, 404),
    # LTI tool (course/lti/views.py): login and launch without an LMS's parameters are refused (400) for everyone;
    # deep linking answers only the instructor whose launch it is (no such launch: 404); the platform pages for admins.
    ("lti.login", "GET", "/lti/login", 400, 400, 400, 400),
    ("lti.login", "POST", "/lti/login", 400, 400, 400, 400),
    ("lti.launch", "POST", "/lti/launch", 400, 400, 400, 400),
    ("lti.deep_link", "GET", "/lti/deep-link/no-such-launch", 302, 403, 404, 404),
    ("lti.deep_link", "POST", "/lti/deep-link/no-such-launch", 302, 403, 404, 404),
    ("lti.jwks", "GET", "/lti/jwks.json", 200, 200, 200, 200),
    ("lti.configuration", "GET", "/lti/config.json", 200, 200, 200, 200),
    ("lti.platforms", "GET", "/admin/lti", 302, 403, 403, 200),
    ("lti.new_platform", "GET", "/admin/lti/new", 302, 403, 403, 200),
    ("lti.new_platform", "POST", "/admin/lti/new", 302, 403, 403, 400),  # nothing filled in
    ("lti.edit_platform", "GET", "/admin/lti/999999", 302, 403, 403, 404),
    ("lti.edit_platform", "POST", "/admin/lti/999999", 302, 403, 403, 404),
    ("lti.toggle_platform", "POST", "/admin/lti/999999/active", 302, 403, 403, 404),
    ("lti.new_registration_link", "POST", "/admin/lti/registration-link", 302, 403, 403, 200),
    ("lti.register", "GET", "/lti/register/no-such-link", 404, 404, 404, 404),  # a dynamic registration link
    # The token API for HR systems (course/api/hr.py): a bearer token only, never the session, so 401 for everyone
    # here (tests/web/test_api_tokens.py and test_api_hr.py have the rest).
    ("hr.token_info", "GET", "/api/v1/token", 401, 401, 401, 401),
    ("hr.users", "GET", "/api/v1/users", 401, 401, 401, 401),
    ("hr.user", "GET", "/api/v1/users/999999", 401, 401, 401, 401),
    ("hr.groups_list", "GET", "/api/v1/groups", 401, 401, 401, 401),
    ("hr.group", "GET", "/api/v1/groups/999999", 401, 401, 401, 401),
    ("hr.group_members", "GET", "/api/v1/groups/999999/members", 401, 401, 401, 401),
    ("hr.add_group_member", "POST", "/api/v1/groups/999999/members", 401, 401, 401, 401),
    ("hr.remove_group_member", "DELETE", "/api/v1/groups/999999/members/1", 401, 401, 401, 401),
    ("hr.assignments", "GET", "/api/v1/assignments", 401, 401, 401, 401),
    ("hr.progress", "GET", "/api/v1/progress", 401, 401, 401, 401),
    ("hr.certificates", "GET", "/api/v1/certificates", 401, 401, 401, 401),
    # API tokens and webhooks (admins only); token 999999 and webhook 999999 do not exist; an empty form is 400.
    ("api_tokens.index", "GET", "/admin/api-tokens", 302, 403, 403, 200),
    ("api_tokens.index", "POST", "/admin/api-tokens", 302, 403, 403, 400),
    ("api_tokens.revoke", "POST", "/admin/api-tokens/999999/revoke", 302, 403, 403, 404),
    ("webhooks.index", "GET", "/admin/webhooks", 302, 403, 403, 200),
    ("webhooks.new", "GET", "/admin/webhooks/new", 302, 403, 403, 200),
    ("webhooks.new", "POST", "/admin/webhooks/new", 302, 403, 403, 400),
    ("webhooks.show", "GET", "/admin/webhooks/999999", 302, 403, 403, 404),
    ("webhooks.edit", "GET", "/admin/webhooks/999999/edit", 302, 403, 403, 404),
    ("webhooks.edit", "POST", "/admin/webhooks/999999/edit", 302, 403, 403, 404),
    ("webhooks.rotate", "POST", "/admin/webhooks/999999/secret", 302, 403, 403, 404),
    ("webhooks.ping", "POST", "/admin/webhooks/999999/ping", 302, 403, 403, 404),
    ("webhooks.retry", "POST", "/admin/webhooks/999999/deliveries/1/retry", 302, 403, 403, 404),
    ("webhooks.delete", "GET", "/admin/webhooks/999999/delete", 302, 403, 403, 404),
    ("webhooks.delete", "POST", "/admin/webhooks/999999/delete", 302, 403, 403, 404),
    # xAPI activity ids (course/xapi/views.py): public Activity Definitions, like the lessons they name.
    ("xapi.course_activity", "GET", "/xapi/activities/courses/kam-pay", 200, 200, 200, 200),
    ("xapi.lesson_activity", "GET", f"/xapi/activities{FIRST}", 200, 200, 200, 200),
    ("xapi.quiz_activity", "GET", f"/xapi/activities{QUIZ}", 200, 200, 200, 200),
    ("xapi.question_activity", "GET", f"/xapi/activities{QUIZ}/questions/pay-depends-on", 200, 200, 200, 200),
    ("xapi.scenario_activity", "GET", "/xapi/activities/courses/kam-pay/scenarios/defend", 200, 200, 200, 200),
    ("xapi.certificate_activity", "GET", "/xapi/activities/courses/kam-pay/certificate", 200, 200, 200, 200),
    ("auth.logout", "POST", "/auth/logout", 302, 302, 302, 302),  # last: it ends the session
]
ROLES = ("anonymous", "learner", "trainer", "admin")

# A manager reads what the trainers of their groups read and changes nothing: where a manager's status differs from a
# learner's, it is listed here; every other route answers a manager as it answers a learner.
MANAGER: dict[tuple[str, str], int] = {
    # Scoped views (#16): managers read what trainers read (none of it here: the fixture manager is in no group, so
    # the pages are empty and every learner looks missing) and change nothing (403, as for a learner).
    ("analytics.courses", "GET"): 200,
    ("analytics.learners", "GET"): 200,
    ("analytics.learners_csv", "POST"): 302,
    ("analytics.learner", "GET"): 404,
    ("analytics.attempt_review", "GET"): 404,
    ("analytics.quizzes", "GET"): 200,
    ("analytics.statistics", "GET"): 200,
    ("analytics.sandbox", "GET"): 200,
    ("sandbox.designs", "GET"): 200,
    ("certificates.manage", "GET"): 200,
    ("certificates.export_zip", "POST"): 302,
    # Reports (course/reports): the list (empty: the fixture manager looks after no group); no group 999999.
    ("reports.index", "GET"): 200,
    ("reports.group_course", "GET"): 404,
    ("reports.group_course_csv", "POST"): 404,
}


def expected_status(row: tuple, role: str) -> int:
    endpoint, method, _url, *expected = row
    if role == "manager":
        return MANAGER.get((endpoint, method), expected[ROLES.index("learner")])
    return expected[ROLES.index(role)]


def test_every_route_has_an_access_row(app) -> None:
    routes = {
        (rule.endpoint, method) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == {(endpoint, method) for endpoint, method, *_ in ACCESS}


def test_every_manager_row_names_a_route() -> None:
    assert set(MANAGER) <= {(endpoint, method) for endpoint, method, *_ in ACCESS}


@pytest.mark.parametrize("role", [*ROLES, "manager"])
def test_route_access_by_role(app, client, make_user, login_as, role: str) -> None:
    if role != "anonymous":
        login_as(make_user(role=role))
    for row in ACCESS:
        endpoint, method, url, *_ = row
        with client.open(url, method=method) as response:
            assert response.status_code == expected_status(row, role), (endpoint, method, role)


def test_anonymous_completion_is_sent_to_login(client) -> None:
    assert client.post(f"{FIRST}/complete").headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize(
    "url",
    [
        "/courses/kam-pay/lessons/%00",
        "/courses/kam-pay/lessons/" + "x" * 5000,
        "/courses/%C3%A4%C3%B6/lessons/%E2%80%AE",
        "/courses/kam-pay/lessons/kam-mandate/../../../etc/passwd",
        "/static/../course/config.py",
        "/courses/kam-pay/lessons/kam-mandate?lang=<script>",
    ],
)
def test_odd_urls_never_cause_a_server_error(client, url: str) -> None:
    with client.get(url) as response:
        assert response.status_code in {200, 404}
        assert "<script>" not in response.get_data(as_text=True)
