"""Static files under names that carry a hash of their content, so a browser keeps them for a year and asks again
only when they change.

At start the files in course/static are read once: each gets a hash of its bytes, and `url_for('static',
filename='css/app.css')` yields `/static/css/app.<hash>.css`. That name is served with `immutable` and a year's
max-age; a hashed name whose hash is not the current content's is a 404, never old bytes under a name the browser
will keep. The plain name still works for anyone holding it (a bookmarked stylesheet, an old page in a cache), with
`no-cache` and an ETag as Flask serves it. Both serve the bytes read at start, so a page and the files it names
always belong together; the ETag is the content's hash, the same on every server of a site (Flask's own is built
from the file's modification time, which differs per host). Text files of 1 KB or more are also kept compressed
(brotli and gzip at their highest levels, once per process and content) and sent so when the client accepts it.

Files added or changed while the process runs are seen after a restart. In debug mode (`flask run --debug`) none of
this happens: Flask serves course/static from disk under the plain names, so edits show at once.

The brand's logo and accent stylesheet (course/branding.py) share the hash and the year-long cache headers.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from flask import Flask, Response, abort, current_app, request

from course.compression import MIN_BYTES, STATIC_ENCODERS, compressible, negotiated
from course.core.caching import cache

HASH_LENGTH = 16
CACHE_SECONDS = 365 * 24 * 3600  # the name changes with the bytes
# Keyed on the content's full SHA-256 and the encoding, so it depends on its key alone: apps built in one process
# (the tests build one per test) compress each file once, and clearing the caches between tests loses nothing.
_ENCODED = cache("static.encoded", 256, survives_clear_all=True)


def content_hash(data: bytes) -> str:
    """A short hash of the bytes for a file name that changes whenever they do."""
    return hashlib.sha256(data).hexdigest()[:HASH_LENGTH]


def cache_for_a_year(response: Response) -> Response:
    """Headers for bytes served under a name that carries their hash: nothing there ever changes."""
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    response.cache_control.immutable = True
    return response


@dataclass(frozen=True)
class StaticFile:
    """One file of course/static as read at start, with its hashed name and its compressed forms."""

    name: str  # as url_for takes it: "css/app.css"
    hashed_name: str  # "css/app.3f2a91c04b7d1e22.css"
    data: bytes
    digest: str
    media_type: str
    encoded: Mapping[str, bytes] = field(default_factory=dict)  # encoding → bytes, in STATIC_ENCODERS' order


@dataclass(frozen=True)
class StaticFiles:
    """Every static file by its plain and by its hashed name."""

    plain: Mapping[str, StaticFile]
    hashed: Mapping[str, StaticFile]

    def url_name(self, name: str) -> str:
        """The name url_for writes: the hashed one for a file read at start, else the name as given."""
        file = self.plain.get(name)
        return file.hashed_name if file else name


def hashed_name(name: str, digest: str) -> str:
    """`css/app.css` → `css/app.<digest>.css` (the hash goes before the last suffix, so the type stays visible)."""
    path = PurePosixPath(name)
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


def _encodings(data: bytes, media_type: str) -> dict[str, bytes]:
    """The file's compressed forms that are smaller than it (none for a small file or an image)."""
    if len(data) < MIN_BYTES or not compressible(media_type):
        return {}
    full_digest = hashlib.sha256(data).hexdigest()
    encoded = {}
    for encoding, encode in STATIC_ENCODERS.items():
        packed = _ENCODED.get_or_compute((full_digest, encoding), lambda encode=encode: encode(data))
        if len(packed) < len(data):
            encoded[encoding] = packed
    return encoded


def read_static_files(folder: Path, *, compress: bool) -> StaticFiles:
    """Read every file under `folder` (hidden ones left out) once; `compress` also keeps their compressed forms."""
    plain: dict[str, StaticFile] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        name = relative.as_posix()
        data = path.read_bytes()
        digest = content_hash(data)
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        encoded = _encodings(data, media_type) if compress else {}
        plain[name] = StaticFile(name, hashed_name(name, digest), data, digest, media_type, encoded)
    return StaticFiles(plain, {file.hashed_name: file for file in plain.values()})


def _static_files() -> StaticFiles:
    return current_app.extensions["static_files"]


def serve_static(filename: str) -> Response:
    """A static file from memory: under its hashed name for a year, under its plain name revalidated each time."""
    files = _static_files()
    file = files.hashed.get(filename)
    lasting = file is not None
    if file is None:
        file = files.plain.get(filename)
        if file is None:
            abort(404)  # an unknown file, or a hash that is not the current content's
    encoding = negotiated(file.encoded) if file.encoded else None
    response = Response(file.encoded[encoding] if encoding else file.data, mimetype=file.media_type)
    if file.encoded:
        response.vary.add("Accept-Encoding")
    if encoding:
        response.headers["Content-Encoding"] = encoding
    # Each representation needs its own validator, as for pages (course/compression.py).
    response.set_etag(f"{file.digest}:{encoding}" if encoding else file.digest)
    if lasting:
        cache_for_a_year(response)
    else:
        response.cache_control.no_cache = True
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    """Serve course/static by hashed names (not in debug mode); call after COMPRESS_RESPONSES is settled."""
    if app.debug or not app.static_folder:
        return
    files = read_static_files(Path(app.static_folder), compress=bool(app.config["COMPRESS_RESPONSES"]))
    app.extensions["static_files"] = files
    app.view_functions["static"] = serve_static

    def hashed_static_url(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and isinstance(values.get("filename"), str):
            values["filename"] = files.url_name(values["filename"])

    app.url_defaults(hashed_static_url)
