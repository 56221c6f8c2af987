"""Text responses compressed by the app (COMPRESS_RESPONSES, on by default; the reference nginx in front of several
servers, deploy/nginx.conf, leaves compression to the app, which knows which pages must stay uncompressed).

A page, JSON, CSV or SVG of 1 KB or more, complete in memory, goes out with zstd, brotli or gzip, whichever the
client's Accept-Encoding ranks highest (werkzeug parses it; an encoding given q=0 is never used), with
`Vary: Accept-Encoding`, and with its ETag, if it has one, suffixed by the encoding, so a cache never answers a
request for one encoding with a 304 for another. Left alone: requests without Accept-Encoding (one dictionary
lookup), streamed responses (sent as they are made), responses that have a Content-Encoding already, types that are
compressed already (PDF, PNG, ZIP), errors and redirects. Pages use cheap levels: a 23 KB lesson page costs about
90 µs with zstd (Chrome, Firefox), 250 µs with brotli (Safari) and 330 µs with gzip on a busy 2-core machine
(docs/architecture.md, "Static files and compression"). Static files are compressed once per process at the highest
levels and served from memory (course/assets.py).

Flask-Compress 1.25 does much the same, but it picks an encoding the client refused with q=0 (`gzip;q=0` gets gzip)
and cannot serve files compressed in advance; with the choice, the rest is the few lines below.

A page compressed together with a secret (the CSRF token) and text an attacker chose (the query string, reflected in
the language switch's link) gives the secret away through its length when the attacker can make the browser load it
many times from another site and watch the encrypted sizes (BREACH). So a request the browser marks as started by
another site (`Sec-Fetch-Site: cross-site` or `same-site`) gets its page uncompressed. Links followed and forms sent
within the site, addresses typed or bookmarked, and clients that send no such header (API scripts) get compression.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable

import brotli
from flask import Flask, Response, request
from werkzeug.datastructures import Accept
from werkzeug.http import parse_accept_header

try:
    from compression import zstd  # Python 3.14
except ImportError:
    from backports import zstd

Encoders = dict[str, Callable[[bytes], bytes]]

MIN_BYTES = 1024  # below this, compressing saves less than a network packet
MIMETYPES = frozenset(
    {
        "text/html",
        "text/css",
        "text/plain",
        "text/csv",
        "text/xml",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/ld+json",
        "application/xml",
        "application/xhtml+xml",
        "image/svg+xml",
    }
)
# In the order the server prefers them when the client ranks several alike.
PAGE_ENCODERS: Encoders = {
    "zstd": lambda data: zstd.compress(data, 3),  # a quarter of gzip's time, nearly its size
    "br": lambda data: brotli.compress(data, quality=4),
    "gzip": lambda data: gzip.compress(data, compresslevel=6, mtime=0),
}
# Static files are compressed once per process: the highest levels, and brotli first (smallest); zstd is left out,
# since every browser that takes zstd takes brotli.
STATIC_ENCODERS: Encoders = {
    "br": lambda data: brotli.compress(data, quality=11),
    "gzip": lambda data: gzip.compress(data, compresslevel=9, mtime=0),
}
# Sec-Fetch-Site values of requests the site itself started, or the user did (typed, bookmarked).
OWN_REQUESTS = frozenset({"same-origin", "none"})


def compressible(media_type: str) -> bool:
    """Whether bytes of this type shrink when compressed (images other than SVG, PDFs, archives do not)."""
    return media_type in MIMETYPES or media_type.startswith("text/") or media_type.endswith(("+json", "+xml"))


def negotiated(offered: Iterable[str]) -> str | None:
    """The offered encoding the request's Accept-Encoding ranks highest, or None for the bytes as they are."""
    return request.accept_encodings.best_match(list(offered))


def encoded_etag(response: Response, encoding: str) -> None:
    """Give the response's ETag, if any, the encoding's suffix: each representation needs its own validator."""
    etag, weak = response.get_etag()
    if etag:
        response.set_etag(f"{etag}:{encoding}", weak)


def page_encoding(environ: dict) -> tuple[bool, str | None]:
    """For a complete text response of MIN_BYTES or more to this request: whether it varies on Accept-Encoding, and
    the encoding to send it in (None: the bytes as they are). The page lane (course/fast/lane.py) asks it too."""
    accepted = environ.get("HTTP_ACCEPT_ENCODING")
    # No Accept-Encoding (a benchmark, a health check): nothing to choose, and nothing to pay per request. Such a
    # response goes without `Vary`; a cache that keeps it serves the plain bytes, which every client takes.
    if not accepted:
        return False, None
    if environ.get("HTTP_SEC_FETCH_SITE", "same-origin") not in OWN_REQUESTS:
        return True, None
    return True, parse_accept_header(accepted, Accept).best_match(list(PAGE_ENCODERS))


def compress_response(response: Response) -> Response:
    """after_request: compress a complete text response for a client that accepts it (see the module docstring)."""
    if (
        request.endpoint == "static"  # course/assets.py sends them compressed already (in debug mode, from disk)
        or not 200 <= response.status_code < 300
        or response.is_streamed
        or "Content-Encoding" in response.headers
        or (response.content_length or 0) < MIN_BYTES
        or not compressible(response.mimetype or "")
    ):
        return response
    varies, encoding = page_encoding(request.environ)
    if varies:
        response.vary.add("Accept-Encoding")
    if encoding is None:
        return response
    response.set_data(PAGE_ENCODERS[encoding](response.get_data()))
    response.headers["Content-Encoding"] = encoding
    encoded_etag(response, encoding)
    return response.make_conditional(request) if response.get_etag()[0] else response


def init_app(app: Flask) -> None:
    """Compress responses unless COMPRESS_RESPONSES is off. Call it before other after_request hooks are registered:
    Flask runs them in reverse, so this one sees the finished response."""
    if app.config["COMPRESS_RESPONSES"]:
        app.after_request(compress_response)
