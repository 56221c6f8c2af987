"""Configuration order and the refusal to run in production with unsafe settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from course import setup
from course.app import create_app
from course.config import DEV_SECRET_KEY, LOCAL_PUBLIC_URL, InsecureConfigError, database_url
from course.extensions import db


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "instance"
    folder.mkdir()
    monkeypatch.setenv("COURSE_INSTANCE_PATH", str(folder))
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    return folder


def test_production_refuses_the_development_secret_key(instance: Path) -> None:
    with pytest.raises(InsecureConfigError, match="SECRET_KEY"):
        create_app({"PUBLIC_URL": "https://kurs.example.org"})
    with pytest.raises(InsecureConfigError):
        create_app({"SECRET_KEY": DEV_SECRET_KEY, "PUBLIC_URL": "https://kurs.example.org"})


def test_production_refuses_to_start_without_a_public_url(instance: Path) -> None:
    with pytest.raises(InsecureConfigError, match="COURSE_PUBLIC_URL=https://kurs.example.org"):
        create_app({"SECRET_KEY": "s3cret"})


@pytest.mark.parametrize("url", ["kurs.example.org", "ftp://kurs.example.org", "https://", "https://a.example/?x=1"])
def test_a_public_url_that_is_no_web_address_is_refused(instance: Path, url: str) -> None:
    with pytest.raises(InsecureConfigError, match="PUBLIC_URL must be an http"):
        create_app({"SECRET_KEY": "s3cret", "PUBLIC_URL": url})


def test_trusted_hosts_default_to_the_public_host_and_loopback(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_PUBLIC_URL", "https://Kurs.Example.org/academy/")
    app = create_app({"SECRET_KEY": "s3cret"})
    assert app.config["PUBLIC_URL"] == "https://Kurs.Example.org/academy"
    assert app.config["TRUSTED_HOSTS"] == ["kurs.example.org", "localhost", "127.0.0.1"]
    monkeypatch.setenv("COURSE_TRUSTED_HOSTS", "kurs.example.org, .kurs.example.org")
    assert create_app({"SECRET_KEY": "s3cret"}).config["TRUSTED_HOSTS"] == ["kurs.example.org", ".kurs.example.org"]
    monkeypatch.delenv("COURSE_PUBLIC_URL")
    assert create_app({"TESTING": True}).config["PUBLIC_URL"] == LOCAL_PUBLIC_URL  # debug and tests: a laptop


def test_setup_writes_a_laptop_public_url_and_adds_it_to_an_older_config(
    instance: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert setup.write_local_config()
    app = create_app()  # production settings, as the README's `flask run` starts it
    assert app.config["PUBLIC_URL"] == "http://127.0.0.1:5000"
    config = instance / "config.py"
    config.write_text("SECRET_KEY = 'older'\n")  # written by a setup that knew no PUBLIC_URL
    assert not setup.write_local_config()
    assert create_app().config["PUBLIC_URL"] == "http://127.0.0.1:5000"
    assert "Added PUBLIC_URL" in capsys.readouterr().out
    before = config.read_text()
    setup.write_local_config()
    assert config.read_text() == before  # once


def test_debug_and_testing_may_use_the_development_key(instance: Path) -> None:
    assert create_app({"TESTING": True}).config["SECRET_KEY"] == DEV_SECRET_KEY


def test_instance_config_then_environment_then_test_override(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (instance / "config.py").write_text(
        "SECRET_KEY = 'from-file'\nLOGIN_RATE_LIMIT = '1 per hour'\nAUTO_IMPORT = True\n"
        "PUBLIC_URL = 'https://kurs.example.org'\n"
    )
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["LOGIN_RATE_LIMIT"] == "1 per hour"
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("COURSE_LOGIN_RATE_LIMIT", "2 per hour")
    monkeypatch.setenv("COURSE_AUTO_IMPORT", "false")
    app = create_app()
    assert (app.config["SECRET_KEY"], app.config["LOGIN_RATE_LIMIT"], app.config["AUTO_IMPORT"]) == (
        "from-env",
        "2 per hour",
        False,
    )
    assert create_app({"SECRET_KEY": "from-test"}).config["SECRET_KEY"] == "from-test"


def test_default_database_is_sqlite_in_the_instance_folder_with_wal(instance: Path) -> None:
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'course.sqlite3'}"
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.session.remove()
        db.engine.dispose()


def test_redis_url_moves_rate_limits_to_redis(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert create_app({"TESTING": True}).config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db/course", "postgresql+psycopg://u:p@db/course"),
        ("postgresql://u@db/course", "postgresql+psycopg://u@db/course"),
        ("postgresql+psycopg://u@db/course", "postgresql+psycopg://u@db/course"),
        ("sqlite:////tmp/x.sqlite3", "sqlite:////tmp/x.sqlite3"),
    ],
)
def test_database_url_spellings(given: str, expected: str) -> None:
    assert database_url(given) == expected


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("LTI_TIMEOUT_SECONDS", 0, "LTI_TIMEOUT_SECONDS must be a number of seconds above 0 and at most 120, not 0."),
        ("LTI_SERVICE_TIMEOUT_SECONDS", "10", "LTI_SERVICE_TIMEOUT_SECONDS must be a number of seconds above 0"),
        ("OUTBOX_RETENTION_DAYS", 0, "OUTBOX_RETENTION_DAYS must be a whole number of days from 1 to 3650, not 0."),
        ("OUTBOX_RETENTION_DAYS", 7.5, "OUTBOX_RETENTION_DAYS must be a whole number of days"),
        ("SCORM_POLL_SECONDS", True, "SCORM_POLL_SECONDS must be a whole number of seconds from 1 to 3600"),
    ],
)
def test_a_number_setting_out_of_range_stops_the_start(instance: Path, setting: str, value, message: str) -> None:
    with pytest.raises(InsecureConfigError) as refused:
        create_app({"TESTING": True, setting: value})
    assert message in str(refused.value)
