"""Single sign-on with OpenID Connect: the flow against a real provider process (oidc-provider-mock), the ID
token checks against a crafted provider, accounts found, linked, created and refused, roles from claims,
logout at the provider, the buttons and the SSO-only mode."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from course.auth import operations as accounts
from course.auth import sso_client
from course.core import sso as core_sso
from course.extensions import db
from course.models import ROLES, AccountToken, AuditEntry, SsoIdentity, User, UserSession, utcnow
from tests.conftest import PASSWORD
from tests.quiz_helpers import faster_apps
from tests.sessions import sign_in
from tests.sso_provider import (
    CLIENT_ID,
    CraftedProvider,
    MockProvider,
    callback_path,
    free_port,
    running_crafted,
    running_mock,
)


@pytest.fixture
def make_app(make_app, monkeypatch: pytest.MonkeyPatch):
    """Catalog builds and compiled templates shared between this module's many small apps."""
    return faster_apps(make_app, monkeypatch)


ROLE_CLAIM = {"role_claim": "realm_access.roles", "roles": {"kam-trainer": "trainer", "kam-admin": "admin"}}


class EnglishBrowser(FlaskClient):
    """A test client whose browser asks for English pages (a test may switch it)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def in_english(app: Flask) -> Flask:
    app.test_client_class = EnglishBrowser
    return app


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockProvider]:
    with running_mock(tmp_path_factory.mktemp("oidc")) as provider:
        yield provider


@pytest.fixture(scope="session")
def crafted_server() -> Iterator[CraftedProvider]:
    with running_crafted() as provider:
        yield provider


@pytest.fixture
def crafted_provider(crafted_server: CraftedProvider) -> CraftedProvider:
    """The crafted provider, answering normally until the test says otherwise."""
    crafted_server.reset()
    return crafted_server


@pytest.fixture
def sso_app(make_app: Callable[..., Flask], oidc_provider: MockProvider) -> Callable[..., Flask]:
    """An app with the mock as provider "mock" (extra provider settings and app config as arguments)."""

    def build(provider: dict | None = None, **config: object) -> Flask:
        return in_english(make_app(OIDC_PROVIDERS={"mock": oidc_provider.settings(**(provider or {}))}, **config))

    return build


def person(provider: MockProvider, **claims: object) -> str:
    """A new subject at the mock with these claims (email verified unless said otherwise)."""
    sub = f"person-{uuid4().hex[:12]}"
    provider.set_user(sub, **{"email": f"{sub}@example.org", "email_verified": True, **claims})
    return sub


def sso_login(
    client: FlaskClient, provider: MockProvider, sub: str | None, *, deny: bool = False, next: str | None = None
) -> TestResponse:
    """Press the button, answer the provider's form, and follow the provider back to the app."""
    start = client.get("/auth/sso/mock", query_string={"next": next} if next else None)
    assert start.status_code == 302, start.get_data(as_text=True)
    return client.get(callback_path(provider.answer(start.headers["Location"], sub, deny=deny)))


def entries(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def account(app: Flask, email: str) -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def identities(app: Flask) -> list[tuple[int, str, str]]:
    with app.app_context():
        return [(row.user_id, row.provider, row.subject) for row in db.session.scalars(select(SsoIdentity))]


def logged_in_as(client: FlaskClient) -> str | None:
    """The display name the header shows, or None when logged out."""
    user = client.get("/api/v1/session").get_json()["user"]
    return user["name"] if user else None


def text(response: TestResponse) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


# --- The flow against the real provider ----------------------------------------------------------------------


def test_authorization_redirect_carries_pkce_state_nonce_and_the_public_callback(sso_app, oidc_provider) -> None:
    app = sso_app()
    client = app.test_client()
    response = client.get("/auth/sso/mock", headers={"Host": "localhost"}, query_string={"next": "/courses/kam-pay"})
    assert response.status_code == 302
    url = urlsplit(response.headers["Location"])
    params = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{oidc_provider.issuer}/oauth2/authorize"
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["scope"] == "openid email profile"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43  # base64url of a SHA-256
    assert len(params["state"]) >= 20 and len(params["nonce"]) >= 20
    # Built on PUBLIC_URL, never on the Host the request came with.
    assert params["redirect_uri"] == "http://127.0.0.1:5000/auth/sso/mock/callback"
    with client.session_transaction() as session:
        stored = [value["data"] for key, value in session.items() if key.startswith("_state_mock_")]
        assert session["sso_next"] == "/courses/kam-pay"
    assert len(stored) == 1 and stored[0]["nonce"] == params["nonce"] and stored[0]["code_verifier"]


def test_first_login_creates_the_account_and_logs_in(sso_app, oidc_provider) -> None:
    app = sso_app()
    client = app.test_client()
    sub = person(oidc_provider, name="Grete Sommer", locale="en-GB")
    response = sso_login(client, oidc_provider, sub, next="/courses/kam-pay")
    assert response.status_code == 302
    assert response.headers["Location"] == "/courses/kam-pay"
    assert logged_in_as(client) == "Grete Sommer"
    user = account(app, f"{sub}@example.org")
    assert (user.display_name, user.role, user.locale, user.email_verified) == ("Grete Sommer", "learner", "en", True)
    assert user.password_hash is None and user.last_login_at is not None
    assert identities(app) == [(user.id, "mock", sub)]
    with app.app_context():
        assert db.session.scalars(select(UserSession.sso_provider)).all() == ["mock"]
    [registered] = entries(app, "registered")
    assert (registered.target_user_id, registered.detail) == (user.id, {"provider": "mock"})
    [login] = entries(app, "sso_login")
    assert (login.target_user_id, login.actor_id, login.detail) == (user.id, user.id, {"provider": "mock"})


def test_the_callback_refuses_an_unsafe_next_target(sso_app, oidc_provider) -> None:
    client = sso_app().test_client()
    response = sso_login(client, oidc_provider, person(oidc_provider), next="https://evil.example/")
    assert response.headers["Location"] == "/"


def test_a_new_account_takes_the_request_language_without_a_usable_locale_claim(sso_app, oidc_provider) -> None:
    app = sso_app()
    client = app.test_client()
    sub = person(oidc_provider, given_name="Lena", family_name="Vogt", locale="fr-FR")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de-DE"
    sso_login(client, oidc_provider, sub)
    user = account(app, f"{sub}@example.org")
    assert (user.display_name, user.locale) == ("Lena Vogt", "de")


def test_an_unverified_address_still_makes_a_new_account_but_unverified(sso_app, oidc_provider) -> None:
    app = sso_app()
    sub = person(oidc_provider, email_verified=False)
    assert sso_login(app.test_client(), oidc_provider, sub).status_code == 302
    user = account(app, f"{sub}@example.org")
    assert (user.display_name, user.email_verified) == (sub, False)


def test_the_subject_finds_the_account_when_the_address_changed(sso_app, oidc_provider) -> None:
    app = sso_app()
    sub = person(oidc_provider)
    sso_login(app.test_client(), oidc_provider, sub)
    oidc_provider.set_user(sub, email="renamed@example.org", email_verified=True)
    client = app.test_client()
    assert sso_login(client, oidc_provider, sub).status_code == 302
    assert account(app, "renamed@example.org") is None
    assert logged_in_as(client) == sub
    assert len(identities(app)) == 1 and len(entries(app, "sso_login")) == 2


@pytest.mark.parametrize("mode", ["open", "verify", "invite", "closed"])
def test_single_sign_on_creates_accounts_in_every_registration_mode(sso_app, oidc_provider, mode: str) -> None:
    app = sso_app(REGISTRATION_MODE=mode)
    sub = person(oidc_provider)
    assert sso_login(app.test_client(), oidc_provider, sub).status_code == 302
    assert account(app, f"{sub}@example.org") is not None


def test_a_logged_in_user_is_sent_on_without_a_new_login(sso_app, oidc_provider, make_user) -> None:
    app = sso_app()
    client = sign_in(app.test_client(), make_user().id)
    response = client.get("/auth/sso/mock?next=/courses/kam-pay")
    assert (response.status_code, response.headers["Location"]) == (302, "/courses/kam-pay")


def test_unknown_providers_are_not_found(sso_app) -> None:
    client = sso_app().test_client()
    assert client.get("/auth/sso/nobody").status_code == 404
    assert client.get("/auth/sso/nobody/callback?code=x&state=y").status_code == 404


# --- Linking to an existing account ---------------------------------------------------------------------------


def test_a_verified_address_links_to_the_existing_account_and_keeps_its_password(sso_app, oidc_provider) -> None:
    app = sso_app()
    sub = person(oidc_provider)
    with app.app_context():
        user = accounts.create_user(f"{sub}@example.org", PASSWORD, "Old Name", email_verified=True)
        db.session.commit()
        user_id = user.id
    client = app.test_client()
    assert sso_login(client, oidc_provider, sub).status_code == 302
    assert logged_in_as(client) == "Old Name"  # the account's own name stays
    assert identities(app) == [(user_id, "mock", sub)]
    [linked] = entries(app, "sso_linked")
    assert (linked.target_user_id, linked.detail) == (user_id, {"provider": "mock"})
    with app.app_context():
        assert accounts.authenticate(f"{sub}@example.org", PASSWORD) is not None


def test_linking_an_account_that_never_proved_its_address_removes_its_password(sso_app, oidc_provider) -> None:
    """Whoever registered the address first (perhaps not its owner) loses the way in."""
    app = sso_app()
    sub = person(oidc_provider)
    with app.app_context():
        squatter = accounts.create_user(f"{sub}@example.org", PASSWORD, "Squatter")
        db.session.flush()
        accounts.issue_token(squatter, "reset")
        db.session.commit()
        squatter_id = squatter.id
    squatter_client = sign_in(app.test_client(), squatter_id)
    assert logged_in_as(squatter_client) == "Squatter"
    owner = app.test_client()
    assert sso_login(owner, oidc_provider, sub).status_code == 302
    assert logged_in_as(owner) == "Squatter"
    assert logged_in_as(squatter_client) is None  # the earlier session ended
    user = account(app, f"{sub}@example.org")
    assert user.password_hash is None and user.email_verified
    with app.app_context():
        assert db.session.scalars(select(AccountToken)).all() == []
        assert accounts.authenticate(f"{sub}@example.org", PASSWORD) is None
    [linked] = entries(app, "sso_linked")
    assert linked.detail == {"provider": "mock", "password_removed": True}


def test_an_unverified_address_is_not_linked_to_an_existing_account(sso_app, oidc_provider, make_user) -> None:
    app = sso_app()
    sub = person(oidc_provider, email_verified=False)
    existing = make_user(email=f"{sub}@example.org")
    client = app.test_client()
    response = sso_login(client, oidc_provider, sub)
    assert response.status_code == 403
    assert "has not confirmed that the address is yours" in text(response)
    assert logged_in_as(client) is None
    assert identities(app) == []
    assert account(app, existing.email).password_hash is not None
    [refused] = entries(app, "sso_login_refused")
    assert refused.target_user_id == existing.id
    assert (refused.detail["provider"], refused.detail["reason"]) == ("mock", "email_unverified")


@pytest.mark.parametrize("known", [False, True], ids=["first-login", "linked-before"])
@pytest.mark.parametrize("closed", ["deactivated", "erased"])
def test_a_closed_account_is_refused(sso_app, oidc_provider, make_user, closed: str, known: bool) -> None:
    app = sso_app()
    sub = person(oidc_provider)
    user = make_user(email=f"{sub}@example.org")
    if known:
        assert sso_login(app.test_client(), oidc_provider, sub).status_code == 302
    with app.app_context():
        row = db.session.get(User, user.id)
        if closed == "deactivated":
            accounts.set_active(row, False)
        else:
            row.deleted_at = utcnow()
        db.session.commit()
    client = app.test_client()
    response = sso_login(client, oidc_provider, sub)
    assert response.status_code == 403
    assert "This account has been deactivated." in text(response)
    assert logged_in_as(client) is None
    assert len(identities(app)) == int(known)
    [refused] = entries(app, "sso_login_refused")
    assert (refused.target_user_id, refused.detail["reason"]) == (user.id, "deactivated")


# --- Roles from claims ----------------------------------------------------------------------------------------


def test_the_role_claim_makes_the_highest_mapped_role_and_follows_changes(sso_app, oidc_provider) -> None:
    app = sso_app(ROLE_CLAIM)
    sub = person(oidc_provider, realm_access={"roles": ["offline_access", "kam-trainer", "kam-admin"]})
    sso_login(app.test_client(), oidc_provider, sub)
    user = account(app, f"{sub}@example.org")
    assert user.role == "admin"
    oidc_provider.set_user(sub, email=f"{sub}@example.org", email_verified=True, realm_access={"roles": "kam-trainer"})
    client = app.test_client()
    sso_login(client, oidc_provider, sub)
    assert account(app, user.email).role == "trainer"
    assert client.get("/studio").status_code == 200
    [changed] = entries(app, "role_changed")
    assert (changed.target_user_id, changed.detail) == (user.id, {"from": "admin", "to": "trainer", "provider": "mock"})


def test_a_missing_role_claim_takes_the_default_role(sso_app, oidc_provider, make_user) -> None:
    app = sso_app({**ROLE_CLAIM, "default_role": "learner"})
    sub = person(oidc_provider)
    trainer = make_user(role="trainer", email=f"{sub}@example.org")
    sso_login(app.test_client(), oidc_provider, sub)
    assert account(app, trainer.email).role == "learner"
    assert entries(app, "role_changed")[0].detail == {"from": "trainer", "to": "learner", "provider": "mock"}


@pytest.mark.parametrize("roles", [None, ["offline_access"]])
def test_no_role_for_the_course_refuses_and_creates_nothing(sso_app, oidc_provider, roles) -> None:
    app = sso_app(ROLE_CLAIM)
    sub = person(oidc_provider, **({"realm_access": {"roles": roles}} if roles else {}))
    client = app.test_client()
    response = sso_login(client, oidc_provider, sub)
    assert response.status_code == 403
    assert "Your company account carries no role for this course; ask your administrator." in text(response)
    assert account(app, f"{sub}@example.org") is None and identities(app) == []
    assert entries(app, "registered") == []
    assert entries(app, "sso_login_refused")[0].detail["reason"] == "no_role"


def test_without_a_role_claim_existing_roles_stay_and_new_accounts_get_the_default(
    sso_app, oidc_provider, make_user
) -> None:
    app = sso_app({"default_role": "trainer"})
    admin_sub, new_sub = person(oidc_provider, roles=["x"]), person(oidc_provider)
    admin = make_user(role="admin", email=f"{admin_sub}@example.org")
    sso_login(app.test_client(), oidc_provider, admin_sub)
    sso_login(app.test_client(), oidc_provider, new_sub)
    assert account(app, admin.email).role == "admin"
    assert account(app, f"{new_sub}@example.org").role == "trainer"
    assert entries(app, "role_changed") == []


def test_core_roles_equal_the_model_roles() -> None:
    assert core_sso.ROLE_ORDER == ROLES


# --- Refusals from the provider's side ------------------------------------------------------------------------


def test_cancelling_at_the_provider_shows_a_clear_page(sso_app, oidc_provider) -> None:
    app = sso_app()
    client = app.test_client()
    response = sso_login(client, oidc_provider, None, deny=True)
    assert response.status_code == 403
    page = text(response)
    assert "Sign-in cancelled" in page and "The sign-in at Firmenkonto was cancelled." in page
    assert 'href="/auth/sso/mock"' in page  # try again
    assert logged_in_as(client) is None
    [refused] = entries(app, "sso_login_refused")
    assert refused.detail == {"provider": "mock", "reason": "cancelled"}


def test_the_refusal_page_speaks_german(sso_app, oidc_provider) -> None:
    client = sso_app().test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de-DE"
    page = text(sso_login(client, oidc_provider, None, deny=True))
    assert "Anmeldung abgebrochen" in page and "Noch einmal versuchen" in page


def test_a_callback_opened_twice_is_refused_the_second_time(sso_app, oidc_provider) -> None:
    app = sso_app()
    client = app.test_client()
    start = client.get("/auth/sso/mock")
    back = callback_path(oidc_provider.answer(start.headers["Location"], person(oidc_provider)))
    assert client.get(back).status_code == 302
    client.post("/auth/logout")
    response = client.get(back)
    assert response.status_code == 400
    assert "Please sign in again" in text(response)
    assert logged_in_as(client) is None
    assert entries(app, "sso_login_refused")[0].detail["reason"] == "state"


def test_a_callback_from_another_browser_is_refused(sso_app, oidc_provider) -> None:
    """Login CSRF: an attacker's code and state, opened in the victim's browser, log nobody in."""
    app = sso_app()
    attacker = app.test_client()
    start = attacker.get("/auth/sso/mock")
    back = callback_path(oidc_provider.answer(start.headers["Location"], person(oidc_provider)))
    victim = app.test_client()
    victim.get("/auth/sso/mock")  # the victim has a login of their own under way
    response = victim.get(back)
    assert response.status_code == 400
    assert logged_in_as(victim) is None
    assert account(app, "attacker@example.org") is None and identities(app) == []


def test_a_callback_without_state_or_code_is_refused(sso_app) -> None:
    client = sso_app().test_client()
    assert client.get("/auth/sso/mock/callback").status_code == 400
    assert client.get("/auth/sso/mock/callback?code=abc").status_code == 400


def test_a_missing_email_claim_refuses_and_creates_nothing(sso_app, oidc_provider) -> None:
    app = sso_app()
    sub = f"person-{uuid4().hex[:12]}"
    oidc_provider.set_user(sub, name="No Mail")
    response = sso_login(app.test_client(), oidc_provider, sub)
    assert response.status_code == 403
    assert "did not tell us your email address" in text(response)
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []
    assert entries(app, "sso_login_refused")[0].detail["reason"] == "missing_email"


def test_an_unreachable_provider_shows_a_clear_page(make_app) -> None:
    dead = {"issuer": f"http://127.0.0.1:{free_port()}", "client_id": "c", "client_secret": "s", "name": "Gone"}
    app = in_english(make_app(OIDC_PROVIDERS={"gone": dead}, OIDC_TIMEOUT_SECONDS=2))
    client = app.test_client()
    for url in ("/auth/sso/gone", "/auth/sso/gone/callback?code=x&state=y"):
        response = client.get(url)
        assert response.status_code == 502, url
        assert "Gone is not available" in text(response)
    reasons = [entry.detail["reason"] for entry in entries(app, "sso_login_refused")]
    assert reasons == ["provider_unreachable", "provider_unreachable"]


# --- The ID token's checks, against the crafted provider ------------------------------------------------------


@pytest.fixture
def crafted_app(make_app, crafted_provider: CraftedProvider) -> Callable[..., Flask]:
    def build(provider: dict | None = None, **config: object) -> Flask:
        settings = crafted_provider.settings(**(provider or {}))
        return in_english(make_app(OIDC_PROVIDERS={"crafted": settings}, **config))

    return build


def round_trip(client: FlaskClient, provider: CraftedProvider) -> TestResponse:
    """Button, the crafted provider's instant approval, and the way back."""
    start = client.get("/auth/sso/crafted")
    if start.status_code != 302:
        return start
    return client.get(callback_path(provider.approve(start.headers["Location"])))


def test_the_crafted_provider_logs_in_only_with_the_pkce_verifier(crafted_app, crafted_provider) -> None:
    app = crafted_app()
    client = app.test_client()
    assert round_trip(client, crafted_provider).status_code == 302
    assert logged_in_as(client) == "Crafted Person"
    [(_, token_request)] = [request for request in crafted_provider.requests if request[0] == "/token"]
    assert token_request["code_verifier"] and token_request["grant_type"] == "authorization_code"
    assert token_request["redirect_uri"] == "http://127.0.0.1:5000/auth/sso/crafted/callback"


def test_discovery_is_read_once_per_app(crafted_app, crafted_provider) -> None:
    app = crafted_app()
    round_trip(app.test_client(), crafted_provider)
    round_trip(app.test_client(), crafted_provider)
    assert crafted_provider.hits("/.well-known/openid-configuration") == 1
    assert crafted_provider.hits("/jwks") == 1


BAD_TOKENS = {
    "foreign issuer": {"claims": {"iss": "http://127.0.0.1:1/evil"}},
    "foreign audience": {"claims": {"aud": "another-client"}},
    # Authlib alone accepts this one (it checks only that azp is ours): the explicit audience check refuses it.
    "foreign audience, our azp": {"claims": {"aud": "another-client", "azp": CLIENT_ID}},
    "expired": {"claims": {"exp": 1_700_000_000, "iat": 1_699_999_000}},
    "wrong nonce": {"claims": {"nonce": "replayed-nonce"}},
    "no nonce": {"claims": {"nonce": None}},
    "no expiry": {"claims": {"exp": None}},
    "forged signature": {"signing": "forger"},
    "unsigned, though discovery offers none": {
        "signing": "none",
        "discovery": {"id_token_signing_alg_values_supported": ["RS256", "none"]},
    },
    "no ID token": {"token_answer": "no_id_token"},
}


@pytest.mark.parametrize("case", BAD_TOKENS)
def test_an_id_token_failing_a_check_logs_nobody_in(crafted_app, crafted_provider, case: str) -> None:
    for name, value in BAD_TOKENS[case].items():
        setattr(crafted_provider, name, value)
    app = crafted_app()
    client = app.test_client()
    response = round_trip(client, crafted_provider)
    assert response.status_code == 502, case
    assert "did not pass our security checks" in text(response)
    assert logged_in_as(client) is None
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []
    assert entries(app, "sso_login_refused")[0].detail["reason"] == "bad_token"


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ({"discovery": {"issuer": "http://127.0.0.1:1/another"}}, "provider_error"),
        ({"discovery": {"jwks_uri": None}}, "provider_error"),
        ({"discovery": {"id_token_signing_alg_values_supported": ["HS256", "none"]}}, "provider_error"),
        ({"discovery_body": "<html>maintenance</html>"}, "provider_error"),
        ({"token_answer": "garbage"}, "provider_error"),
        ({"token_answer": "error"}, "provider_error"),
    ],
)
def test_a_provider_answering_garbage_shows_a_clear_page(crafted_app, crafted_provider, case: dict, reason) -> None:
    for name, value in case.items():
        setattr(crafted_provider, name, value)
    app = crafted_app()
    client = app.test_client()
    response = round_trip(client, crafted_provider)
    assert response.status_code == 502
    assert "Crafted is not available" in text(response)
    assert logged_in_as(client) is None
    assert entries(app, "sso_login_refused")[0].detail["reason"] == reason


def test_a_slow_provider_times_out(crafted_app, crafted_provider) -> None:
    crafted_provider.delay = 1.0
    app = crafted_app(OIDC_TIMEOUT_SECONDS=0.3)
    response = round_trip(app.test_client(), crafted_provider)
    assert response.status_code == 504
    assert entries(app, "sso_login_refused")[0].detail["reason"] == "provider_timeout"


def test_a_corrected_discovery_document_is_picked_up(crafted_app, crafted_provider) -> None:
    crafted_provider.discovery_body = "not json"
    app = crafted_app()
    assert round_trip(app.test_client(), crafted_provider).status_code == 502
    crafted_provider.discovery_body = None
    assert round_trip(app.test_client(), crafted_provider).status_code == 302


# --- Logout ---------------------------------------------------------------------------------------------------


def test_logout_of_a_single_sign_on_session_ends_it_here_then_at_the_provider(sso_app, oidc_provider) -> None:
    app = sso_app()
    client = app.test_client()
    sso_login(client, oidc_provider, person(oidc_provider))
    response = client.post("/auth/logout")
    # A page, not a redirect: the CSP's form-action 'self' would stop a form's redirect to another site.
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    refresh = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', page)
    assert refresh, page
    target = html.unescape(refresh.group(1))
    assert f'href="{refresh.group(1)}"' in page  # the same address as a link, should the refresh not happen
    assert "Sign out at Firmenkonto" in page
    url = urlsplit(target)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{oidc_provider.issuer}/oauth2/end_session"
    assert parse_qs(url.query) == {"client_id": [CLIENT_ID], "post_logout_redirect_uri": ["http://127.0.0.1:5000/"]}
    assert logged_in_as(client) is None
    with app.app_context():
        assert db.session.scalars(select(UserSession)).all() == []


def test_logout_of_a_password_session_stays_here(sso_app, make_user) -> None:
    app = sso_app()
    client = sign_in(app.test_client(), make_user().id)
    response = client.post("/auth/logout")
    assert response.headers["Location"] == "/"


def test_logout_without_an_end_session_endpoint_stays_here(crafted_app, crafted_provider) -> None:
    app = crafted_app()
    client = app.test_client()
    round_trip(client, crafted_provider)
    assert client.post("/auth/logout").headers["Location"] == "/"
    assert logged_in_as(client) is None


# --- The buttons and the SSO-only mode ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "label"), [("en", "Sign in with Firmenkonto"), ("de", "Anmelden mit Firmenkonto")]
)
@pytest.mark.parametrize("page", ["/auth/login?next=/courses/kam-pay", "/auth/register"])
def test_login_and_register_pages_show_a_button_per_provider(sso_app, page: str, language: str, label: str) -> None:
    client = sso_app().test_client()
    html = text(client.get(page, headers={"Accept-Language": language}))
    assert label in html
    target = "/auth/sso/mock?next=/courses/kam-pay" if "next" in page else "/auth/sso/mock"
    assert f'<a class="button button--secondary" href="{target}">{label}</a>' in html


def test_no_buttons_without_providers(client) -> None:
    assert "/auth/sso/" not in client.get("/auth/login").get_data(as_text=True)


def test_sso_only_mode_offers_the_buttons_and_logs_in_through_them(sso_app, oidc_provider) -> None:
    app = sso_app(PASSWORD_LOGIN=False)
    client = app.test_client()
    page = text(client.get("/auth/login", headers={"Accept-Language": "en"}))
    assert "Sign in with Firmenkonto" in page
    assert 'type="password"' not in page
    assert client.post("/auth/login", data={"email": "a@example.org", "password": PASSWORD}).status_code != 302
    sub = person(oidc_provider)
    assert sso_login(client, oidc_provider, sub).status_code == 302
    assert logged_in_as(client) == sub


def test_sso_only_mode_never_accepts_a_password(sso_app, make_user) -> None:
    app = sso_app(PASSWORD_LOGIN=False)
    user = make_user()
    client = app.test_client()
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert logged_in_as(client) is None


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"roles": {"kam-boss": "superuser"}}, "roles must map claim values to learner, manager, trainer, admin"),
        ({"roles": ["trainer"]}, "roles must map claim values"),
        ({"default_role": "boss"}, "default_role must be one of learner, manager, trainer, admin"),
        ({"role_claim": ""}, "role_claim must be a claim name"),
        ({"scope": "email profile"}, "scope must include openid"),
        ({"issuer": "ftp://idp.example.org"}, "the issuer must be an https:// address"),
    ],
)
def test_a_provider_setting_that_could_only_fail_at_a_login_stops_the_start(make_app, setting, message) -> None:
    from course.config import InsecureConfigError

    provider = {"issuer": "https://idp.example.org", "client_id": "c", "client_secret": "s", "name": "IdP", **setting}
    with pytest.raises(InsecureConfigError, match=re.escape(message)):
        make_app(OIDC_PROVIDERS={"idp": provider})


def test_plain_http_providers_are_for_development_only() -> None:
    provider = {"issuer": "http://idp.example.org", "client_id": "c", "client_secret": "s", "name": "IdP"}
    assert sso_client.provider_problem(provider, plain_http_allowed=True) is None
    assert "https://" in sso_client.provider_problem(provider, plain_http_allowed=False)


def test_an_sso_only_app_needs_a_provider(make_app) -> None:
    from course.config import InsecureConfigError

    with pytest.raises(InsecureConfigError):
        make_app(PASSWORD_LOGIN=False)
