"""Markdown → sanitised HTML, once per published revision, plus a source scan with line numbers."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from course.core.text.checks import CHECK_FENCE, CheckProblem, KnowledgeCheck, check_form, parse_check
from course.core.text.figures import FIGURE_LINE, FIGURE_NAME, FigureProblem, figure_html, missing_figure_html
from course.core.text.slug import slugify


@dataclass(frozen=True)
class TocEntry:
    level: int
    anchor: str
    title: str


ADMONITION_TYPES = frozenset({"note", "tip", "warning", "example", "important"})
LESSON_SCHEME = "lesson:"

_TABLE_LABEL = {"de": "Tabelle", "en": "Table"}
_TABLE = re.compile(r"<table>(.*?)</table>", re.S)
_PERMALINK_TITLE = {"de": "Link zu diesem Abschnitt", "en": "Link to this section"}
_FOOTNOTE_BACKLINK_TITLE = {"de": "Zurück zum Text", "en": "Back to the text"}

_ALLOWED_TAGS = {
    "p",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "br",
    "div",
    "sup",
    "sub",
    "span",
    "del",
    "abbr",
    "dl",
    "dt",
    "dd",
    "img",
    "kbd",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "h5": {"id"},
    "h6": {"id"},
    "th": {"align"},
    "td": {"align"},
    "sup": {"id"},
    "li": {"id"},
    "ol": {"start"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
}
_ALLOWED_CLASSES = {
    "div": {"admonition", "footnote", *ADMONITION_TYPES},
    "p": {"admonition-title"},
    "a": {"footnote-ref", "footnote-backref", "headerlink"},
}

# Images only from the studio's own uploads (course.core.media.STORED_NAME): no tracking pixels, no other sites.
_MEDIA_SRC = re.compile(r"^/media/[0-9a-f]{64}\.(?:png|jpg|svg)$")
_IMAGE_DIMENSION = re.compile(r"^[1-9][0-9]{0,3}$")
_IMAGE_WITHOUT_SOURCE = re.compile(r'<img(?![^>]*\ssrc=")(?:\s+[a-z-]+="[^"]*")*\s*/?>')

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ADMONITION = re.compile(r"^\s*!!!(.*)$")
_ADMONITION_ARGS = re.compile(r'^\s+([A-Za-z][\w-]*)(?:\s+"[^"]*")?\s*$')
_INLINE_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_FOOTNOTE_DEF = re.compile(r"^\s{0,3}\[\^([^\]]+)\]:")
_FOOTNOTE_REF = re.compile(r"\[\^([^\]]+)\](?!:)")
_INLINE_MARKUP = re.compile(r"[*_`]|\[([^\]]*)\]\([^)]*\)")


@dataclass(frozen=True)
class Link:
    line: int
    target: str  # lesson id, or "" for a link within the same lesson
    anchor: str | None


@dataclass
class SourceScan:
    """What validation needs from a Markdown body, each finding with its file line."""

    headings: list[tuple[int, int, str]] = field(default_factory=list)  # (line, level, slug)
    links: list[Link] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


def scan_source(body: str, first_line: int) -> SourceScan:
    """Scan Markdown line by line (skipping fenced code) for headings, links and syntax errors."""
    scan = SourceScan()
    fence: str | None = None
    fence_line = first_line
    footnote_defs: dict[str, int] = {}
    footnote_refs: dict[str, int] = {}
    for offset, text in enumerate(body.split("\n")):
        line = first_line + offset
        fence_match = _FENCE.match(text)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence, fence_line = marker[0] * len(marker), line
            elif marker.startswith(fence):
                fence = None
            continue
        if fence is not None:
            continue
        heading = _HEADING.match(text)
        if heading:
            level = len(heading.group(1))
            title = _INLINE_MARKUP.sub(lambda m: m.group(1) or "", heading.group(2))
            if level == 1:
                scan.problems.append((line, "use '##' for sections: the lesson title comes from the front matter"))
            scan.headings.append((line, level, slugify(title)))
        admonition = _ADMONITION.match(text)
        if admonition:
            args = _ADMONITION_ARGS.match(admonition.group(1))
            if not args:
                scan.problems.append((line, 'malformed callout: write  !!! tip "Title"  with the text indented below'))
            elif args.group(1) not in ADMONITION_TYPES:
                allowed = ", ".join(sorted(ADMONITION_TYPES))
                scan.problems.append((line, f"unknown callout type {args.group(1)!r} (allowed: {allowed})"))
        for match in _FOOTNOTE_REF.finditer(text):
            footnote_refs.setdefault(match.group(1), line)
        definition = _FOOTNOTE_DEF.match(text)
        if definition:
            footnote_defs.setdefault(definition.group(1), line)
        targets = [m.group(1) for m in _INLINE_LINK.finditer(text)]
        reference = _REFERENCE_DEF.match(text)
        if reference and not definition:
            targets.append(reference.group(1))
        for target in targets:
            link = _parse_internal_link(target, line)
            if link:
                scan.links.append(link)
    if fence is not None:
        scan.problems.append((fence_line, "this fenced code block is never closed"))
    for name, line in footnote_refs.items():
        if name not in footnote_defs:
            scan.problems.append((line, f"footnote [^{name}] is used but never defined"))
    for name, line in footnote_defs.items():
        if name not in footnote_refs:
            scan.problems.append((line, f"footnote [^{name}] is defined but never used"))
    seen: dict[str, int] = {}
    for line, _level, slug in scan.headings:
        if slug in seen:
            scan.problems.append((line, f"duplicate heading anchor '#{slug}' (first on line {seen[slug]})"))
        else:
            seen[slug] = line
    return scan


def _parse_internal_link(target: str, line: int) -> Link | None:
    if target.startswith(LESSON_SCHEME):
        lesson, _, anchor = target[len(LESSON_SCHEME) :].partition("#")
        return Link(line=line, target=lesson, anchor=anchor or None)
    if target.startswith("#"):
        return Link(line=line, target="", anchor=target[1:] or None)
    return None


class _LessonLinks(Treeprocessor):
    """Turns `lesson:id#anchor` into a link relative to the lesson page (works under any prefix)."""

    def __init__(self, md: markdown.Markdown, lesson_id: str) -> None:
        super().__init__(md)
        self.lesson_id = lesson_id

    def run(self, root):  # noqa: ANN001 - python-markdown's ElementTree API
        for element in root.iter("a"):
            href = element.get("href", "")
            if href.startswith(LESSON_SCHEME):
                target, _, anchor = href[len(LESSON_SCHEME) :].partition("#")
                fragment = f"#{anchor}" if anchor else ""
                element.set("href", fragment if target == self.lesson_id and fragment else f"{target}{fragment}")
        return None


class _LessonLinksExtension(Extension):
    def __init__(self, lesson_id: str) -> None:
        super().__init__()
        self.lesson_id = lesson_id

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - API name
        md.treeprocessors.register(_LessonLinks(md, self.lesson_id), "lesson_links", 1)


@dataclass(frozen=True)
class Rendered:
    html: str
    toc: tuple[TocEntry, ...]
    anchors: frozenset[str]
    checks: tuple[KnowledgeCheck, ...] = ()
    problems: tuple[tuple[int, str], ...] = ()  # (line, message) for figures and knowledge checks


def render_markdown(
    body: str, lang: str, lesson_id: str, figures: Mapping[str, str] | None = None, first_line: int = 1
) -> Rendered:
    """Render a lesson body: tables, code, callouts, footnotes, anchored headings; then sanitise.

    Figures and knowledge checks are built apart and put in after sanitising (the allow-list knows no SVG
    and no forms): `figures` maps `figures/<name>.svg` to the file's text; None (a preview of one file) shows
    a figure's text alternative instead. Their problems come back with the line they are on.
    """
    blocks = _lesson_blocks(body, first_line, lang, lesson_id, figures)
    body = blocks.text
    md = markdown.Markdown(
        extensions=[
            "tables",
            "fenced_code",
            "admonition",
            "sane_lists",
            "footnotes",
            "toc",
            _LessonLinksExtension(lesson_id),
        ],
        extension_configs={
            "tables": {"use_align_attribute": True},
            "footnotes": {
                "BACKLINK_TITLE": _FOOTNOTE_BACKLINK_TITLE.get(lang, "Back"),
                "UNIQUE_IDS": False,
            },
            "toc": {
                "slugify": slugify,
                "permalink": "#",
                "permalink_title": _PERMALINK_TITLE.get(lang, ""),
                "toc_depth": "2-3",
            },
        },
        output_format="html",
    )
    raw_html = md.convert(body)
    toc = tuple(_flatten_toc(md.toc_tokens))  # type: ignore[attr-defined]
    html_out = _scrollable_tables(sanitize_html(raw_html), lang)
    for token, block in blocks.html.items():
        html_out = html_out.replace(f"<p>{token}</p>", block)
    return Rendered(
        html=html_out,
        toc=toc,
        anchors=_all_anchors(md.toc_tokens),  # type: ignore[attr-defined]
        checks=tuple(blocks.checks),
        problems=tuple(blocks.problems),
    )


@dataclass
class _Blocks:
    text: str
    html: dict[str, str] = field(default_factory=dict)  # paragraph token -> the block's safe HTML
    checks: list[KnowledgeCheck] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


_BLOCK_MARK = "lessonblock{}q7z"


def _lesson_blocks(body: str, first_line: int, lang: str, lesson_id: str, figures: Mapping[str, str] | None) -> _Blocks:
    """Take figure lines and ```check blocks out of the Markdown, leaving a token paragraph for each."""
    lines = body.split("\n")
    blocks = _Blocks(text="")
    out: list[str] = []
    fence: str | None = None
    index = 0
    while index < len(lines):
        text, line = lines[index], first_line + index
        fence_match = _FENCE.match(text)
        if fence is None and fence_match and text.rstrip() == fence_match.group(1) + CHECK_FENCE:
            marker = fence_match.group(1)
            end = next(
                (i for i in range(index + 1, len(lines)) if lines[i].strip().startswith(marker[0] * len(marker))),
                None,
            )
            if end is None:
                out.append(text)  # scan_source reports the unclosed fence
                index += 1
                continue
            _add_check(blocks, "\n".join(lines[index + 1 : end]), line, lang, lesson_id, out)
            index = end + 1
            continue
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker[0] * len(marker)
            elif marker.startswith(fence):
                fence = None
        elif fence is None and (figure := FIGURE_LINE.match(text)):
            _add_figure(blocks, figure, line, lang, figures, out)
            index += 1
            continue
        out.append(text)
        index += 1
    blocks.text = "\n".join(out)
    return blocks


def _token(blocks: _Blocks, html_block: str, out: list[str]) -> None:
    token = _BLOCK_MARK.format(len(blocks.html))
    blocks.html[token] = html_block
    out.extend(["", token, ""])


def _add_check(blocks: _Blocks, source: str, line: int, lang: str, lesson_id: str, out: list[str]) -> None:
    try:
        check = parse_check(source, line + 1, len(blocks.checks) + 1, render_text)
    except CheckProblem as problem:
        blocks.problems.append((problem.line, problem.message))
        return
    if any(other.id == check.id for other in blocks.checks):
        blocks.problems.append((line, f"knowledge check: duplicate id {check.id!r} in this lesson"))
        return
    blocks.checks.append(check)
    _token(blocks, check_form(check, lang, lesson_id), out)


def _add_figure(
    blocks: _Blocks, figure: re.Match[str], line: int, lang: str, figures: Mapping[str, str] | None, out: list[str]
) -> None:
    src, alt, caption = figure.group("src"), figure.group("alt"), figure.group("caption")
    key = f"figure-{sum(block.startswith('<figure') for block in blocks.html.values()) + 1}"
    name = FIGURE_NAME.match(src)
    if name is None:
        blocks.problems.append(
            (line, f"figure {src!r}: name it figures/<name>.svg, or figures/<name>.<language>.svg if it has words")
        )
        return
    if name.group("lang") and name.group("lang") != lang:
        blocks.problems.append((line, f"figure {src!r} is the {name.group('lang')!r} version; this lesson is {lang!r}"))
        return
    try:
        if figures is None:
            if not " ".join(alt.split()):
                raise FigureProblem("a figure needs a text alternative: ![what the figure shows](figures/name.svg)")
            _token(blocks, missing_figure_html(alt, caption, key), out)
        elif src not in figures:
            raise FigureProblem(f"figure {src!r} not found: put the SVG file in the course's figures folder")
        else:
            _token(blocks, figure_html(figures[src], alt, caption, key), out)
    except FigureProblem as problem:
        blocks.problems.append((line, str(problem)))


def _scrollable_tables(safe_html: str, lang: str) -> str:
    """Wrap each table in a focusable, labelled region so keyboard users can scroll it on a phone.

    Done after sanitising, because the allow-list (rightly) strips tabindex and role from trainer HTML.
    """
    label = _TABLE_LABEL.get(lang, "Table")
    counter = iter(range(1, 10_000))

    def wrap(match: re.Match[str]) -> str:
        return (
            f'<div class="table-scroll" role="region" tabindex="0" aria-label="{label} {next(counter)}">'
            f"{match.group(0)}</div>"
        )

    return _TABLE.sub(wrap, safe_html)


def sanitize_html(raw_html: str) -> str:
    """Allow-list sanitising: no scripts, no event handlers, no javascript: URLs, no inline style.

    Images must come from /media/ (uploaded in the studio); an image from anywhere else is removed.
    """
    cleaned = nh3.clean(
        raw_html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        allowed_classes=_ALLOWED_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        attribute_filter=_image_attributes,
    )
    return _IMAGE_WITHOUT_SOURCE.sub("", cleaned) if "<img" in cleaned else cleaned


def _image_attributes(tag: str, attribute: str, value: str) -> str | None:
    if tag != "img":
        return value
    if attribute == "src":
        return value if _MEDIA_SRC.fullmatch(value) else None
    if attribute in ("width", "height"):
        return value if _IMAGE_DIMENSION.fullmatch(value) else None
    return value


def _flatten_toc(tokens: list[dict]) -> list[TocEntry]:
    entries: list[TocEntry] = []
    for token in tokens:
        entries.append(TocEntry(level=token["level"], anchor=token["id"], title=html.unescape(token["name"])))
        entries.extend(_flatten_toc(token.get("children", [])))
    return entries


def _all_anchors(tokens: list[dict]) -> frozenset[str]:
    anchors: set[str] = set()
    for token in tokens:
        anchors.add(token["id"])
        anchors |= _all_anchors(token.get("children", []))
    return frozenset(anchors)


_LONE_PARAGRAPH = re.compile(r"\A<p>((?:(?!<p>).)*)</p>\Z", re.S)


def render_text(text: str) -> str:
    """Render short trainer text (a question, an option, feedback) to sanitised HTML.

    A single paragraph comes back without its <p>, so it fits inside a label or a list item.
    """
    raw_html = markdown.markdown(text, extensions=["sane_lists"], output_format="html").strip()
    safe = sanitize_html(raw_html)
    lone = _LONE_PARAGRAPH.match(safe)
    return lone.group(1) if lone else safe
