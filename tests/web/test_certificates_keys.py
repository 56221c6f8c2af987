"""Certificates hardening: the public address never comes from the Host header, the signing key is never
replaced silently and every key that signed stays published, revocations reach a verifier through the signed
status list, and the CLI verifier refuses absurd input with a message."""

from __future__ import annotations

import csv
import io
import json
import logging
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from course.certificates.keys import key_files, key_path, retired_dir
from course.core.certificates.credential import hash_data, verify_credential
from course.core.certificates.signing import (
    base58btc_decode,
    generate_private_key,
    private_key_to_pem,
    public_key_from_multibase,
)
from course.core.certificates.status_list import MIN_BITS, decode_list, is_set
from course.extensions import db
from course.models import Certificate, CertificateKey
from tests.quiz_helpers import client_for
from tests.web.test_certificates_routes import EN, PAGE, complete_course, make_app  # noqa: F401 - faster apps

PUBLIC = "https://kurs.example.org"


@pytest.fixture
def app(make_app) -> Flask:  # noqa: F811 - the faster apps of the route tests
    return make_app(PUBLIC_URL=PUBLIC, TRUSTED_HOSTS=["kurs.example.org", "localhost", "other.example"])


def certified(app: Flask, make_user, name: str = "Zoë Ångström"):
    """A learner's certificate, issued through the page on the test client's host (localhost: trusted, not public)."""
    learner = make_user(locale="en")
    client = client_for(app, learner)
    complete_course(app, learner)
    response = client.post(PAGE, data={"name": name}, headers=EN)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        public_id = db.session.scalar(select(Certificate.public_id).where(Certificate.user_id == learner.id))
    return client, public_id


def credential(client, public_id: str) -> dict:
    response = client.get(f"/certificates/{public_id}/credential.json")
    assert response.status_code == 200, response.status_code
    return response.get_json()


def published(client) -> dict:
    """The issuer profile's keys by verification method id, as a wallet would read them."""
    issuer = client.get("/certificates/issuer.json").get_json()
    methods = issuer["verificationMethod"]
    return {method["id"]: public_key_from_multibase(method["publicKeyMultibase"]) for method in methods}


def cli(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["certificates", *args])


# --- 3. the public address comes from configuration ---------------------------------------------------------


def test_an_untrusted_host_gets_a_clean_400_and_no_certificate(app, make_user) -> None:
    learner = make_user(locale="en")
    client = client_for(app, learner)
    complete_course(app, learner)
    response = client.post(PAGE, data={"name": "Eve"}, headers={**EN, "Host": "evil.example"})
    assert response.status_code == 400 and "Bad request" in response.get_data(as_text=True)
    for url in ("/certificates/issuer.json", "/certificates/status/revocation", "/verify", "/"):
        refused = client.get(url, headers={**EN, "Host": "evil.example"})
        assert refused.status_code == 400 and "evil.example" not in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Certificate)) is None


def test_every_absolute_url_is_on_the_public_url_whatever_the_host(app, make_user, tmp_path: Path) -> None:
    client, public_id = certified(app, make_user)
    document = credential(client, public_id)
    urls = [
        document["id"],
        document["issuer"]["id"],
        document["issuer"]["url"],
        document["credentialSubject"]["achievement"]["id"],
        document["credentialStatus"]["statusListCredential"],
        document["proof"]["verificationMethod"],
    ]
    assert all(url.startswith(PUBLIC) for url in urls), urls
    issuer = client.get("/certificates/issuer.json", headers={"Host": "other.example"}).get_json()
    assert issuer["id"] == f"{PUBLIC}/certificates/issuer.json" and issuer["url"] == PUBLIC
    page = client.get(PAGE, headers=EN).get_data(as_text=True)
    assert f"{PUBLIC}/verify/{public_id}" in page and "http://localhost" not in page
    out = tmp_path / "export.zip"
    assert cli(app, "export", "--course", "kam-pay", "--out", str(out)).exit_code == 0
    with zipfile.ZipFile(out) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("certificates.csv").decode())))
    assert rows[0]["verify_url"] == f"{PUBLIC}/verify/{public_id}"


# --- 8. the CLI verifier refuses absurdly nested JSON -------------------------------------------------------


def test_the_cli_refuses_json_nested_100000_levels_with_a_message(app, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    result = cli(app, "verify", str(deep))
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "nested more than 64 levels deep" in result.output and "Traceback" not in result.output
    good = tmp_path / "array.json"
    good.write_text("[" * 100_000 + "]" * 100_000)
    result = cli(app, "verify", str(tmp_path / "array.json"), "--issuer", str(deep))
    assert result.exit_code == 1 and "nested more than 64 levels deep" in result.output


# --- 9. the signing key -------------------------------------------------------------------------------------


def test_a_missing_key_is_never_replaced_while_certificates_exist(app, make_user, caplog) -> None:
    client, public_id = certified(app, make_user)
    path = key_path(app)
    path.unlink()
    learner = make_user(locale="en")
    other = client_for(app, learner)
    complete_course(app, learner)
    with caplog.at_level(logging.ERROR, logger="course.certificates.keys"):
        response = other.post(PAGE, data={"name": "Olga"}, headers=EN, follow_redirects=True)
    assert "Certificates cannot be issued or downloaded at the moment" in response.get_data(as_text=True)
    assert not path.exists()
    assert str(path) in caplog.text and "Restore that file from a backup" in caplog.text
    assert client.get(f"/certificates/{public_id}/credential.json").status_code == 503
    with app.app_context():
        assert db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id)) is None
    assert "Valid certificate" in client.get(f"/verify/{public_id}", headers=EN).get_data(as_text=True)


def test_a_key_file_that_is_not_the_sites_active_key_refuses_to_sign(app, make_user) -> None:
    client, public_id = certified(app, make_user)
    path = key_path(app)
    path.write_bytes(private_key_to_pem(generate_private_key()))  # say, another server's own key
    assert client.get(f"/certificates/{public_id}/credential.json").status_code == 503


def test_rotation_retires_the_key_without_invalidating_what_it_signed(app, make_user, tmp_path: Path) -> None:
    client, public_id = certified(app, make_user)
    before = credential(client, public_id)
    old_kid = before["proof"]["verificationMethod"].rpartition("#")[2]
    result = cli(app, "rotate-key", "--yes")
    assert result.exit_code == 0 and f"Retired key {old_kid}" in result.output
    assert key_files(app) == [key_path(app), retired_dir(app) / f"{old_kid}.pem"]
    after = credential(client, public_id)
    new_kid = after["proof"]["verificationMethod"].rpartition("#")[2]
    assert new_kid != old_kid
    issuer = client.get("/certificates/issuer.json").get_json()
    ids = [method["id"] for method in issuer["verificationMethod"]]
    assert ids == [f"{PUBLIC}/certificates/issuer.json#{kid}" for kid in (old_kid, new_kid)]
    assert issuer["assertionMethod"] == ids
    keys = published(client)
    assert verify_credential(before, keys).valid and verify_credential(after, keys).valid
    (tmp_path / "before.json").write_text(json.dumps(before))
    assert cli(app, "verify", str(tmp_path / "before.json")).exit_code == 0
    assert "Valid certificate" in client.get(f"/verify/{public_id}", headers=EN).get_data(as_text=True)
    _other, second = certified(app, make_user, name="Олег Петров")
    with app.app_context():
        assert db.session.scalar(select(Certificate.key_id).where(Certificate.public_id == second)) == new_kid
        retired = db.session.scalar(select(CertificateKey).where(CertificateKey.kid == old_kid))
        assert retired.retired_at is not None


def test_rotation_is_the_way_back_from_a_lost_key(app, make_user) -> None:
    client, public_id = certified(app, make_user)
    key_path(app).unlink()
    assert client.get(f"/certificates/{public_id}/credential.json").status_code == 503
    assert cli(app, "rotate-key", "--yes").exit_code == 0
    assert verify_credential(credential(client, public_id), published(client)).valid  # downloads work again
    assert "Valid certificate" in client.get(f"/verify/{public_id}", headers=EN).get_data(as_text=True)


# --- 9. revocation in the signed Bitstring Status List ------------------------------------------------------


def status_bits(client) -> tuple[dict, bytes]:
    response = client.get("/certificates/status/revocation")
    assert response.status_code == 200 and "no-cache" in response.headers["Cache-Control"]
    document = response.get_json()
    return document, decode_list(document["credentialSubject"]["encodedList"])


def test_the_status_list_is_signed_and_shows_a_revocation_at_once(app, make_user) -> None:
    client, public_id = certified(app, make_user)
    entry = credential(client, public_id)["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    index = int(entry["statusListIndex"])
    document, bits = status_bits(client)
    assert len(bits) * 8 >= MIN_BITS and not is_set(bits, index)
    proof = document["proof"]
    signature = base58btc_decode(proof["proofValue"][1:])
    published(client)[proof["verificationMethod"]].verify(signature, hash_data(document, proof))  # raises if not
    trainer = client_for(app, make_user(role="trainer", locale="en"))
    trainer.post(f"/certificates/{public_id}/revoke", data={"reason": "Exam fraud"})
    _document, bits = status_bits(client)
    assert is_set(bits, index)
    assert sum(bin(byte).count("1") for byte in bits) == 1


def test_a_tampered_status_entry_breaks_the_signature(app, make_user) -> None:
    client, public_id = certified(app, make_user)
    document = credential(client, public_id)
    keys = published(client)
    assert verify_credential(document, keys).valid
    status = document["credentialStatus"]
    index = int(status["statusListIndex"]) + 1
    document["credentialStatus"] = {**status, "statusListIndex": str(index), "id": f"{status['id'][:-1]}{index}"}
    assert not verify_credential(document, keys).valid
