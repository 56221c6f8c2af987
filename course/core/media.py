"""Lesson images as plain bytes: what type a file really is, whether it is safe to serve, and its stored name.

Trainers upload PNG, JPEG and SVG. Raster images are recognised by their magic bytes and checked with
Pillow; their pixel count is read from the header first, so a decompression bomb is refused before
Pillow decodes anything. SVG is XML that a browser may execute, so it is rebuilt from an allow-list:
unknown elements and attributes are dropped (and reported) rather than refused, because drawing tools
write editor metadata into almost every file and refusing those would refuse nearly every real SVG.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import xml.etree.ElementTree as ET  # noqa: S405 - only to build and serialise; parsing goes through defusedxml
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml

from course.core.errors import N_, CourseError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
EXTENSIONS = {"png": "png", "jpeg": "jpg", "svg": "svg"}
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "svg": "image/svg+xml"}
STORED_NAME = re.compile(r"^[0-9a-f]{64}\.(?:png|jpg|svg)$")
DEFAULT_MAX_PIXELS = 16_000_000  # 4000 × 4000: far more than a lesson column shows, about 64 MB decoded
MAX_SVG_DEPTH = 100

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

_SVG_ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "symbol", "use", "title", "desc", "style",
        "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
        "text", "tspan", "textPath",
        "linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker",
        "filter", "feBlend", "feColorMatrix", "feComposite", "feDropShadow", "feFlood", "feGaussianBlur",
        "feMerge", "feMergeNode", "feOffset",
    }
)  # fmt: skip
_SVG_ATTRIBUTES = frozenset(
    {
        "id", "class", "style", "lang", "transform", "viewBox", "preserveAspectRatio", "version",
        "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "width", "height",
        "d", "points", "pathLength", "dx", "dy", "rotate", "textLength", "lengthAdjust", "startOffset",
        "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap",
        "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "opacity",
        "color", "display", "visibility", "overflow", "clip-path", "clip-rule", "mask", "filter",
        "marker-start", "marker-mid", "marker-end", "markerWidth", "markerHeight", "markerUnits",
        "refX", "refY", "orient", "vector-effect", "paint-order", "shape-rendering", "text-rendering",
        "font-family", "font-size", "font-style", "font-weight", "font-variant", "letter-spacing",
        "word-spacing", "text-anchor", "text-decoration", "dominant-baseline", "alignment-baseline",
        "baseline-shift", "writing-mode", "direction", "white-space",
        "offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod",
        "patternUnits", "patternContentUnits", "patternTransform", "clipPathUnits", "maskUnits",
        "maskContentUnits", "filterUnits", "primitiveUnits", "in", "in2", "result", "mode", "type",
        "values", "operator", "k1", "k2", "k3", "k4", "stdDeviation", "flood-color", "flood-opacity",
        "color-interpolation-filters", "href", "role", "aria-label", "aria-hidden", "focusable",
    }
)  # fmt: skip
_CSS_URL = re.compile(r"url\s*\(\s*['\"]?\s*([^'\")\s]*)", re.I)
_CSS_FORBIDDEN = re.compile(r"@import|expression\s*\(|javascript:|behavior\s*:|-moz-binding|\\", re.I)


class MediaRefused(CourseError):
    """An upload that is not a PNG, JPEG or SVG we can serve safely; the message says why."""


@dataclass(frozen=True)
class CheckedImage:
    """An image ready to store: its bytes (an SVG's sanitised ones), type, size and what sanitising removed."""

    data: bytes
    extension: str
    width: int | None = None
    height: int | None = None
    removed: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return stored_name(self.data, self.extension)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.extension]


def stored_name(data: bytes, extension: str) -> str:
    """Content-addressed: the same bytes always get the same name, so a second upload stores nothing new."""
    return f"{hashlib.sha256(data).hexdigest()}.{extension}"


def is_stored_name(name: str) -> bool:
    return bool(STORED_NAME.fullmatch(name))


def media_type(name: str) -> str:
    return MEDIA_TYPES[name.rsplit(".", 1)[1]]


def sniff(data: bytes) -> str | None:
    """The image type by content (never by the file name): 'png', 'jpeg', 'svg' or None."""
    if data.startswith(PNG_MAGIC):
        return "png"
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in data[:65536].lower():
        return "svg"
    return None


def check_image(data: bytes, max_bytes: int, max_pixels: int = DEFAULT_MAX_PIXELS) -> CheckedImage:
    """Accept a PNG, JPEG or SVG upload or raise MediaRefused with the reason a trainer can act on."""
    if not data:
        raise MediaRefused(N_("The file is empty."))
    if len(data) > max_bytes:
        raise MediaRefused(N_("The file is too large: at most %(limit)s KB."), limit=max_bytes // 1024)
    kind = sniff(data)
    if kind is None:
        raise MediaRefused(N_("This is not a PNG, JPEG or SVG image. Other file types are not accepted."))
    if kind == "svg":
        svg, removed = sanitize_svg(data)
        return CheckedImage(svg, "svg", removed=removed)
    return _check_raster(data, kind, max_pixels)


def _check_raster(data: bytes, kind: str, max_pixels: int) -> CheckedImage:
    from PIL import Image, UnidentifiedImageError  # only uploads need Pillow: not loaded by every server process

    size = png_size(data) if kind == "png" else jpeg_size(data)
    if size is None:
        raise MediaRefused(N_("The image is damaged: its size cannot be read."))
    _check_pixels(size, max_pixels)
    try:
        with Image.open(io.BytesIO(data), formats=["PNG" if kind == "png" else "JPEG"]) as image:
            # The header we read and the one Pillow reads may differ in a crafted file: check Pillow's too.
            _check_pixels(image.size, max_pixels)
            opened = image.size
            image.verify()
        with Image.open(io.BytesIO(data), formats=["PNG" if kind == "png" else "JPEG"]) as image:
            image.load()  # verify() reads a JPEG's headers only: decode it once to find a damaged or cut-off file
    except MediaRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaRefused(N_("The image has too many pixels (a possible decompression bomb).")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error, EOFError):
        raise MediaRefused(N_("The image is damaged and cannot be read.")) from None
    return CheckedImage(data, EXTENSIONS[kind], width=opened[0], height=opened[1])


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    from PIL import Image

    width, height = size
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    if width < 1 or height < 1:
        raise MediaRefused(N_("The image is damaged: it has no pixels."))
    if width * height > limit:
        raise MediaRefused(
            N_("The image is %(width)d × %(height)d pixels; at most %(limit)s million pixels are accepted."),
            width=width,
            height=height,
            limit=f"{limit / 1_000_000:g}",
        )


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the IHDR chunk, which the PNG format requires to come first."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the first start-of-frame segment, walking the segments before the image data."""
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            position += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            return None
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if length < 2:
            return None
        if marker in _SOF_MARKERS:
            if position + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        position += 2 + length
    return None


# --- SVG ----------------------------------------------------------------------------------------------------------


@dataclass
class _Cleaning:
    removed: list[str] = field(default_factory=list)

    def drop(self, what: str) -> None:
        if what not in self.removed:
            self.removed.append(what)


def sanitize_svg(data: bytes) -> tuple[bytes, tuple[str, ...]]:
    """An SVG rebuilt from the allow-list, as UTF-8 bytes, and what was removed ('<script>', 'onload', 'href').

    Refused: anything that is not well-formed XML with an <svg> root, a DTD with entities or external
    references (defusedxml), and a file with nothing drawable left.
    """
    try:
        root = parse_xml(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise MediaRefused(
            N_("The SVG declares entities or loads external files; save it again as plain SVG.")
        ) from None
    except ET.ParseError as error:
        raise MediaRefused(N_("The SVG is not well-formed XML (line %(line)d)."), line=error.position[0]) from None
    if _local(root.tag) != "svg" or _namespace(root.tag) not in ("", SVG_NS):
        raise MediaRefused(N_("This is not an SVG image: its outermost element must be <svg>."))
    if _depth(root) > MAX_SVG_DEPTH:
        raise MediaRefused(N_("The SVG nests its elements more than %(limit)d levels deep."), limit=MAX_SVG_DEPTH)
    cleaning = _Cleaning()
    clean = _clean_element(root, cleaning)
    assert clean is not None  # noqa: S101 - narrows the type: the root was checked to be an allowed <svg>
    if not len(clean) and not (clean.text or "").strip():
        raise MediaRefused(N_("Nothing drawable is left in the SVG once unsafe parts are removed."))
    clean.set("xmlns", SVG_NS)  # elements are built without a namespace, so the serialiser adds no prefixes
    text = ET.tostring(clean, encoding="unicode")
    return text.encode("utf-8"), tuple(cleaning.removed)


def _depth(root: ET.Element) -> int:
    """Nesting depth, counted without recursion (cleaning and serialising recurse, so they need a bound)."""
    deepest, level = 0, [(root, 1)]
    while level:
        element, depth = level.pop()
        deepest = max(deepest, depth)
        level.extend((child, depth + 1) for child in element)
    return deepest


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _clean_element(element: ET.Element, cleaning: _Cleaning) -> ET.Element | None:
    if not isinstance(element.tag, str):  # comments and processing instructions
        return None
    name = _local(element.tag)
    if _namespace(element.tag) not in ("", SVG_NS) or name not in _SVG_ELEMENTS:
        cleaning.drop(f"<{name}>")
        return None
    if name == "style" and not _safe_css(element.text or ""):
        cleaning.drop("<style>")
        return None
    clean = ET.Element(name)
    clean.text = element.text
    for key, value in element.attrib.items():
        attribute = _clean_attribute(key, value, cleaning)
        if attribute is not None:
            clean.set(*attribute)
    for child in element:
        kept = _clean_element(child, cleaning)
        if kept is not None:
            clean.append(kept)
            kept.tail = child.tail
        elif child.tail:  # the text after a dropped element stays where it was
            if len(clean):
                clean[-1].tail = (clean[-1].tail or "") + child.tail
            else:
                clean.text = (clean.text or "") + child.tail
    return clean


def _clean_attribute(key: str, value: str, cleaning: _Cleaning) -> tuple[str, str] | None:
    namespace, name = _namespace(key), _local(key)
    if namespace == XML_NS and name in ("lang", "space"):
        return key, value
    if namespace == XLINK_NS and name == "href":
        namespace = ""  # SVG 2 reads plain href; one spelling is one rule to check
    if namespace or name not in _SVG_ATTRIBUTES:
        cleaning.drop(name)
        return None
    if name == "href":
        if not re.fullmatch(r"#[A-Za-z_][\w.:-]*", value.strip()):
            cleaning.drop("href")
            return None
        return "href", value.strip()
    if not _safe_css(value):
        cleaning.drop(name)
        return None
    return name, value


def _safe_css(text: str) -> bool:
    """CSS (a style attribute, a <style> element, a paint value) may only point inside the image: url(#id)."""
    if _CSS_FORBIDDEN.search(text):
        return False
    return all(target.startswith("#") for target in _CSS_URL.findall(text))
