"""The page lane: a logged-in learner's lesson and quiz attempt pages served without Flask's request handling.

Under gunicorn, a learner's lesson page spent about half of its time in Flask's request machinery (the request
object and its context, URL matching, the session, Flask-Login, the hooks, the response object) around work that
is only a cookie check, one query for the user and a kept page shell filled in. A bare WSGI app that sends the same
23 KB page is served faster than Flask's hello world. So this WSGI middleware, in front of Flask, answers the two
pages a learner loads most (a lesson, and an open quiz attempt while answering it) and the quiz submission (a POST
of the attempt's form with `submit`, course/fast/submission.py) with the app's own functions and caches, and hands
every request it cannot answer exactly as Flask would to Flask, unchanged:

- anything but a GET of `/courses/<id>/lessons/<id>` or `/attempts/<id>`, or a POST of `/attempts/<id>`, without a
  query string; a host outside TRUSTED_HOSTS; an app mounted under a path prefix (SCRIPT_NAME);
- a POST whose body is not a URL-encoded form of known length up to 64 KB (its body is put back for Flask), whose
  CSRF token Flask-WTF would not take (or takes from elsewhere than the form's own field), that holds text no
  database stores, or that is not a plain, complete submission (`submission.submit`: Flask writes nothing else);
- no valid session cookie or no live login in it (a remember-me cookie is Flask-Login's to read); a session with
  messages to show, a remember-me cookie to set or clear, a permanent session (its cookie is sent again), or a CSRF
  token no page has signed yet;
- staff and managers (their header carries the studio links); a course the learner may not see; an LRS that wants
  to hear of the lesson visit (Flask's view writes it); an attempt that is not the learner's or no longer open
  (Flask answers 404 or sends the review);
- a page, course sidebar, question or header link not kept yet (`NotCached`: Flask renders and keeps it);
- any error: Flask serves the request again and handles the error as the app always does.

Its answer equals Flask's byte for byte, headers included: tests/web/test_page_lane.py serves each case both ways;
tests/web/test_submission_lane.py submits two equal attempts, one each way, and compares answers and writes.
It sits inside the security headers middleware and ProxyFix, so both add to and see the same as for Flask.

It relies on knowing every hook Flask would run for this page. On its first request after Flask has served one
(from then on Flask refuses new hooks) it checks the app's request hooks, signal receivers, the pages' view
functions and the URL rules; anything it does not know turns it off for the process, with a warning in the log.
"""

from __future__ import annotations

import hmac
import io
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, g, request_finished, request_started, request_tearing_down
from flask_login.signals import user_accessed, user_loaded_from_cookie
from flask_wtf.csrf import same_origin
from itsdangerous import BadData, URLSafeTimedSerializer
from markupsafe import escape
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.http import parse_cookie
from werkzeug.routing import MapAdapter
from werkzeug.wsgi import get_host

from course import events, pages
from course.assignments.operations import visible
from course.auth.operations import parse_session_id
from course.auth.views import load_user
from course.compression import MIN_BYTES, PAGE_ENCODERS, page_encoding
from course.core.caching import Cache, cache
from course.core.catalog import Catalog
from course.fast import submission
from course.fast.attempt_page import AttemptSnapshot, learner_and_attempt
from course.fast.csrf import kept_token
from course.fast.integrations import LANE_USER, LANE_WEBHOOK_EVENTS
from course.fast.sessions import CookieSessions
from course.fast.shells import cached_only
from course.forms import unstorable_field
from course.i18n import choose_language
from course.learn.views import LESSON_TEMPLATE, lesson, lesson_page
from course.models import CurrentUser, utcnow
from course.publishing.cache import catalog
from course.quiz.operations import MAX_ID, quiz_of
from course.quiz.views import TAKE_TEMPLATE, answer, take, take_page

log = logging.getLogger(__name__)

_ID = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"


@dataclass(frozen=True)
class _Route:
    """A page the lane answers: its path (the URL rule's converters, narrowed to what the rule would build back:
    no leading zeros, ASCII digits), the view it stands in for, and the path's shape for rival rules."""

    path: re.Pattern[str]
    endpoint: str
    view: Callable
    shape: tuple[str | None, ...]  # the rule's parts after the first "/": a literal, or None for a converter
    method: str = "GET"


_LESSON = _Route(
    re.compile(rf"/courses/({_ID})/lessons/({_ID})"), "learn.lesson", lesson, ("courses", None, "lessons", None)
)
_ATTEMPT = _Route(re.compile(r"/attempts/([1-9][0-9]{0,9})"), "quiz.take", take, ("attempts", None))
_SUBMISSION = _Route(_ATTEMPT.path, "quiz.answer", answer, ("attempts", None), "POST")
_ROUTES = (_LESSON, _ATTEMPT, _SUBMISSION)
_FORM = "application/x-www-form-urlencoded"
_MAX_FORM_BYTES = 64 * 1024  # a quiz's whole form is a few KB; a larger body is Flask's to read (and limit)

# Session keys that make Flask answer differently: messages to show, Flask-Login's remember-me cookie to set or
# clear, a permanent session's cookie sent again with every response.
_FLASK_SESSION_KEYS = ("_flashes", "_remember", "_permanent")

# The hooks Flask runs for these pages, and why the lane may leave each out. Any other makes it step aside.
_BEFORE = {
    "CSRFProtect.init_app.<locals>.csrf_protect": "checks only WTF_CSRF_METHODS, without GET (checked); a "
    "submission's token and HTTPS referrer the lane checks by the same rules (`_csrf_passes`)",
    "refuse_unstorable_text": "reads the query string (a lane request has none) and the form (the lane checks a "
    "submission's with the same function)",
    "EmbeddedRunner.start": "run by the lane too",
}
_AFTER = {
    "compress_response": "done by the lane with the same function",
    "LoginManager._update_remember_cookie": "does nothing without `_remember` in the session",
}
# (Cookie header, session cookie name) → the session cookie's value: a browser sends the same header on every
# page until a cookie changes, and werkzeug's parsing cost more than this lookup.
_COOKIES: Cache[str] = cache("lane.session-cookies", 2_048)
# (scheme, Host header, trusted hosts) → True for a host Flask accepts: checking one costs an IDNA encoding of every
# trusted name; a site has a few names.
_HOSTS: Cache[bool] = cache("lane.trusted-hosts", 64)
_KEPT_HEADER_CHARS = 4_096
_SIGNALS = (request_started, request_finished, request_tearing_down, user_accessed, user_loaded_from_cookie)

Answer = tuple[str, list[tuple[str, str]], bytes]
# A page's template, shell context and holes, and whether its shell is kept per path (else one for every path).
Page = tuple[str, dict[str, object], dict[str, Callable[[], str]], bool]


class _StepAside(Exception):  # noqa: N818 - not an error: the request goes to Flask
    """The lane cannot answer this request exactly as Flask would."""


class PageLane:
    """WSGI middleware answering a learner's lesson and attempt pages itself, and every other request with Flask."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._open: bool | None = None  # decided once, on the first request after Flask has served one
        self._hooks: list[Callable[[], object]] = []
        self._compress = False
        self._urls: MapAdapter | None = None  # builds relative URLs as in a request at the site's root
        self._redirect: _Redirect | None = None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        found = _route(environ)
        if found is not None and self.app.config["FAST_PATHS"] and self._ready():
            route, values = found
            answered = self._submission(environ, values) if route is _SUBMISSION else self._answer(environ, *found)
            if answered is not None:
                status, headers, body = answered
                start_response(status, headers)
                return [body]
        return self.wsgi_app(environ, start_response)

    def _ready(self) -> bool:
        if self._open is None:
            if not getattr(self.app, "_got_first_request", False):
                return False  # hooks may still be added
            self._open = self._check()
        return self._open

    def _check(self) -> bool:
        """Whether Flask would run nothing for the lane's pages that the lane leaves out."""
        app = self.app
        problems = []
        scopes = (None, *(route.endpoint.partition(".")[0] for route in _ROUTES))
        before = [hook for scope in scopes for hook in app.before_request_funcs.get(scope, ())]
        after = [hook for scope in scopes for hook in app.after_request_funcs.get(scope, ())]
        problems += [f"before_request {hook.__qualname__}" for hook in before if hook.__qualname__ not in _BEFORE]
        problems += [f"after_request {hook.__qualname__}" for hook in after if hook.__qualname__ not in _AFTER]
        for hooks, kind in ((app.teardown_request_funcs, "teardown_request"), (app.url_value_preprocessors, "url")):
            problems += [f"{kind} {hook.__qualname__}" for scope in scopes for hook in hooks.get(scope, ())]
        problems += [f"receivers of {signal.name}" for signal in _SIGNALS if signal.receivers]
        for route in _ROUTES:
            if app.view_functions.get(route.endpoint) is not route.view:
                problems.append(f"the view of {route.endpoint} is not {route.view.__module__}.{route.view.__name__}")
            problems += [f"the URL rule {rule.rule} ({rule.endpoint})" for rule in _rivals(app, route)]
        if "GET" in app.config["WTF_CSRF_METHODS"]:
            problems.append("CSRF checks on GET")
        if app.login_manager.session_protection:
            problems.append("Flask-Login's session protection")
        if not isinstance(app.session_interface, CookieSessions):
            problems.append(f"the session interface {type(app.session_interface).__name__}")
        if app.url_map.host_matching or app.subdomain_matching:
            problems.append("URLs matched by host or subdomain")
        if problems:
            log.warning("The page lane is off in this process; Flask runs what it would leave out: %s", problems)
            return False
        self._hooks = [hook for hook in before if hook.__qualname__ == "EmbeddedRunner.start"]
        self._compress = any(hook.__qualname__ == "compress_response" for hook in after)
        # As Flask binds the map to a request at the root without subdomain matching; only relative URLs are built.
        self._urls = app.url_map.bind("localhost", script_name="/", subdomain=app.url_map.default_subdomain or "")
        self._redirect = _Redirect(app)
        return True

    def _answer(self, environ: dict, route: _Route, values: tuple[str, ...]) -> Answer | None:
        try:
            with self.app.app_context() as context, cached_only():
                context.url_adapter = self._urls  # `url_for(..., _external=False)` in the pages' own code
                attempt_id = int(values[0]) if route is _ATTEMPT else None
                user, attempt, lang, data = self._learner(environ, attempt_id)
                token = kept_token(self.app.secret_key, data["csrf_token"]) if data.get("csrf_token") else None
                if token is None:
                    raise _StepAside  # no page has signed the session's token yet: Flask signs it
                published = catalog()  # once: the page and its shell's key from the same version
                if route is _LESSON:
                    template, shell_context, holes, per_path = self._lesson(published, user, lang, *values)
                else:
                    template, shell_context, holes, per_path = self._attempt(published, user, lang, attempt)
                path = environ["PATH_INFO"]
                every = {
                    **pages.holes_for(user, lang, csrf=lambda: token, flashes=str, here=lambda: escape(path)),
                    **holes,
                }
                shells = self.app.extensions["course_shells"]["pages"]
                shell_path = path if per_path else None
                return self._page(
                    environ, shells.render_bytes(template, published.version, every, shell_context, path=shell_path)
                )
        except Exception:  # noqa: BLE001 - _StepAside, NotCached, NotFound, a database error: Flask's to answer
            return None

    def _submission(self, environ: dict, values: tuple[str, ...]) -> Answer | None:
        """A learner's plain, complete quiz submission (course/fast/submission.py): Flask's redirect to the
        review once it is written; None, with nothing written, for Flask to answer."""
        form = _read_form(environ)
        if form is None:
            return None
        try:
            with self.app.app_context() as context, cached_only():
                context.url_adapter = self._urls
                user, attempt, lang, data = self._learner(environ, int(values[0]), webhooks=True)
                if not _csrf_passes(self.app, environ, form, data) or unstorable_field(form) is not None:
                    return None  # Flask answers 400
                if attempt.status != "open":
                    return None  # Flask sends the review, with a message
                course = visible(catalog().course(attempt.course_id), user)
                setattr(g, LANE_USER, user)  # the integrations' questions go by its snapshot (fast/integrations)
                if not submission.submit(attempt, quiz_of(attempt, course), form, lang):
                    return None
                # The map built as `url_for` would: the app adds defaults only to static URLs (course/assets.py)
                return self._redirect.to(self._urls.build("quiz.review", {"attempt_id": attempt.id}))
        except Exception:  # noqa: BLE001 - _StepAside, NotFound, a database error: Flask's to answer
            return None

    def _learner(
        self, environ: dict, attempt_id: int | None, *, webhooks: bool = False
    ) -> tuple[CurrentUser, AttemptSnapshot | None, str, Mapping[str, Any]]:
        """The logged-in learner of a session the lane can answer for, their attempt if the page is one (read in
        the same statement, with the active webhooks' events for `webhooks`, kept in `g`), the page's language
        and the session."""
        app = self.app
        config = app.config
        if config["WTF_CSRF_TIME_LIMIT"] is not None or config.get("REMEMBER_COOKIE_REFRESH_EACH_REQUEST"):
            raise _StepAside  # a token signed per request; a remember-me cookie sent with every response
        _check_host(environ, config["TRUSTED_HOSTS"])
        cookie = _session_cookie(environ.get("HTTP_COOKIE"), app.session_interface.get_cookie_name(app))
        data = app.session_interface.read(app, cookie) if cookie and app.secret_key else None
        if not data or "_user_id" not in data or any(key in data for key in _FLASK_SESSION_KEYS):
            raise _StepAside
        if attempt_id is None:
            user, attempt = load_user(data["_user_id"]), None
        else:
            user, attempt = _learner_and_attempt(data["_user_id"], attempt_id, webhooks)
        if user is None or user.is_staff or user.role == "manager":
            raise _StepAside
        for hook in self._hooks:
            hook()
        lang = choose_language(
            user.locale,
            data.get("lang"),
            environ.get("HTTP_ACCEPT_LANGUAGE"),
            config["DEFAULT_LANGUAGE"],
        )
        return user, attempt, lang, data

    def _lesson(self, published: Catalog, user: CurrentUser, lang: str, course_id: str, lesson_id: str) -> Page:
        course = visible(published.course(course_id), user)
        if events.wanted(events.LessonViewed(user.id, course.id, lesson_id, lang, utcnow())):
            raise _StepAside
        holes, context = lesson_page(course, lesson_id, user, lang)
        return LESSON_TEMPLATE, context, holes, True

    def _attempt(self, published: Catalog, user: CurrentUser, lang: str, attempt: AttemptSnapshot) -> Page:
        if attempt.status != "open":
            raise _StepAside  # Flask sends the review
        course = visible(published.course(attempt.course_id), user)
        holes, context = take_page(attempt, course, quiz_of(attempt, course), user, lang)
        return TAKE_TEMPLATE, context, holes, False

    def _page(self, environ: dict, body: bytes) -> Answer:
        """The headers and bytes Flask would send: its response, the compression hook, the session's `Vary`."""
        varies, encoding = page_encoding(environ) if self._compress and len(body) >= MIN_BYTES else (False, None)
        if encoding is not None:
            body = PAGE_ENCODERS[encoding](body)
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Vary", "Accept-Encoding, Cookie" if varies else "Cookie"),
        ]
        if encoding is not None:
            headers.append(("Content-Encoding", encoding))
        return "200 OK", headers, body


class _Redirect:
    """Flask's redirect, made once with a mark where its location goes (werkzeug's body has it twice, escaped):
    each answer fills in its own. A response object per submission cost 2 % of one."""

    _MARK = "/lane-location"

    def __init__(self, app: Flask) -> None:
        response = app.redirect(self._MARK)
        self.status = response.status
        self.headers = response.headers.to_wsgi_list()
        self.parts = response.get_data().split(self._MARK.encode())

    def to(self, location: str) -> Answer:
        body = str(escape(location)).encode().join(self.parts)
        headers = [
            (name, str(len(body)) if name == "Content-Length" else value.replace(self._MARK, location))
            for name, value in self.headers
        ]
        return self.status, [*headers, ("Vary", "Cookie")], body  # the session was read: Flask's `Vary`


def _learner_and_attempt(
    session_id: str, attempt_id: int, webhooks: bool
) -> tuple[CurrentUser | None, AttemptSnapshot]:
    """As `load_user` and `quiz.operations.attempt_to_show` would find them, in one read; an attempt that is not
    the learner's own is Flask's to answer (404). With `webhooks`, the active webhooks' events go to `g` for
    `fast.integrations.active_webhook_events`."""
    parsed = parse_session_id(session_id)
    if parsed is None or not 0 < attempt_id <= MAX_ID:
        raise _StepAside
    user, attempt, webhook_events = learner_and_attempt(*parsed, session_id, attempt_id, webhooks=webhooks)
    if attempt is None:
        raise _StepAside
    if webhook_events is not None:
        setattr(g, LANE_WEBHOOK_EVENTS, webhook_events)
    return user, attempt


def _route(environ: dict) -> tuple[_Route, tuple[str, ...]] | None:
    """The lane's page a request asks for, with the values in its path; None for any other request."""
    method = environ["REQUEST_METHOD"]
    if method not in ("GET", "POST") or environ.get("QUERY_STRING") or environ.get("SCRIPT_NAME"):
        return None
    path = environ.get("PATH_INFO", "")
    for route in _ROUTES:
        match = route.path.fullmatch(path) if route.method == method else None
        if match is not None:
            return route, match.groups()
    return None


def _check_host(environ: dict, trusted: list[str] | None) -> None:
    """What Flask checks before it matches the URL: a host outside TRUSTED_HOSTS raises SecurityError (Flask's 400)."""
    if not environ.get("HTTP_HOST"):
        raise _StepAside  # the server's name stands in for the host: Flask's to judge
    key = (environ["wsgi.url_scheme"], environ["HTTP_HOST"], tuple(trusted or ()))
    _HOSTS.get_or_compute(key, lambda: bool(get_host(environ, trusted)))


def _rivals(app: Flask, route: _Route) -> list[Any]:
    """URL rules other than the route's own that could take a path the lane answers for it."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != route.endpoint
        and route.method in (rule.methods or ())
        and len(parts := rule.rule.split("/")[1:]) == len(route.shape)
        and all(
            literal is None or part == literal or part.startswith("<")
            for part, literal in zip(parts, route.shape, strict=True)
        )
    ]


def _session_cookie(header: str | None, name: str) -> str:
    """The session cookie's value in a Cookie header, as Flask reads it ("" for none)."""
    if not header:
        return ""
    if len(header) > _KEPT_HEADER_CHARS:
        return parse_cookie(header).get(name, "")
    return _COOKIES.get_or_compute((header, name), lambda: parse_cookie(header).get(name, ""))


def _read_form(environ: dict) -> MultiDict | None:
    """A submission's form as Flask would read it; None for a body Flask must read (another type, no or too large
    a length). The body is put back as a new stream, so Flask can read it again if the lane steps aside."""
    if environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower() != _FORM:
        return None
    length = environ.get("CONTENT_LENGTH", "")
    if not length.isdigit() or int(length) > _MAX_FORM_BYTES:
        return None
    try:
        body = environ["wsgi.input"].read(int(length))
    except Exception:  # noqa: BLE001 - the client went away mid-body: Flask meets the same stream
        return None
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        # What werkzeug's form parser does with such a body, without the parser and streams around it (70 → 30 µs
        # for a quiz's form); tests/web/test_submission_lane.py holds the two to the same answers.
        pairs = parse_qsl(body.decode(), keep_blank_values=True, errors="werkzeug.url_quote")
    except Exception:  # noqa: BLE001 - a body Flask refuses in its own words
        return None
    return ImmutableMultiDict(pairs)


def _csrf_passes(app: Flask, environ: dict, form: MultiDict, session: Mapping[str, Any]) -> bool:
    """Whether Flask-WTF's check of the submission passes (`CSRFProtect.protect`), judged by its rules or
    stricter ones: the token in the form's own field (Flask-WTF also looks in other fields and headers: then
    Flask judges), signed for the session's token with no time limit (checked before), and over HTTPS a referrer
    of this site (WTF_CSRF_SSL_STRICT)."""
    config = app.config
    if not config["WTF_CSRF_ENABLED"] or not config["WTF_CSRF_CHECK_DEFAULT"]:
        return True  # Flask checks nothing either
    field = config["WTF_CSRF_FIELD_NAME"]
    sent, raw = form.get(field), session.get(field)
    if not sent or not isinstance(raw, str):
        return False
    secret = config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    kept = kept_token(secret, raw)  # a page's token is known good; any other is checked as Flask-WTF does
    if kept is None or not hmac.compare_digest(sent.encode(), kept.encode()):
        try:
            signed_for = URLSafeTimedSerializer(secret, salt="wtf-csrf-token").loads(sent)
        except BadData:
            return False
        if not isinstance(signed_for, str) or not hmac.compare_digest(raw, signed_for):
            return False
    if environ["wsgi.url_scheme"] == "https" and config["WTF_CSRF_SSL_STRICT"]:
        referrer = environ.get("HTTP_REFERER")
        return bool(referrer) and same_origin(referrer, f"https://{get_host(environ, config['TRUSTED_HOSTS'])}/")
    return True
