"""The sandbox score histogram as server-side SVG, in the house style of course/sandbox/charts.py.

Plain SVG with classes (colours live in static/css/analytics.css, the CSP forbids inline styles), a <title> and
<desc> for screen readers; the page puts the same numbers in a table beside it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape

from course.core.analytics.tables import BIN_WIDTH

WIDTH = 640
HEIGHT = 260
_ID = re.compile(r"[A-Za-z][\w-]*")


def _attrs(**attrs: object) -> Markup:
    return Markup("").join(
        Markup(' {}="{}"').format(
            key.rstrip("_").replace("_", "-"), _num(value) if isinstance(value, float | int) else value
        )
        for key, value in attrs.items()
        if value is not None
    )


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def tag(name: str, content: Markup | str = "", /, **attrs: object) -> Markup:
    if content:
        return Markup("<{0}{1}>{2}</{0}>").format(name, _attrs(**attrs), escape(content))
    return Markup("<{0}{1}/>").format(name, _attrs(**attrs))


def nice_top(peak: int) -> int:
    """A round upper end for the count axis (1, 2 or 5 × 10ⁿ) at or above the highest bar."""
    if peak <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(peak))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= peak)


def gridlines(peak: int, left: float, right: float, top: float, plot_h: float) -> list[Markup]:
    """Whole-number horizontal gridlines with their values (`peak` is 1, 2 or a multiple of 5, as `nice_top`)."""
    body: list[Markup] = []
    steps = peak if peak <= 2 else 5
    for step in range(steps + 1):
        y = top + plot_h - plot_h * step / steps
        body.append(tag("line", x1=left, y1=y, x2=WIDTH - right, y2=y, class_="chart-grid", stroke="currentColor"))
        label = format_decimal(peak * step / steps, format="#,##0.#")
        body.append(tag("text", label, x=left - 6, y=y + 4, class_="chart-tick", text_anchor="end"))
    return body


def frame(chart_id: str, kind: str, title: str, desc: str, body: Sequence[Markup]) -> Markup:
    """The chart's <svg>: named by its <title> and <desc> for screen readers, coloured by classes (the CSP forbids
    inline styles)."""
    if not _ID.fullmatch(chart_id):
        raise ValueError(f"chart id must be a plain id, got {chart_id!r}")
    base = f"chart-{chart_id}"
    inner = tag("title", title, id=f"{base}-title") + tag("desc", desc, id=f"{base}-desc") + Markup("").join(body)
    return tag(
        "svg",
        inner,
        xmlns="http://www.w3.org/2000/svg",
        class_=f"chart chart--{kind}",
        role="img",
        aria_labelledby=f"{base}-title {base}-desc",
        viewBox=f"0 0 {WIDTH} {HEIGHT}",
        width="100%",
        font_size=13,
        font_family="system-ui, sans-serif",
        fill="currentColor",
    )


def histogram(chart_id: str, title: str, bins: Sequence[int], threshold: int | None) -> Markup:
    """Learners per 10-point score bin, with a dashed line at the course's sandbox threshold."""
    left, right, top, bottom = 48.0, 16.0, 16.0, 44.0
    plot_w, plot_h = WIDTH - left - right, HEIGHT - top - bottom
    peak = nice_top(max(bins, default=0))
    bar_w = plot_w / len(bins)
    body = gridlines(peak, left, right, top, plot_h)
    for index, count in enumerate(bins):
        height = plot_h * count / peak if peak else 0.0
        x = left + index * bar_w
        body.append(
            tag(
                "rect",
                tag(
                    "title",
                    _(
                        "%(low)d–%(high)d points: %(count)d",
                        low=index * BIN_WIDTH,
                        high=(index + 1) * BIN_WIDTH,
                        count=count,
                    ),
                ),
                x=x + 3,
                y=top + plot_h - height,
                width=bar_w - 6,
                height=height,
                class_="chart-bar histogram-bar",
            )
        )
        if count:
            body.append(
                tag(
                    "text",
                    str(count),
                    x=x + bar_w / 2,
                    y=top + plot_h - height - 4,
                    class_="chart-value",
                    text_anchor="middle",
                )
            )
        body.append(
            tag("text", str(index * BIN_WIDTH), x=x, y=top + plot_h + 16, class_="chart-tick", text_anchor="middle")
        )
    body.append(tag("text", "100", x=left + plot_w, y=top + plot_h + 16, class_="chart-tick", text_anchor="middle"))
    body.append(
        tag(
            "text",
            _("Best score (points)"),
            x=left + plot_w / 2,
            y=HEIGHT - 6,
            class_="chart-label",
            text_anchor="middle",
        )
    )
    body.append(
        tag(
            "line",
            x1=left,
            y1=top + plot_h,
            x2=WIDTH - right,
            y2=top + plot_h,
            class_="chart-axis",
            stroke="currentColor",
        )
    )
    if threshold is not None:
        x = left + plot_w * min(100, max(0, threshold)) / 100
        body.append(
            tag(
                "line",
                x1=x,
                y1=top,
                x2=x,
                y2=top + plot_h,
                class_="chart-threshold",
                stroke="currentColor",
                stroke_dasharray="6 4",
            )
        )
        body.append(tag("text", _("threshold %(points)d", points=threshold), x=x + 4, y=top + 12, class_="chart-label"))
    learners = sum(bins)
    desc = _("Histogram of %(count)d learners' best scores in 10-point bins.", count=learners)
    if threshold is not None:
        desc += " " + _("The dashed line marks the course's threshold of %(points)d points.", points=threshold)
    return frame(chart_id, "histogram", title, desc, body)
