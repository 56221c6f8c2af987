"""OpenID providers for the single sign-on tests.

`MockProvider`: the real `oidc-provider-mock` (Authlib's authorization server) as a separate process on a free
loopback port. Its login form takes a subject (or a click on "Deny"); `set_user` gives a subject its claims.
The happy path and the common refusals run against it, in the web tests and in the e2e live server.

`CraftedProvider`: a small provider in a thread that answers what a test asks for, for what the mock never
does: an ID token with a foreign issuer or audience, a stale expiry, a wrong nonce, a foreign signature or none,
a token answer without ID token or in garbage, a slow answer, a discovery document naming another issuer. Its
token endpoint also checks the PKCE verifier against the challenge (the mock ignores PKCE), so a client that
stopped sending the verifier fails its tests.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests
from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

START_TIMEOUT_SECONDS = 20
CLIENT_ID = "kam-course"
CLIENT_SECRET = "test-client-secret"  # noqa: S105 - the mocks accept any secret


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MockProvider:
    """The oidc-provider-mock process; `issuer` is its base URL."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self._log = log_path.open("wb")
        command = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and a fixed module
            [*command, "--require-nonce", "true"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1"},
        )
        self._wait_until_ready(log_path)

    def _wait_until_ready(self, log_path: Path) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"oidc-provider-mock exited: {log_path.read_text(errors='replace')}")
            try:
                if requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"oidc-provider-mock did not answer within {START_TIMEOUT_SECONDS} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def set_user(self, sub: str, **claims: object) -> None:
        """Give the subject these claims (replacing earlier ones); they go into its next ID token."""
        requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5).raise_for_status()

    def settings(self, **extra: object) -> dict[str, object]:
        """An OIDC_PROVIDERS entry for this provider."""
        return {
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "name": "Firmenkonto",
            **extra,
        }

    def answer(self, authorize_url: str, sub: str | None = None, deny: bool = False) -> str:
        """What a person does on the provider's login form (type `sub` and authorize, or deny): the address the
        provider sends the browser back to."""
        assert authorize_url.startswith(self.issuer), authorize_url
        form = {"action": "deny"} if deny else {"sub": sub}
        response = requests.post(authorize_url, data=form, allow_redirects=False, timeout=5)
        assert response.status_code == 302, response.text
        return response.headers["Location"]


@dataclass
class CraftedProvider:
    """A provider in this process whose answers the test sets; `reset()` before each test."""

    port: int = 0
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "signing-key"}))
    # Same key id, another key: a signature only this one made fails against the published set.
    forger: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "signing-key"}))

    def reset(self) -> None:
        self.discovery: dict[str, object] = {}  # overrides of the discovery document
        self.discovery_body: str | None = None  # served instead of the document
        self.claims: dict[str, object] = {}  # overrides of the ID token's claims (None removes one)
        self.signing = "key"  # key | forger | none
        self.token_answer = "token"  # token | no_id_token | garbage | error
        self.delay = 0.0  # seconds before the token endpoint answers
        self.requests: list[tuple[str, dict[str, str]]] = []  # (path, parameters) of every request
        self._codes: dict[str, dict[str, str]] = {}

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self, **extra: object) -> dict[str, object]:
        return {
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "name": "Crafted",
            **extra,
        }

    def hits(self, path: str) -> int:
        return sum(1 for seen, _ in self.requests if seen == path)

    def app(self) -> Flask:
        app = Flask("crafted_provider")

        @app.before_request
        def remember() -> None:
            self.requests.append((request.path, {**request.args.to_dict(), **request.form.to_dict()}))

        @app.get("/.well-known/openid-configuration")
        def discovery():
            if self.discovery_body is not None:
                return self.discovery_body, 200, {"Content-Type": "text/html"}
            document = {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
            document.update(self.discovery)
            return jsonify({name: value for name, value in document.items() if value is not None})

        @app.get("/jwks")
        def jwks():
            return jsonify(KeySet([self.key]).as_dict(private=False))

        @app.get("/authorize")
        def authorize():
            # Unique for the server's life: a token request of an earlier test that is still waiting out `delay`
            # must not take this test's code when it wakes up.
            code = f"code-{secrets.token_hex(8)}"
            self._codes[code] = request.args.to_dict()
            query = urlencode({"code": code, "state": request.args["state"]})
            return redirect(f"{request.args['redirect_uri']}?{query}")

        @app.post("/token")
        def token():
            time.sleep(self.delay)
            asked = self._codes.pop(request.form.get("code", ""), None)
            if asked is None or not _pkce_matches(asked, request.form.get("code_verifier")):
                return jsonify({"error": "invalid_grant"}), 400
            if self.token_answer == "garbage":
                return "<html>Service Unavailable</html>", 200, {"Content-Type": "text/html"}
            if self.token_answer == "error":
                return jsonify({"error": "server_error"}), 400
            answer = {"access_token": "access", "token_type": "Bearer", "expires_in": 300}
            if self.token_answer != "no_id_token":
                answer["id_token"] = self.id_token(asked)
            return jsonify(answer)

        return app

    def id_token(self, asked: dict[str, str]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": "crafted-subject",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": asked.get("nonce"),
            "email": "crafted@example.org",
            "email_verified": True,
            "name": "Crafted Person",
        }
        claims.update(self.claims)
        claims = {name: value for name, value in claims.items() if value is not None}
        if self.signing == "none":
            return f"{_b64({'alg': 'none'})}.{_b64(claims)}."
        key = self.key if self.signing == "key" else self.forger
        return jwt.encode({"alg": "RS256", "kid": "signing-key"}, claims, key)

    def approve(self, authorize_url: str) -> str:
        """The crafted provider approves at once: the address it sends the browser back to."""
        assert authorize_url.startswith(f"{self.issuer}/authorize?"), authorize_url
        return requests.get(authorize_url, allow_redirects=False, timeout=5).headers["Location"]


def _pkce_matches(asked: dict[str, str], verifier: str | None) -> bool:
    if asked.get("code_challenge_method") != "S256" or not verifier:
        return False
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == asked.get("code_challenge")


def _b64(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def callback_path(location: str) -> str:
    """The app-relative part of the address a provider sends the browser back to."""
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


@contextmanager
def running_mock(directory: Path) -> Iterator[MockProvider]:
    """The oidc-provider-mock process (its log in `directory`), stopped on the way out."""
    provider = MockProvider(directory / "oidc-provider.log")
    try:
        yield provider
    finally:
        provider.stop()


@contextmanager
def running_crafted() -> Iterator[CraftedProvider]:
    """The crafted provider on a loopback port in a thread, shut down on the way out."""
    provider = CraftedProvider()
    provider.reset()
    server = make_server("127.0.0.1", 0, provider.app(), threaded=True)
    provider.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, name="crafted-oidc-provider", daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
