"""Lesson images in the core: type by content, raster checks, decompression bombs, SVG allow-list."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from defusedxml.ElementTree import fromstring
from PIL import Image

from course.core.media import (
    MediaRefused,
    check_image,
    is_stored_name,
    jpeg_size,
    png_size,
    sanitize_svg,
    sniff,
    stored_name,
)

LIMIT = 1024 * 1024


def png_bytes(size: tuple[int, int] = (3, 2)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(size: tuple[int, int] = (8, 5)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge image (a decompression bomb's header) with a valid IHDR checksum."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk + b"\x00" * 64


def svg(body: str, attributes: str = "") -> bytes:
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"{attributes}>{body}</svg>'.encode()


def test_png_and_jpeg_are_accepted_with_their_size() -> None:
    png = check_image(png_bytes((3, 2)), LIMIT)
    assert (png.extension, png.media_type, png.width, png.height) == ("png", "image/png", 3, 2)
    jpeg = check_image(jpeg_bytes((8, 5)), LIMIT)
    assert (jpeg.extension, jpeg.media_type, jpeg.width, jpeg.height) == ("jpg", "image/jpeg", 8, 5)


def test_the_stored_name_is_the_sha256_of_the_bytes() -> None:
    data = png_bytes()
    image = check_image(data, LIMIT)
    assert image.name == stored_name(data, "png")
    assert is_stored_name(image.name) and image.data == data


def test_headers_give_the_same_size_as_pillow() -> None:
    assert png_size(png_bytes((31, 7))) == (31, 7)
    assert jpeg_size(jpeg_bytes((33, 9))) == (33, 9)
    assert jpeg_size(b"\xff\xd8\xff\xda\x00\x02") is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"GIF89a" + b"\x00" * 20, "This is not a PNG, JPEG or SVG image. Other file types are not accepted."),
        (b"%PDF-1.7\n", "This is not a PNG, JPEG or SVG image. Other file types are not accepted."),
        (b"<html><script>alert(1)</script></html>", "This is not a PNG, JPEG or SVG image."),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "The image is damaged: its size cannot be read."),
        (png_bytes()[:-20], "The image is damaged and cannot be read."),
        (jpeg_bytes((64, 64))[:-40], "The image is damaged and cannot be read."),
        (png_header_only(0, 5), "The image is damaged: it has no pixels."),
        (png_header_only(50_000, 50_000), "The image is 50000 × 50000 pixels; at most 16 million pixels"),
    ],
)
def test_bad_files_are_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(MediaRefused) as refused:
        check_image(data, LIMIT)
    assert str(refused.value).startswith(message)


def test_a_bomb_beyond_pillows_own_limit_is_refused_not_warned() -> None:
    """Pillow would only warn below twice its limit; the header check refuses before Pillow opens it."""
    with pytest.raises(MediaRefused, match="pixels"):
        check_image(png_header_only(10_000, 10_000), LIMIT, max_pixels=200_000_000)


def test_the_pixel_limit_is_a_setting() -> None:
    with pytest.raises(MediaRefused, match="at most 0.001 million pixels"):
        check_image(png_bytes((40, 40)), LIMIT, max_pixels=1000)


def test_the_byte_limit_is_checked_before_anything_else() -> None:
    with pytest.raises(MediaRefused, match="at most 1 KB"):
        check_image(png_bytes() + b"\x00" * 2048, 1024)


def test_the_type_comes_from_the_content_not_the_name() -> None:
    assert sniff(png_bytes()) == "png"
    assert sniff(jpeg_bytes()) == "jpeg"
    assert sniff(b'\xef\xbb\xbf<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>') == "svg"
    assert sniff(b"<!-- drawn by hand -->\n<svg></svg>") == "svg"
    assert sniff(b"<?xml version='1.0'?><html/>") is None


def clean(data: bytes) -> tuple[str, tuple[str, ...]]:
    out, removed = sanitize_svg(data)
    return out.decode("utf-8"), removed


def test_a_plain_svg_keeps_its_drawing() -> None:
    text, removed = clean(
        svg(
            '<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient></defs>'
            '<title>Bonus</title><rect width="5" height="5" fill="url(#g)" style="stroke: #000"/>'
            '<text x="1" y="9">Kunde &amp; KAM</text>'
        )
    )
    assert removed == ()
    root = fromstring(text)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert 'fill="url(#g)"' in text and "Kunde &amp; KAM" in text and "<title>Bonus</title>" in text


@pytest.mark.parametrize(
    ("body", "attributes", "gone", "removed"),
    [
        ('<script>alert("x")</script><rect width="1" height="1"/>', "", "alert", "<script>"),
        ('<rect width="1" height="1" onclick="alert(1)"/>', ' onload="alert(1)"', "alert", "onload"),
        ('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject><g/>', "", "div", None),
        ('<a href="javascript:alert(1)"><rect width="1" height="1"/></a><g/>', "", "javascript", "<a>"),
        ('<use href="https://evil.example/x.svg#a"/><g/>', "", "evil", "href"),
        ('<image href="data:image/png;base64,AAAA"/><g/>', "", "data:", "<image>"),
        ('<rect width="1" height="1" style="fill: url(https://evil.example/t)"/>', "", "evil", "style"),
        ('<rect width="1" height="1" fill="url(//evil.example/t)"/>', "", "evil", "fill"),
        ("<style>@import url(https://evil.example/a.css);</style><g/>", "", "evil", "<style>"),
        ('<set attributeName="href" to="javascript:alert(1)"/><g/>', "", "javascript", "<set>"),
        ('<animate attributeName="href" values="javascript:alert(1)"/><g/>', "", "javascript", "<animate>"),
        ('<g xmlns:x="urn:x" x:evil="1"/>', "", "evil", "evil"),
    ],
)
def test_unsafe_svg_parts_are_removed_and_reported(body: str, attributes: str, gone: str, removed: str | None) -> None:
    text, dropped = clean(svg(body, attributes))
    assert gone not in text
    assert "<script" not in text and " on" not in text
    if removed:
        assert removed in dropped
    assert fromstring(text).tag == "{http://www.w3.org/2000/svg}svg"


def test_internal_links_are_kept_in_one_spelling() -> None:
    text, removed = clean(
        svg(
            '<defs><circle id="dot" r="1"/></defs><use xlink:href="#dot"/>',
            ' xmlns:xlink="http://www.w3.org/1999/xlink"',
        )
    )
    assert removed == ()
    assert '<use href="#dot"' in text and "xlink" not in text


def test_editor_metadata_is_dropped_not_refused() -> None:
    text, removed = clean(
        svg(
            '<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>'
            '<sodipodi:namedview xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"/>'
            '<path d="M0 0L5 5"/>'
        )
    )
    assert "<metadata>" in removed and "<namedview>" in removed
    assert '<path d="M0 0L5 5" />' in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "boom">]><svg>&x;</svg>', "The SVG declares entities"),
        (b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>', "The SVG declares entities"),
        (b"<svg><rect></svg>", "The SVG is not well-formed XML (line 1)."),
        (b'<?xml version="1.0"?>\n<html><svg/></html>', "This is not an SVG image"),
        (svg("<script>1</script>"), "Nothing drawable is left"),
        (svg("<g>" * 150 + "</g>" * 150), "The SVG nests its elements more than 100 levels deep."),
    ],
)
def test_unusable_svgs_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(MediaRefused) as refused:
        check_image(data, LIMIT)
    assert str(refused.value).startswith(message)


def test_a_sanitised_svg_is_named_after_its_sanitised_bytes() -> None:
    image = check_image(svg('<rect width="1" height="1"/>', ' onload="x()"'), LIMIT)
    assert image.extension == "svg" and image.removed == ("onload",)
    assert image.name == stored_name(image.data, "svg")


def test_a_drawing_programs_svg_with_doctype_and_style_is_kept_whole() -> None:
    drawing = (
        '<?xml version="1.0" encoding="utf-8"?>\n<!-- Generator: Adobe Illustrator 24.0.0 -->\n'
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        '<svg version="1.1" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'viewBox="0 0 100 100" xml:space="preserve"><style type="text/css">.st0{fill:#0B5CAD;}</style>'
        '<rect class="st0" width="50" height="50"/><text x="1" y="60">Kündigung &amp; Bonus</text></svg>'
    )
    image = check_image(drawing.encode("utf-8"), LIMIT)
    text = image.data.decode("utf-8")
    assert image.removed == ()
    assert ".st0{fill:#0B5CAD;}" in text and "Kündigung &amp; Bonus" in text and 'xml:space="preserve"' in text
