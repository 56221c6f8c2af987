"""The application factory: config, extensions, blueprints, catalog cache, error pages; no side effects."""

from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from werkzeug.middleware.proxy_fix import ProxyFix

from course import assets, branding, compression, errors, forms, i18n, mail, pages, ratelimit, security
from course.config import default_instance_path, load_config
from course.extensions import babel, csrf, db, login_manager
from course.fast import translations
from course.fast.lane import PageLane
from course.fast.sessions import CookieSessions
from course.i18n import select_locale
from course.publishing.cache import CatalogCache
from course.urls import external_url


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, catalog cache, error pages. No I/O beyond config and reading
    course/static once (course/assets.py)."""
    app = Flask("course", instance_path=str(default_instance_path()), instance_relative_config=True)
    load_config(app, test_config)
    app.session_interface = CookieSessions()
    compression.init_app(app)  # first: Flask runs after_request hooks in reverse, so it sees the finished response
    assets.init_app(app)

    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    translations.init_app(app)
    ratelimit.init_app(app)
    mail.init_app(app)
    _tune_sqlite(app)
    _check_idle_connections(app)
    app.wsgi_app = PageLane(app, app.wsgi_app)  # type: ignore[method-assign]  # inside ProxyFix: sees what Flask sees
    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]), x_proto=1)  # type: ignore[method-assign]

    from course.account import bp as account_bp
    from course.admin import bp as admin_bp
    from course.analytics import bp as analytics_bp
    from course.api import bp as api_bp
    from course.api.hr import bp as hr_api_bp
    from course.api.token_views import bp as api_tokens_bp
    from course.assignments import bp as assignments_bp
    from course.auth import bp as auth_bp
    from course.authoring import bp as authoring_bp
    from course.authoring.media import media_bp
    from course.certificates import bp as certificates_bp
    from course.jobs import runners as job_runners
    from course.jobs.views import bp as jobs_bp
    from course.learn import bp as learn_bp
    from course.lti import bp as lti_bp
    from course.lti.service_views import bp as lti_services_bp
    from course.notifications import bp as notifications_bp
    from course.notifications.messages import check_labels as check_notification_labels
    from course.outbox import bp as outbox_bp
    from course.quiz import bp as quiz_bp
    from course.quiz.fields import check_field_builders
    from course.reports import bp as reports_bp
    from course.sandbox import bp as sandbox_bp
    from course.sandbox.labels import check_labels
    from course.scorm import bp as scorm_bp
    from course.site import bp as site_bp
    from course.webhooks import bp as webhooks_bp
    from course.xapi import bp as xapi_bp  # importing it subscribes the statements and registers their channel

    check_field_builders()
    check_labels()
    check_notification_labels()
    app.register_blueprint(site_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(learn_bp)
    app.register_blueprint(quiz_bp)
    app.register_blueprint(sandbox_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(authoring_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(analytics_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(hr_api_bp)
    app.register_blueprint(api_tokens_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(assignments_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(lti_bp)
    app.register_blueprint(scorm_bp)
    app.register_blueprint(outbox_bp)
    app.register_blueprint(lti_services_bp)
    app.register_blueprint(xapi_bp)
    app.register_blueprint(jobs_bp)
    job_runners.init_app(app)  # the embedded runner starts with the first request, not here

    app.cli = _CommandsOnDemand(app.name)
    i18n.init_app(app)
    branding.init_app(app)
    pages.init_app(app)
    security.init_app(app)
    forms.init_app(app)
    errors.init_app(app)
    app.jinja_env.globals["external_url"] = external_url  # link previews (Open Graph) name the public address
    app.extensions["course_catalog"] = CatalogCache(app)
    return app


class _CommandsOnDemand(AppGroup):
    """The app's `flask` commands, imported the first time the command line asks for one. A server process never
    does, and the modules behind them (backups, GIFT conversion, the areas' commands) took a few MB of every worker."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._added = False

    def _add_commands(self) -> None:
        if not self._added:
            self._added = True
            from course import cli

            cli.add_commands(self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._add_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._add_commands()
        return super().get_command(ctx, cmd_name)


def _check_idle_connections(app: Flask) -> None:
    """A server database may restart under the app: a connection that has been idle in the pool for longer than
    DATABASE_PING_IDLE_SECONDS is pinged before use and replaced if the server dropped it.

    SQLAlchemy's `pool_pre_ping` pings on every checkout, a round trip on every request although a connection given
    back milliseconds ago is alive. A busy connection that the server dropped all the same (a restart between two
    requests) fails its next statement; SQLAlchemy then replaces every connection of the pool, and the reads on the
    fast path (course/fast/query.py) try once more on a new one.
    """
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return  # a file: nothing to lose
    idle = float(app.config["DATABASE_PING_IDLE_SECONDS"])
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine.pool, "checkin")
    def remember_checkin(_dbapi_connection, record) -> None:  # noqa: ANN001 - DB-API connection, pool record
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def ping_if_idle(dbapi_connection, record, _proxy) -> None:  # noqa: ANN001 - DB-API connection, pool objects
        checked_in = record.info.get("checked_in_at")
        if checked_in is None or time.monotonic() - checked_in < idle:
            return  # new, or back in the pool moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise DisconnectionError(str(error)) from error  # the pool discards it and connects anew
            raise


def _tune_sqlite(app: Flask) -> None:
    """WAL lets readers and a writer work side by side; the busy timeout waits instead of failing.

    The driver's transaction handling stays as shipped (a transaction begins at the first write, reads before
    it are not in one): `extensions.lock_for_writing` relies on it (docs/architecture.md, "Concurrent writes").
    """
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    timeout = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    with app.app_context():

        @event.listens_for(db.engine, "connect")
        def set_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API connection
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {timeout}")
            cursor.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL never corrupts the database; a power cut (not an app crash) may lose the
            # last commits. It saves an fsync per commit, which is most of the cost of saving an answer.
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()
