"""The site's own name and footer (SITE_NAME, SITE_FOOTER): every page, every mail, the sender and the certificate
issuer use them in the reader's language; without them the built-in "KAM course"; a setting that cannot be
used stops the start with a message that says what to write."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from course.auth import mails
from course.auth import operations as accounts
from course.config import InsecureConfigError
from course.extensions import db
from tests.quiz_helpers import faster_apps
from tests.sessions import sign_in


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    """Catalog builds and compiled templates shared between this module's many small apps."""
    return faster_apps(make_app, monkeypatch)


EN = {"Accept-Language": "en"}
DE = {"Accept-Language": "de"}
ACME = "Acme Sales Academy"
PER_LANGUAGE = {"de": "Vertriebsakademie", "en": "Sales Academy"}


def page(app, headers: dict[str, str]) -> str:
    return app.test_client().get("/auth/login", headers=headers).get_data(as_text=True)


def header_title_footer(html: str) -> tuple[str, str, str]:
    """The brand link in the header, the part of the title after the page's own, and the footer's text."""
    brand = re.search(r'<a class="brand" href="[^"]*">([^<]*)</a>', html)
    title = re.search(r"<title>[^<]*· ([^<]*)</title>", html)
    footer = re.search(r'<footer class="site-footer">\s*<p>([^<]*)</p>', html)
    assert brand and title and footer, html
    return brand.group(1), title.group(1), footer.group(1)


def forgot(app, email: str) -> None:
    app.test_client().post("/auth/password/forgot", data={"email": email}, headers=EN)


# --- Pages -----------------------------------------------------------------------------------------------------


def test_pages_show_the_configured_name_and_footer(make_app) -> None:
    app = make_app(SITE_NAME=ACME, SITE_FOOTER="Training for the Acme sales team.")
    for headers in (EN, DE):
        assert header_title_footer(page(app, headers)) == (ACME, ACME, "Training for the Acme sales team.")
    assert "KAM" not in page(app, EN) and "KAM" not in page(app, DE)


def test_a_name_per_language_follows_the_reader(make_app) -> None:
    app = make_app(SITE_NAME=PER_LANGUAGE, SITE_FOOTER={"de": "Schulung im Vertrieb.", "en": "Sales training."})
    assert header_title_footer(page(app, EN)) == ("Sales Academy", "Sales Academy", "Sales training.")
    assert header_title_footer(page(app, DE)) == ("Vertriebsakademie", "Vertriebsakademie", "Schulung im Vertrieb.")


def test_the_environment_gives_one_name_or_json_per_language(make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_SITE_NAME", ACME)
    assert make_app().config["SITE_NAME"] == ACME
    monkeypatch.setenv("COURSE_SITE_NAME", '{"de": "Vertriebsakademie", "en": "Sales Academy"}')
    assert make_app().config["SITE_NAME"] == PER_LANGUAGE


def test_a_name_for_one_language_serves_the_others_too(make_app) -> None:
    app = make_app(SITE_NAME={"de": "Vertriebsakademie"})
    assert header_title_footer(page(app, EN))[0] == "Vertriebsakademie"


def test_without_the_settings_the_built_in_name_and_footer(app) -> None:
    brand, title, footer = header_title_footer(page(app, EN))
    assert (brand, title) == ("KAM course", "KAM course")
    assert footer.startswith("A course on paying key-account managers")
    brand, title, footer = header_title_footer(page(app, DE))
    assert (brand, title) == ("KAM-Kurs", "KAM-Kurs")
    assert footer.startswith("Ein Kurs")


def test_the_name_is_text_not_markup(make_app) -> None:
    html = page(make_app(SITE_NAME="R&D <b>Academy</b>"), EN)
    assert "R&amp;D &lt;b&gt;Academy&lt;/b&gt;" in html and "<b>Academy" not in html


def test_spaces_and_a_trailing_line_break_are_tidied_away(make_app, mailbox) -> None:
    app = make_app(SITE_NAME="  Acme   Sales Academy\n", SITE_FOOTER={"en": " Sales\ttraining. "})
    assert (app.config["SITE_NAME"], app.config["SITE_FOOTER"]) == (ACME, {"en": "Sales training."})
    with app.app_context():
        accounts.create_user("ana@example.org", "plover kiosk zebra lantern", "Ana", locale="en")
        db.session.commit()
    forgot(app, "ana@example.org")  # a line break left in the name would make the subject unsendable
    assert mailbox.last_to("ana@example.org").subject == "Reset your password for Acme Sales Academy"


# --- Mails -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "subject", "says", "footer"),
    [
        (
            "en",
            "Reset your password for Acme Sales Academy",
            "asked to reset the password of your account at Acme Sales Academy.",
            "You receive this mail because of your account at Acme Sales Academy.",
        ),
        (
            "de",
            "Ihr Passwort für Acme Sales Academy zurücksetzen",
            "das Passwort Ihres Kontos bei Acme Sales Academy zurückzusetzen.",
            "Sie erhalten diese E-Mail wegen Ihres Kontos bei Acme Sales Academy.",
        ),
    ],
)
def test_the_reset_mail_names_the_site(make_app, mailbox, lang: str, subject: str, says: str, footer: str) -> None:
    app = make_app(SITE_NAME=ACME)
    with app.app_context():
        accounts.create_user("ana@example.org", "plover kiosk zebra lantern", "Ana", locale=lang)
        db.session.commit()
    forgot(app, "ana@example.org")
    mail = mailbox.last_to("ana@example.org")
    assert mail.subject == subject
    assert says in mail.text and says in mail.html
    assert f">{ACME}</p>" in mail.html and footer in mail.html
    assert "KAM" not in mail.text + mail.html + mail.subject


@pytest.mark.parametrize(
    ("lang", "name", "texts"),
    [
        (
            "en",
            "Sales Academy",
            (
                "Bea Boss invites you to Sales Academy",
                "Bea Boss has invited you to Sales Academy and opened an account",
                "Sales Academy has online courses with short lessons and quizzes; at the end of a course you can"
                " earn a certificate.",
            ),
        ),
        (
            "de",
            "Vertriebsakademie",
            (
                "Bea Boss lädt Sie zu Vertriebsakademie ein",
                "Bea Boss hat Sie zu Vertriebsakademie eingeladen und ein Konto",
                "Vertriebsakademie bietet Online-Kurse mit kurzen Lektionen und Quizzen; zum Abschluss eines Kurses"
                " können Sie ein Zertifikat erwerben.",
            ),
        ),
    ],
)
def test_the_invitation_names_the_site_in_the_accounts_language(
    make_app, mailbox, lang: str, name: str, texts: tuple[str, ...]
) -> None:
    app = make_app(SITE_NAME=PER_LANGUAGE)
    with app.test_request_context(headers=DE if lang == "en" else EN):  # the mail follows the account, not the request
        user = accounts.create_user("ivo@example.org", None, "Ivo", locale=lang)
        mails.send_invitation(user, "Bea Boss")
        db.session.commit()
    mail = mailbox.last_to("ivo@example.org")
    subject, invited, about = texts
    assert mail.subject == subject
    for text in (invited, about):
        assert text in mail.text and text in mail.html
    assert f">{name}</p>" in mail.html
    assert "KAM" not in mail.text + mail.html
    path = next(link for link in mail.links if "/auth/invitation/" in link).split("127.0.0.1:5000", 1)[1]
    welcome = app.test_client().get(path, headers={"Accept-Language": lang}).get_data(as_text=True)
    heading = {"en": "Welcome to Sales Academy — choose your password", "de": "Willkommen bei Vertriebsakademie –"}
    assert heading[lang] in welcome


def test_without_a_name_mails_say_kam_course(app, make_user, mailbox) -> None:
    make_user(email="ana@example.org", locale="en")
    make_user(email="ben@example.org", locale="de")
    forgot(app, "ana@example.org")
    forgot(app, "ben@example.org")
    english, german = mailbox.last_to("ana@example.org"), mailbox.last_to("ben@example.org")
    assert english.subject == "Reset your password for KAM course"
    assert "You receive this mail because of your account at KAM course." in english.html
    assert german.subject == "Ihr Passwort für KAM-Kurs zurücksetzen"
    assert ">KAM-Kurs</p>" in german.html


@pytest.mark.parametrize(
    ("lang", "title"), [("en", "Your data from Sales Academy"), ("de", "Ihre Daten von Vertriebsakademie")]
)
def test_the_data_export_names_the_site(make_app, lang: str, title: str) -> None:
    app = make_app(SITE_NAME=PER_LANGUAGE)
    with app.app_context():
        user = accounts.create_user("ana@example.org", "plover kiosk zebra lantern", "Ana", locale=lang)
        db.session.commit()
        user_id = user.id
    response = sign_in(app.test_client(), user_id).post("/account/export")
    assert response.status_code == 200
    readme = zipfile.ZipFile(io.BytesIO(response.data)).read("README.txt").decode("utf-8")
    assert readme.splitlines()[0] == title


# --- The sender ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("site_name", "sender"),
    [
        (None, '"KAM course" <noreply@127.0.0.1>'),
        (ACME, '"Acme Sales Academy" <noreply@127.0.0.1>'),
        (PER_LANGUAGE, '"Vertriebsakademie" <noreply@127.0.0.1>'),  # the site's default language, German
        ('Acme "Sales" <Academy>', '"Acme Sales Academy" <noreply@127.0.0.1>'),
    ],
)
def test_the_default_sender_carries_the_sites_name(make_app, site_name, sender: str) -> None:
    assert make_app(SITE_NAME=site_name, MAIL_DEFAULT_SENDER=None).config["MAIL_DEFAULT_SENDER"] == sender


def test_the_sent_mail_comes_from_the_sites_name(make_app, mailbox) -> None:
    app = make_app(SITE_NAME=ACME, MAIL_DEFAULT_SENDER=None)
    with app.app_context():
        accounts.create_user("ana@example.org", "plover kiosk zebra lantern", "Ana", locale="en")
        db.session.commit()
    forgot(app, "ana@example.org")
    sender = mailbox.last_to("ana@example.org").message["From"]
    assert (sender.addresses[0].display_name, sender.addresses[0].addr_spec) == (ACME, "noreply@127.0.0.1")


def test_a_sender_that_is_set_stays(make_app) -> None:
    app = make_app(SITE_NAME=ACME, MAIL_DEFAULT_SENDER="Training <training@example.org>")
    assert app.config["MAIL_DEFAULT_SENDER"] == "Training <training@example.org>"


# --- The certificate issuer ------------------------------------------------------------------------------------


def issuer_name(app, headers: dict[str, str]) -> str:
    response = app.test_client().get("/certificates/issuer.json", headers=headers)
    assert response.status_code == 200
    return response.get_json()["name"]


def test_the_certificate_issuer_is_the_site(make_app) -> None:
    assert issuer_name(make_app(SITE_NAME=ACME), DE) == ACME
    app = make_app(SITE_NAME=PER_LANGUAGE)
    assert (issuer_name(app, EN), issuer_name(app, DE)) == ("Sales Academy", "Vertriebsakademie")


def test_the_issuer_without_settings_and_with_its_own_setting(make_app) -> None:
    app = make_app()
    assert (issuer_name(app, EN), issuer_name(app, DE)) == ("KAM course", "KAM-Kurs")
    app = make_app(SITE_NAME=ACME, CERTIFICATE_ISSUER_NAME="Acme GmbH")
    assert issuer_name(app, EN) == "Acme GmbH"


# --- The password check ----------------------------------------------------------------------------------------


def test_a_password_built_from_the_sites_name_is_refused_in_every_language(make_app) -> None:
    app = make_app(SITE_NAME=PER_LANGUAGE)
    with app.test_request_context(headers=EN):
        assert accounts.password_refusal("vertriebsakademie 2026!", "Ana").code == "personal"
        assert accounts.password_refusal("sales academy academy 7", "Ana").code == "personal"
    with make_app().test_request_context(headers=EN):
        assert accounts.password_refusal("kam-kurs kam-kurs 2026", "Ana").code == "personal"


# --- Settings that cannot be used ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("SITE_NAME", "", "SITE_NAME must be one line of text of at most 80 characters"),
        ("SITE_NAME", "   ", "SITE_NAME must be one line of text"),
        ("SITE_NAME", {}, "SITE_NAME must not be empty; leave it out for the built-in text"),
        ("SITE_NAME", {"de": "Akademie", "fr": "Académie"}, "SITE_NAME has a text for 'fr'; the languages are de, en"),
        ("SITE_NAME", "Acme\nAcademy", "SITE_NAME must be one line of text"),
        ("SITE_NAME", "A" * 500, "SITE_NAME must be one line of text of at most 80 characters"),
        ("SITE_NAME", {"de": ""}, "SITE_NAME must be one line of text"),
        ("SITE_NAME", 42, "SITE_NAME must be one line of text"),
        ("SITE_FOOTER", "x" * 500, "SITE_FOOTER must be one line of text of at most 400 characters"),
        ("SITE_FOOTER", {"en": "One\nTwo"}, "SITE_FOOTER must be one line of text"),
    ],
)
def test_a_setting_that_cannot_be_used_stops_the_start(make_app, setting: str, value, message: str) -> None:
    with pytest.raises(InsecureConfigError, match=re.escape(message)):
        make_app(**{setting: value})
