"""Lesson figures: an SVG file beside the lessons, inlined into the lesson as an accessible <figure>.

Inlined rather than linked with <img>, so the drawing takes the page's colours (light and dark) through CSS
classes and currentColor, and its labels stay selectable text. The file goes through the same allow-list as
an uploaded SVG (course.core.media); on top of that everything the page's Content-Security-Policy would block
(style attributes and <style>) is dropped, ids are made unique within the page, and the text alternative the
lesson gives becomes the figure's <title>, so a screen reader announces it as one image.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - only to serialise; parsing goes through defusedxml
from html import escape

from defusedxml.ElementTree import fromstring as parse_xml

from course.core.media import SVG_NS, MediaRefused, sanitize_svg

FIGURE_FOLDER = "figures/"
FIGURE_NAME = re.compile(r"^figures/(?P<name>[a-z0-9]+(?:-[a-z0-9]+)*)(?:\.(?P<lang>[a-z]{2}))?\.svg$")
# A figure stands on a line of its own: ![text alternative](figures/name.svg "caption")
FIGURE_LINE = re.compile(r'^!\[(?P<alt>[^\]]*)\]\((?P<src>figures/[^\s)]*)(?:\s+"(?P<caption>[^"]*)")?\)\s*$')
MAX_ALT = 1000

_URL_REFERENCE = re.compile(r"url\(\s*#([^)\s]+)\s*\)")


class FigureProblem(ValueError):
    """A figure the lesson cannot show; the message says what to fix."""


def figure_html(svg_text: str, alt: str, caption: str | None, key: str) -> str:
    """The figure as safe HTML; `key` makes its ids unique on the page (`figure-2`)."""
    alt = " ".join(alt.split())
    if not alt:
        raise FigureProblem(
            "a figure needs a text alternative: ![what the figure shows](figures/name.svg) — "
            "it is what screen readers read aloud"
        )
    if len(alt) > MAX_ALT:
        raise FigureProblem(f"the text alternative is too long: at most {MAX_ALT} characters")
    try:
        clean, _removed = sanitize_svg(svg_text.encode("utf-8"))
    except MediaRefused as refused:
        raise FigureProblem(f"the figure cannot be shown: {refused}") from None
    root = parse_xml(clean)
    if not root.get("viewBox"):
        raise FigureProblem('the figure needs a viewBox (e.g. viewBox="0 0 400 300") so it can shrink on phones')
    _fit_for_page(root, key)
    title = ET.Element("title", {"id": f"{key}-title"})
    title.text = alt
    root.insert(0, title)
    root.set("role", "img")
    root.set("aria-labelledby", f"{key}-title")
    root.set("focusable", "false")
    root.set("xmlns", SVG_NS)
    svg = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    figcaption = f"<figcaption>{escape(caption.strip())}</figcaption>" if caption and caption.strip() else ""
    return f'<figure class="lesson-figure" id="{key}">{svg}{figcaption}</figure>'


def _fit_for_page(root: ET.Element, key: str) -> None:
    """Drop what the page's CSP blocks and the figure's own size and titles; make every id unique on the page."""
    for element in [root, *root.iter()]:
        element.tag = element.tag.rsplit("}", 1)[-1]
    for parent in [root, *root.iter()]:
        for child in list(parent):
            if child.tag == "style" or (parent is root and child.tag == "title"):
                parent.remove(child)
    for attribute in ("width", "height", "aria-label", "aria-hidden", "role"):
        root.attrib.pop(attribute, None)
    ids = {element.get("id") for element in root.iter() if element.get("id")}
    for element in root.iter():
        element.attrib.pop("style", None)
        for name, value in list(element.attrib.items()):
            if name == "id":
                element.set(name, f"{key}-{value}")
            elif name == "href" and value.startswith("#") and value[1:] in ids:
                element.set(name, f"#{key}-{value[1:]}")
            elif "url(" in value:
                element.set(name, _URL_REFERENCE.sub(lambda m: f"url(#{key}-{m.group(1)})", value))


def missing_figure_html(alt: str, caption: str | None, key: str) -> str:
    """Where the figure files are not at hand (a preview of one file): the text alternative in its place."""
    figcaption = f"<figcaption>{escape(caption.strip())}</figcaption>" if caption and caption.strip() else ""
    return (
        f'<figure class="lesson-figure lesson-figure--text" id="{key}"><p>{escape(" ".join(alt.split()))}</p>'
        f"{figcaption}</figure>"
    )
