"""Configuration: defaults here, then instance/config.py, then the environment, then a test override.

Every setting is documented in the README ("Configuration").
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from course import branding, embedding
from course.core import lti, xapi
from course.core.assignments import is_time_zone

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - refused outside debug and tests
LOCAL_PUBLIC_URL = "http://127.0.0.1:5000"  # `flask run`'s address: the default in debug and tests only
# Always accepted as Host, so a health check or a benchmark on the machine itself reaches the app; harmless,
# since no URL the app writes is built from the Host header.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")


class InsecureConfigError(RuntimeError):
    """Raised at start-up when a production app would run with an unsafe setting."""


class Defaults:
    # The deliberate departures from plain Flask for speed (course/fast/); False serves every page the plain way.
    FAST_PATHS = True
    # Compress text responses (zstd, brotli, gzip) for clients that accept it (course/compression.py); False only
    # where a proxy in front compresses instead (deploy/nginx.conf leaves it to the app, docs/operations.md).
    COMPRESS_RESPONSES = True
    SECRET_KEY = DEV_SECRET_KEY
    SQLALCHEMY_DATABASE_URI: str | None = None  # None → SQLite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLITE_BUSY_TIMEOUT_MS = 5000
    RATELIMIT_STORAGE_URI = "memory://"
    LOGIN_RATE_LIMIT = "10 per minute"
    # Failed logins per account name, counted in the database: free ones, then a doubling wait up to a ceiling.
    LOGIN_FREE_FAILURES = 5
    LOGIN_FIRST_DELAY_SECONDS = 2
    LOGIN_MAX_DELAY_SECONDS = 900
    LOGIN_FAILURES_FORGOTTEN_AFTER = timedelta(hours=24)
    # A login without "stay logged in" ends when the browser closes and, on the server, after this long.
    LOGIN_SESSION_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_DURATION = timedelta(days=30)  # Flask-Login's default is a year
    REGISTER_RATE_LIMIT = "20 per hour"
    FORGOT_RATE_LIMIT = "10 per hour"  # "forgot password" requests per client address
    CONTENT_DIR = str(PROJECT_ROOT / "content")
    QUIZ_DIR = str(PROJECT_ROOT / "quizzes")
    AUTO_IMPORT = True
    CATALOG_CHECK_SECONDS = 1.0
    DEFAULT_LANGUAGE = "de"
    TIME_ZONE = "Europe/Berlin"  # the zone the assignment form offers first (an IANA name)
    # NIST SP 800-63B: at least 15 characters for a password that is the only factor; no composition rules.
    PASSWORD_MIN_LENGTH = 15
    PASSWORD_LOGIN = True  # False: single sign-on only; password fields, reset and registration are hidden
    REGISTRATION_MODE = "open"  # open | verify | invite | closed (README, "Accounts")
    PASSWORD_RESET_MAX_AGE = timedelta(hours=1)
    INVITATION_MAX_AGE = timedelta(days=7)
    EMAIL_CONFIRMATION_MAX_AGE = timedelta(days=2)
    # OpenID Connect providers: key → {"issuer", "client_id", "client_secret", "name", optional "role_claim",
    # "roles" (claim value → role), "default_role", "group_claim", "groups" (claim value → group name)}.
    # COURSE_OIDC_PROVIDERS takes the same as JSON.
    OIDC_PROVIDERS: dict = {}
    OIDC_TIMEOUT_SECONDS = 10
    AUDIT_RETENTION_DAYS = 730  # `flask audit purge` removes older entries
    # Item statistics flag a question (too easy, too hard, dubious, negative discrimination) only once at least this
    # many attempts contain it: with a handful of attempts the indices are noise, and one attempt flagged them all.
    ITEM_FLAGS_MIN_ATTEMPTS = 20
    # Outgoing mail (Flask-Mailman). With no MAIL_SERVER, messages are written to MAIL_FILE_PATH (default:
    # mail/ in the instance folder) and their subjects and links logged, so a laptop needs no mail server.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 587
    MAIL_USE_TLS = True
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER: str | None = None  # None → "<SITE_NAME> <noreply@PUBLIC_URL's host>"
    MAIL_TIMEOUT = 10
    MAIL_FILE_PATH: str | None = None
    NOTIFY_DUE_SOON_DAYS = 3  # the "due soon" reminder comes this many days before a course is due
    # Sent messages to other systems (xAPI, webhooks, LMS scores) are deleted from the outbox after this many days.
    OUTBOX_RETENTION_DAYS = 30
    # Background jobs: exports made off the request, with progress (course/jobs/; docs/operations.md, "Background
    # jobs"). JOBS_RUNNER: "embedded" (a thread in each app process), "rq" (RQ workers started with `flask jobs work`;
    # needs REDIS_URL) or "off" (no runner in the app processes: a separate `flask jobs work` runs them). None →
    # "rq" with REDIS_URL, else "embedded"; "off" under TESTING, where tests run jobs themselves.
    JOBS_RUNNER: str | None = None
    JOBS_MAX_ATTEMPTS = 4  # a job that fails is tried again after 10 s, 1 min, 5 min, ...; then it is "failed"
    JOBS_LEASE_SECONDS = 300  # a job whose runner died (no progress for this long) is taken by another runner
    JOBS_POLL_SECONDS = 5  # how often an idle embedded runner looks for jobs queued on other servers
    JOBS_RETENTION_DAYS = 7  # finished jobs and their files are deleted after this many days
    JOBS_RQ_QUEUE = "course-jobs"  # the RQ queue's name, for sites that share a Redis
    # Periodic jobs every runner keeps going (no cron needed): sending the outbox (xAPI, webhooks, LMS scores,
    # account mails), and creating the reminders and weekly summaries and sending the notification mails. Each
    # event's messages go out at once by a "send now" job; these runs catch up retries and what was missed. 0: off.
    JOBS_OUTBOX_SECONDS = 60
    JOBS_NOTIFICATIONS_SECONDS = 300
    PROXY_FIX_X_FOR = 0
    # A pooled PostgreSQL connection idle for longer than this is checked before use (course/app.py,
    # `_check_idle_connections`); busy ones are not, which saves a round trip on nearly every request.
    DATABASE_PING_IDLE_SECONDS = 10.0
    BABEL_DEFAULT_LOCALE = "de"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a form left open over lunch must still submit; the token is per session
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # The site's public address (scheme, host, port, path prefix): every absolute URL the app writes
    # (certificates, QR codes, the issuer profile) is built on it, never on the request's Host header.
    PUBLIC_URL: str | None = None  # required outside debug and tests
    TRUSTED_HOSTS: list[str] | None = None  # None → PUBLIC_URL's host plus LOOPBACK_HOSTS; others get 400
    # What the site calls itself (header, titles, mails) and its footer text: one text, or {"de": ..., "en": ...}.
    # None → the built-in "KAM course" and course description in the reader's language.
    SITE_NAME: str | dict[str, str] | None = None
    SITE_FOOTER: str | dict[str, str] | None = None
    # A logo beside the name in the header: a PNG or SVG file (a relative path is in the instance folder), at most
    # 256 KB. An accent colour for links and buttons, "#rrggbb" (dark pages get a lighter tint of it) or
    # {"light": ..., "dark": ...}; it must meet WCAG AA contrast, or the site refuses to start. None → built-in.
    SITE_LOGO: str | None = None
    SITE_ACCENT: str | dict[str, str] | None = None
    CERTIFICATE_ISSUER_NAME: str | None = None  # None → SITE_NAME (in the learner's language)
    CERTIFICATE_KEY_FILE: str | None = None  # None → certificate-signing-key.pem in the instance folder
    # Uploaded images live in the database. MEDIA_DIR is only the folder earlier versions kept them in (None →
    # media/ in the instance folder): `flask db upgrade` to 0014 copies its images into the database (a downgrade
    # writes them back), and restoring a backup made before that puts its images there if the schema is older.
    MEDIA_DIR: str | None = None
    MEDIA_MAX_BYTES = 1024 * 1024
    MEDIA_MAX_PIXELS = 16_000_000
    GIFT_MAX_BYTES = 512 * 1024
    # SCORM dispatch packages (course/scorm/; docs/operations.md, "SCORM packages"). A package's page asks for the
    # learner's standing this often (and whenever the learner opens a page of the course in its frame); the value is
    # written into each package when it is downloaded.
    SCORM_POLL_SECONDS = 15
    SCORM_LAUNCH_RATE_LIMIT = "300 per minute"  # package launches per client address (a company's NAT is one)
    # LTI 1.3 tool and embedding in an LMS's frame (course/lti/, course/embedding.py; README, "LTI").
    # True: the session cookie is SameSite=None; Secure; Partitioned, so a login inside an LMS's frame survives;
    # needs the site on https. False: inside a frame the launch offers to open the course in a new window.
    EMBEDDING = False
    # Origins besides the active LTI platforms that may show the site in a frame (an LMS that embeds the SCORM
    # package), e.g. ["https://lms.example.org"]; COURSE_FRAME_ANCESTORS takes them separated by commas.
    FRAME_ANCESTORS: list[str] = []
    LTI_KEY_FILE: str | None = None  # None → lti-tool-key.pem in the instance folder (the same file on every server)
    LTI_TIMEOUT_SECONDS = 10  # fetching a platform's key set during a launch
    # Token API and webhooks for HR systems (course/api/hr.py, course/webhooks/; docs/operations.md, "HR systems").
    # A delivery that gets no answer within this many seconds is tried again later.
    WEBHOOK_TIMEOUT_SECONDS = 10
    # None → http:// webhook addresses only in debug and tests; https is required in production.
    WEBHOOK_ALLOW_HTTP: bool | None = None
    # Webhooks may not post to loopback, private or link-local addresses (a forged request into the site's own
    # network, SSRF) unless this is True, e.g. for an HR system inside the company network.
    WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    # LTI Advantage services (course/lti/services.py; docs/operations.md, "LMS grades and rosters"): a platform's
    # token, line item, score or memberships endpoint that gives no answer within this many seconds is tried later.
    LTI_SERVICE_TIMEOUT_SECONDS = 10
    # xAPI statements for a Learning Record Store (course/xapi/; docs/operations.md, "xAPI"). None: no statements
    # at all (nothing is queued, the lesson page writes nothing). The LRS's xAPI endpoint, without /statements,
    # e.g. https://lrs.example.org/xAPI; HTTP Basic credentials both or neither.
    XAPI_LRS_URL: str | None = None
    XAPI_LRS_USERNAME: str | None = None
    XAPI_LRS_PASSWORD: str | None = None
    XAPI_TIMEOUT_SECONDS = 10  # an LRS that has not answered by then is tried again later
    # Who a statement names: "account" (the learner's number on this site, homePage PUBLIC_URL: no e-mail address
    # leaves the site), "mbox" (the e-mail address and name) or "mbox_sha1sum" (a SHA-1 of the address).
    XAPI_ACTOR = "account"


_DURATIONS = (
    "LOGIN_FAILURES_FORGOTTEN_AFTER",
    "LOGIN_SESSION_LIFETIME",
    "REMEMBER_COOKIE_DURATION",
    "PASSWORD_RESET_MAX_AGE",
    "INVITATION_MAX_AGE",
    "EMAIL_CONFIRMATION_MAX_AGE",
)
REGISTRATION_MODES = ("open", "verify", "invite", "closed")
JOB_RUNNERS = ("embedded", "rq", "off")  # course/jobs/runners.py


def default_instance_path() -> Path:
    """Where secrets and the SQLite file live; COURSE_INSTANCE_PATH moves it."""
    return Path(os.environ.get("COURSE_INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()


def database_url(url: str) -> str:
    """Accept the usual PostgreSQL spellings and route them through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(app: Flask, test_config: dict | None) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    app.config.from_prefixed_env(prefix="COURSE")
    if test_config:
        app.config.update(test_config)
    if app.config.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'course.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config.get("REDIS_URL"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["DEFAULT_LANGUAGE"]
    for name in _DURATIONS:  # the environment gives seconds
        if isinstance(app.config[name], int | float):
            app.config[name] = timedelta(seconds=app.config[name])
    _public_address(app)
    _branding(app)
    _accounts(app)
    _time_zone(app)
    _scorm(app)
    _webhooks(app)
    _lti_services(app)
    _xapi(app)
    _jobs(app)
    _embedding(app)
    _compression(app)
    _number(app, "DATABASE_PING_IDLE_SECONDS", 0, 3600)
    _refuse_insecure(app)


def _public_address(app: Flask) -> None:
    """Check PUBLIC_URL (a laptop default in debug and tests) and derive TRUSTED_HOSTS from it if unset."""
    url = app.config.get("PUBLIC_URL")
    if not url:
        if not (app.debug or app.testing):
            raise InsecureConfigError(
                "Refusing to start without PUBLIC_URL, the site's public address: certificates, QR codes and\n"
                "the issuer profile are built on it, never on the request's Host header. Set it, e.g.\n"
                "  export COURSE_PUBLIC_URL=https://kurs.example.org\n"
                f"or put PUBLIC_URL = 'https://kurs.example.org' into {Path(app.instance_path) / 'config.py'}\n"
                f"(python -m course.setup writes {LOCAL_PUBLIC_URL!r} for a laptop)."
            )
        url = LOCAL_PUBLIC_URL
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InsecureConfigError(f"PUBLIC_URL must be an http(s) address like https://kurs.example.org, not {url!r}.")
    app.config["PUBLIC_URL"] = str(url).rstrip("/")
    hosts = app.config.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):  # COURSE_TRUSTED_HOSTS=a.example,b.example
        hosts = [host.strip() for host in hosts.split(",") if host.strip()]
    app.config["TRUSTED_HOSTS"] = list(hosts) if hosts else list(dict.fromkeys([parts.hostname, *LOOPBACK_HOSTS]))


def _branding(app: Flask) -> None:
    """Check the site's name, footer, accent colour and logo, so a typo, an unreadable colour or a broken file stops
    the start instead of showing on every page; the logo and the colours are built once, here (course/branding.py)."""
    try:
        for name in branding.SETTINGS:
            app.config[name] = branding.checked(name, app.config.get(name))
        app.config["SITE_ACCENT"] = branding.checked_accent(app.config.get("SITE_ACCENT"))
        app.extensions["brand"] = branding.build(app.config, Path(app.instance_path), app.logger)
    except branding.BrandingError as error:
        raise InsecureConfigError(str(error)) from None


def _sender_name(app: Flask) -> str:
    """The site's name for the From line: the default language's, and plain enough for an address header."""
    value = app.config.get("SITE_NAME")
    if isinstance(value, dict):
        value = value.get(app.config["DEFAULT_LANGUAGE"]) or next(iter(value.values()))
    return " ".join((value or "KAM course").replace('"', "").replace("<", "").replace(">", "").split())


def _accounts(app: Flask) -> None:
    """Check the account settings and fill in the mail defaults, so a mistake stops the start, not a login."""
    config = app.config
    if config["REGISTRATION_MODE"] not in REGISTRATION_MODES:
        raise InsecureConfigError(
            f"REGISTRATION_MODE must be one of {', '.join(REGISTRATION_MODES)}, not {config['REGISTRATION_MODE']!r}."
        )
    if not config["PASSWORD_LOGIN"] and not config["OIDC_PROVIDERS"]:
        raise InsecureConfigError("PASSWORD_LOGIN = False needs at least one provider in OIDC_PROVIDERS.")
    for key, provider in config["OIDC_PROVIDERS"].items():
        missing = [name for name in ("issuer", "client_id", "client_secret", "name") if not provider.get(name)]
        if missing or not str(key).isidentifier():
            raise InsecureConfigError(
                f"OIDC_PROVIDERS[{key!r}] needs a key made of letters, digits and _ and the settings issuer,"
                f" client_id, client_secret and name (missing: {', '.join(missing) or 'none'})."
            )
    if not config.get("MAIL_BACKEND"):
        config["MAIL_BACKEND"] = "smtp" if config.get("MAIL_SERVER") else "file"
    if not config.get("MAIL_FILE_PATH"):
        config["MAIL_FILE_PATH"] = str(Path(app.instance_path) / "mail")
    if not config.get("MAIL_DEFAULT_SENDER"):
        config["MAIL_DEFAULT_SENDER"] = f'"{_sender_name(app)}" <noreply@{urlsplit(config["PUBLIC_URL"]).hostname}>'


def _time_zone(app: Flask) -> None:
    """The site's time zone must be one the machine knows, or every assignment form would fail."""
    if not is_time_zone(str(app.config["TIME_ZONE"])):
        raise InsecureConfigError(
            f"TIME_ZONE must be an IANA time zone name such as 'Europe/Berlin', not {app.config['TIME_ZONE']!r}."
        )


def _number(app: Flask, name: str, low: int, high: int, *, whole: bool = False, unit: str = "seconds") -> None:
    """Refuse a setting that is not a number up to `high`, above `low` (a timeout: 0 would mean none) or, for a
    whole number, from `low`: a typo should stop the start, not fail every delivery later."""
    value = app.config[name]
    number = not isinstance(value, bool) and isinstance(value, int if whole else int | float)
    if whole:
        fits, what = number and low <= value <= high, f"a whole number of {unit} from {low} to {high}"
    else:
        fits, what = number and low < value <= high, f"a number of {unit} above {low} and at most {high}"
    if not fits:
        raise InsecureConfigError(f"{name} must be {what}, not {value!r}.")


def _webhooks(app: Flask) -> None:
    """Settle WEBHOOK_ALLOW_HTTP and check the webhook timeout, so a typo stops the start, not a delivery."""
    config = app.config
    if config["WEBHOOK_ALLOW_HTTP"] is None:
        config["WEBHOOK_ALLOW_HTTP"] = bool(app.debug or app.testing)
    _number(app, "WEBHOOK_TIMEOUT_SECONDS", 0, 120)


def _xapi(app: Flask) -> None:
    """Check the LRS settings, so a typo stops the start instead of failing every statement later."""
    config = app.config
    url = config.get("XAPI_LRS_URL") or None
    if url is not None:
        parts = urlsplit(str(url))
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.query
            or parts.fragment
            or parts.username
        ):
            raise InsecureConfigError(
                f"XAPI_LRS_URL must be the LRS's http(s) xAPI address like https://lrs.example.org/xAPI"
                f" (credentials go into XAPI_LRS_USERNAME and XAPI_LRS_PASSWORD), not {url!r}."
            )
        if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS and not (app.debug or app.testing):
            raise InsecureConfigError(
                f"XAPI_LRS_URL must use https (statements name learners, and the LRS password goes with each),"
                f" not {url!r}; plain http only for an LRS on this machine (localhost, 127.0.0.1)."
            )
        url = str(url).rstrip("/")
    config["XAPI_LRS_URL"] = url
    if bool(config.get("XAPI_LRS_USERNAME")) != bool(config.get("XAPI_LRS_PASSWORD")):
        raise InsecureConfigError("XAPI_LRS_USERNAME and XAPI_LRS_PASSWORD go together: set both or neither.")
    _number(app, "XAPI_TIMEOUT_SECONDS", 0, 120)
    if config["XAPI_ACTOR"] not in xapi.ACTORS:
        raise InsecureConfigError(f"XAPI_ACTOR must be one of {', '.join(xapi.ACTORS)}, not {config['XAPI_ACTOR']!r}.")


def _lti_services(app: Flask) -> None:
    """Check the LTI timeouts and the outbox's retention, so a typo stops the start, not a grade delivery."""
    _number(app, "LTI_TIMEOUT_SECONDS", 0, 120)
    _number(app, "LTI_SERVICE_TIMEOUT_SECONDS", 0, 120)
    _number(app, "OUTBOX_RETENTION_DAYS", 1, 3650, whole=True, unit="days")


def _jobs(app: Flask) -> None:
    """Settle the job runner and check its numbers, so a typo stops the start instead of leaving jobs waiting."""
    config = app.config
    if not config.get("JOBS_RUNNER"):
        config["JOBS_RUNNER"] = "off" if app.testing else ("rq" if config.get("REDIS_URL") else "embedded")
    runner = config["JOBS_RUNNER"]
    if runner not in JOB_RUNNERS:
        raise InsecureConfigError(f"JOBS_RUNNER must be one of {', '.join(JOB_RUNNERS)}, not {runner!r}.")
    if runner == "rq" and not config.get("REDIS_URL"):
        raise InsecureConfigError("JOBS_RUNNER = 'rq' needs REDIS_URL, the Redis that carries the jobs to the workers.")
    _number(app, "JOBS_MAX_ATTEMPTS", 1, 20, whole=True, unit="attempts")
    _number(app, "JOBS_LEASE_SECONDS", 10, 86400, whole=True)
    _number(app, "JOBS_POLL_SECONDS", 0, 3600)
    _number(app, "JOBS_RETENTION_DAYS", 1, 3650, whole=True, unit="days")
    _number(app, "JOBS_OUTBOX_SECONDS", 0, 86400, whole=True)
    _number(app, "JOBS_NOTIFICATIONS_SECONDS", 0, 86400, whole=True)


def _embedding(app: Flask) -> None:
    """Check the frame settings: origins only (a path or a typo would silently allow nobody), and the https a
    SameSite=None cookie needs; then set the session cookie for frames (course/embedding.py)."""
    origins = app.config["FRAME_ANCESTORS"]
    if isinstance(origins, str):  # COURSE_FRAME_ANCESTORS=https://a.example,https://b.example
        origins = [item.strip() for item in origins.split(",") if item.strip()]
    for value in origins:
        if not isinstance(value, str) or lti.origin(value) != value.rstrip("/"):
            raise InsecureConfigError(f"FRAME_ANCESTORS lists origins like https://lms.example.org, not {value!r}.")
    app.config["FRAME_ANCESTORS"] = [value.rstrip("/") for value in origins]
    if app.config["EMBEDDING"] and not (app.config["SESSION_COOKIE_SECURE"] and embedding.https_site(app)):
        raise InsecureConfigError(
            "EMBEDDING = True needs the site on https (PUBLIC_URL https://..., SESSION_COOKIE_SECURE = True):\n"
            "browsers drop SameSite=None cookies that are not Secure."
        )
    embedding.cookie_settings(app.config)


def _scorm(app: Flask) -> None:
    """Check the SCORM poll interval: it is written into every package downloaded, so a typo would ship."""
    _number(app, "SCORM_POLL_SECONDS", 1, 3600, whole=True)


def _compression(app: Flask) -> None:
    """COMPRESS_RESPONSES must be a real switch: "no" from a config file would otherwise count as on."""
    value = app.config["COMPRESS_RESPONSES"]
    if not isinstance(value, bool):
        raise InsecureConfigError(f"COMPRESS_RESPONSES must be true or false, not {value!r}.")


def _refuse_insecure(app: Flask) -> None:
    if app.debug or app.testing:
        return
    if not app.config.get("SECRET_KEY") or app.config["SECRET_KEY"] == DEV_SECRET_KEY:
        raise InsecureConfigError(
            "Refusing to start with the development SECRET_KEY. Set one, e.g.\n"
            "  export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')\n"
            f"or put SECRET_KEY = '...' into {Path(app.instance_path) / 'config.py'}\n"
            "(python -m course.setup writes one for you)."
        )
