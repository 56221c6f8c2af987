"""Absolute URLs, always on the site's public address (PUBLIC_URL), never on the request's Host header.

A Host header is whatever the client sends; a URL built from it and then signed into a certificate, printed
as a QR code or published in the issuer profile would point wherever the sender liked. Relative links
(`url_for` without `_external`) stay as they are: they follow the page they are on.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app


def public_url(app: Flask | None = None) -> str:
    """The site's public base URL from configuration, without a trailing slash (e.g. https://kurs.example.org)."""
    return str((app or current_app).config["PUBLIC_URL"]).rstrip("/")


def external_url(endpoint: str, **values: object) -> str:
    """`url_for(endpoint, **values)` as an absolute URL under PUBLIC_URL; works in and outside a request."""
    app = current_app
    base = urlsplit(public_url(app))
    app.inject_url_defaults(endpoint, values)
    adapter = app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
