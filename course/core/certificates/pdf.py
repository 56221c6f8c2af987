"""The certificate as a PDF: A4 landscape, drawn with fpdf2 and the bundled DejaVu fonts, QR code by segno.

Speed (issue #5: ≤ 50 ms p95): fpdf2 parses and subsets each TTF per document, which for the full
DejaVu files costs well over 100 ms. So once per process each bundled font is cut down in memory to the
scripts certificates promise (Latin, Greek, Cyrillic; plus a smaller cut for the common letters, which
most certificates need only) and parsed once; every document then gets a fresh copy of the smallest cut
covering its text, whose only per-document work is fpdf2's final subset of the glyphs it used.
Characters outside those scripts are drawn as U+FFFD; `glyphs.unsupported_characters` lets callers warn first.

This module is the heavy part (fpdf2 and fontTools' subsetter weigh tens of MB per process), so only the code
that draws a PDF imports it, when it draws: pages that show or warn use `glyphs` and `qr`.
"""

from __future__ import annotations

import copy
import io
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from fontTools import subset as ft_subset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

from course.core.certificates.glyphs import (
    COMMON_RANGES,
    FONT_DIR,
    FONTS,
    SUPPORTED_RANGES,
    covered_codepoints,
    normalise,
    printable,
)
from course.core.certificates.qr import qr_code, rectangles

PAGE_WIDTH, PAGE_HEIGHT = 297.0, 210.0  # mm, A4 landscape
MARGIN = 30.0  # text keeps this far from the page edge
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
PT = 25.4 / 72  # mm per point
DETAILS_RIGHT = 195.0  # the label/value block ends here; the QR code and URL sit to its right

INK = (33, 37, 41)
MUTED = (95, 99, 104)
NAVY = (28, 46, 84)
GOLD = (176, 141, 62)

# The fixed texts a certificate prints; `labels` maps them to their translations.
LABELS = (
    "Certificate of completion",
    "awarded to",
    "for completing",
    "Issued on",
    "Result",
    "Issuer",
    "Certificate ID",
    "Verify at",
)


@dataclass(frozen=True)
class _Font:
    data: bytes  # the font cut down to some Unicode ranges, as TTF bytes
    template: TTFFont  # parsed once; documents get copies
    glyph_order: tuple[str, ...]


def _cut_down(path: Path, ranges: tuple[tuple[int, int], ...]) -> bytes:
    font = ttLib.TTFont(path, recalcTimestamp=False)
    options = ft_subset.Options()
    options.notdef_outline = True
    options.recommended_glyphs = True
    options.glyph_names = False  # post format 3; documents take the glyph order from the parsed template
    options.name_IDs = ["*"]
    options.layout_features = []  # fpdf2 drops GSUB/GPOS without text shaping anyway
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM", "hdmx", "MATH"]
    options.hinting = False  # PDF viewers rasterise at high resolution; hints are dead weight
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes={cp for start, end in ranges for cp in range(start, end + 1)})
    subsetter.subset(font)
    cmap = font["cmap"]
    cmap.tables = [table for table in cmap.tables if (table.platformID, table.platEncID) == (3, 1)]
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


@cache
def _fonts(ranges: tuple[tuple[int, int], ...] = SUPPORTED_RANGES) -> tuple[_Font, ...]:
    """The bundled fonts cut down to `ranges`, parsed once per process (a few hundred ms, on first use)."""
    host = FPDF()
    loaded = []
    for family, style, filename in FONTS:
        data = _cut_down(FONT_DIR / filename, ranges)
        template = TTFFont(host, io.BytesIO(data), f"{family}{style}", style)
        host.fonts[template.fontkey] = template
        glyph_order = tuple(template.ttfont.getGlyphOrder())
        # Documents load their own copy; the parsed tables would only weigh on every garbage collection.
        template.ttfont.close()
        template.ttfont = None
        loaded.append(_Font(data, template, glyph_order))
    return tuple(loaded)


def _fresh_font(font: _Font) -> TTFFont:
    """A per-document copy: parsed metrics are shared, the state fpdf2 changes while writing is new."""
    template = font.template
    fresh = copy.copy(template)
    fresh.cw = defaultdict(template.cw.default_factory, template.cw)
    fresh.glyph_ids = dict(template.glyph_ids)
    fresh.missing_glyphs = []
    fresh.biggest_size_pt = 0
    # fpdf2 subsets `ttfont` in place when it writes the PDF, so each document loads its own (lazily).
    # Subsetting only drops glyphs, so the bounding boxes stay valid: not recomputing them saves
    # decompiling and recompiling every glyph.
    fresh.ttfont = ttLib.TTFont(io.BytesIO(font.data), recalcTimestamp=False, recalcBBoxes=False, lazy=True)
    fresh.ttfont.setGlyphOrder(list(font.glyph_order))  # the same names the template derived from the cmap
    fresh.subset = SubsetMap(fresh)
    return fresh


def render_certificate(
    *,
    name: str,
    course_title: str,
    issued_on: str,
    result: str,
    issuer: str,
    certificate_id: str,
    verify_url: str,
    labels: Mapping[str, str],
    language: str,
    created_at: datetime | None = None,
) -> bytes:
    """One certificate as PDF bytes; `labels` holds the translated fixed texts, keyed by their English text.

    `created_at` (timezone-aware) is the document's creation date; the certificate's issue time makes the bytes a
    function of the certificate alone, so the PDF made again later is the same file. Without it fpdf2 writes the
    current time."""
    label = {key: printable(labels.get(key, key)) for key in LABELS}
    text = {
        "name": printable(name),
        "course": printable(course_title),
        "issued_on": printable(issued_on),
        "result": printable(result),
        "issuer": printable(issuer),
        "id": printable(certificate_id),
        "url": printable(verify_url),
    }
    used = {ord(char) for value in (*label.values(), *text.values()) for char in value}
    ranges = COMMON_RANGES if used <= covered_codepoints(COMMON_RANGES) else SUPPORTED_RANGES

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    for font in _fonts(ranges):
        pdf.fonts[font.template.fontkey] = _fresh_font(font)
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    title = labels.get("Certificate of completion", "Certificate of completion")
    pdf.set_title(f"{normalise(title)}: {normalise(name)} – {normalise(course_title)}")
    pdf.set_author(normalise(issuer))
    pdf.set_subject(normalise(course_title))
    pdf.set_keywords(certificate_id)
    pdf.set_creator("course certificates")
    pdf.set_lang(language)
    if created_at is not None:
        pdf.set_creation_date(created_at)
    pdf.add_page()

    _frame(pdf)
    pdf.set_text_color(*NAVY)
    pdf.set_font("serif", "B", 30)
    pdf.set_xy(MARGIN, 30)
    pdf.cell(TEXT_WIDTH, 14, label["Certificate of completion"], align="C")

    pdf.set_text_color(*MUTED)
    pdf.set_font("sans", "", 14)
    pdf.set_xy(MARGIN, 52)
    pdf.cell(TEXT_WIDTH, 8, label["awarded to"], align="C")

    pdf.set_text_color(*INK)
    bottom = _fitted_text(pdf, text["name"], top=62, height=34, largest=40, wrap_below=26)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.4)
    pdf.line(PAGE_WIDTH / 2 - 50, bottom + 3, PAGE_WIDTH / 2 + 50, bottom + 3)

    pdf.set_text_color(*MUTED)
    pdf.set_font("sans", "", 14)
    pdf.set_xy(MARGIN, bottom + 7)
    pdf.cell(TEXT_WIDTH, 8, label["for completing"], align="C")
    pdf.set_text_color(*NAVY)
    _fitted_text(pdf, text["course"], top=bottom + 16, height=22, largest=22, wrap_below=16)

    _details(
        pdf,
        (label["Result"], text["result"]),
        [
            (label["Issued on"], text["issued_on"]),
            (label["Issuer"], text["issuer"]),
            (label["Certificate ID"], text["id"]),
        ],
    )
    _qr(pdf, verify_url, caption=label["Verify at"], printed_url=text["url"])
    return bytes(pdf.output())


def _frame(pdf: FPDF) -> None:
    pdf.set_draw_color(*NAVY)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, PAGE_WIDTH - 20, PAGE_HEIGHT - 20)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.35)
    pdf.rect(13.5, 13.5, PAGE_WIDTH - 27, PAGE_HEIGHT - 27)


def _fitted_text(
    pdf: FPDF, text: str, *, top: float, height: float, largest: float, wrap_below: float, smallest: float = 8
) -> float:
    """Draw `text` centred in serif bold and return its bottom: one line at the largest size that fits;
    below `wrap_below` points, wrapped lines at the largest size whose block fits `height`."""
    size = largest
    while True:
        if _width(pdf, text, size) <= TEXT_WIDTH:
            lines = [text]
            break
        if size <= wrap_below:
            lines = _wrap(pdf, text, size)
            if len(lines) * size * PT * 1.2 <= height or size <= smallest:
                break
        size -= 1
    line_height = size * PT * 1.2
    lines = _truncate(pdf, lines, size, max(1, int(height // line_height)))
    y = top + max(0.0, (height - len(lines) * line_height) / 2)
    pdf.set_font("serif", "B", size)
    for line in lines:
        pdf.set_xy(MARGIN, y)
        pdf.cell(TEXT_WIDTH, line_height, line, align="C")
        y += line_height
    return y


def _width(pdf: FPDF, text: str, size: float) -> float:
    pdf.set_font("serif", "B", size)
    return pdf.get_string_width(text)


def _wrap(pdf: FPDF, text: str, size: float, width: float = TEXT_WIDTH) -> list[str]:
    """Greedy word wrap; words longer than a line are broken between characters."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if _width(pdf, candidate, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for char in word:
            if _width(pdf, current + char, size) > width and current:
                lines.append(current)
                current = ""
            current += char
    if current:
        lines.append(current)
    return lines


def _truncate(pdf: FPDF, lines: list[str], size: float, max_lines: int) -> list[str]:
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    last = kept[-1]
    while last and _width(pdf, last + "…", size) > TEXT_WIDTH:
        last = last[:-1]
    kept[-1] = last.rstrip() + "…"
    return kept


def _details(pdf: FPDF, result: tuple[str, str], rows: list[tuple[str, str]]) -> None:
    """Label/value pairs at the bottom left, the result first and largest: it is what a reader looks for."""
    label_width = min(max(_sans_width(pdf, label, 10) for label, _ in (result, *rows)) + 4, 60)
    value_width = DETAILS_RIGHT - (MARGIN + label_width)
    y = _result(pdf, result, top=142.0, label_width=label_width, value_width=value_width) + 2
    for label, value in rows:
        _label(pdf, label, y, label_width)
        pdf.set_text_color(*INK)
        size = 11.0
        while size > 6 and _sans_width(pdf, value, size) > value_width:
            size -= 0.5
        pdf.set_font("sans", "", size)
        pdf.cell(value_width, 6, value)
        y += 7


def _label(pdf: FPDF, label: str, y: float, width: float) -> None:
    pdf.set_xy(MARGIN, y)
    pdf.set_font("sans", "", 10)
    pdf.set_text_color(*MUTED)
    while pdf.font_size_pt > 6 and pdf.get_string_width(label) > width:
        pdf.set_font_size(pdf.font_size_pt - 0.5)
    pdf.cell(width, 6, label)


def _result(pdf: FPDF, result: tuple[str, str], *, top: float, label_width: float, value_width: float) -> float:
    """The result in serif bold, 12 to 13 pt on up to two lines, or three (smaller only if it needs more); returns
    its bottom."""
    label, value = result
    size = 13.0
    lines = _wrap(pdf, value, size, value_width)
    while (len(lines) > 2 and size > 12) or (len(lines) > 3 and size > 8):
        size -= 0.5
        lines = _wrap(pdf, value, size, value_width)
    line_height = size * PT * 1.3
    _label(pdf, label, top + (line_height - 6) / 2, label_width)
    pdf.set_text_color(*NAVY)
    pdf.set_font("serif", "B", size)
    y = top
    for line in lines[:3]:
        pdf.set_xy(MARGIN + label_width, y)
        pdf.cell(value_width, line_height, line)
        y += line_height
    return y


def _sans_width(pdf: FPDF, text: str, size: float) -> float:
    pdf.set_font("sans", "", size)
    return pdf.get_string_width(text)


def _qr(pdf: FPDF, verify_url: str, *, caption: str, printed_url: str) -> None:
    """The QR code bottom right as filled vector rectangles (crisp at any zoom), the URL printed under it."""
    code = qr_code(verify_url)
    side = 34.0
    module = side / code.symbol_size(border=0)[0]
    left, top = PAGE_WIDTH - MARGIN + 8 - side, 132.0
    pdf.set_fill_color(0, 0, 0)
    for row, column, width, height in rectangles(code.matrix):
        pdf.rect(left + column * module, top + row * module, width * module, height * module, style="F")
    pdf.link(left, top, side, side, verify_url)
    box_width = PAGE_WIDTH - MARGIN + 8 - DETAILS_RIGHT - 5
    box_left = left + side - box_width
    pdf.set_text_color(*MUTED)
    pdf.set_font("sans", "", 7)
    pdf.set_xy(box_left, top + side + 2)
    pdf.cell(box_width, 3.5, caption, align="R")
    pdf.set_font("sans", "", 6.5)
    pdf.set_xy(box_left, top + side + 5.5)
    for line in _wrap_plain(pdf, printed_url, box_width)[:3]:
        pdf.set_x(box_left)
        pdf.cell(box_width, 3, line, align="R", new_x="LMARGIN", new_y="NEXT", link=verify_url)


def _wrap_plain(pdf: FPDF, text: str, width: float) -> list[str]:
    """Break `text` (a URL: no spaces to wrap at) between characters."""
    if pdf.get_string_width(text) <= width:
        return [text]
    lines, current = [], ""
    for char in text:
        if current and pdf.get_string_width(current + char) > width:
            lines.append(current)
            current = ""
        current += char
    return [*lines, current] if current else lines
