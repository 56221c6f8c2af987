"""Server-rendered SVG charts of a sandbox simulation, each with a text alternative.

Written by hand because the results page must work without JavaScript, under a Content-Security-Policy
that forbids inline styles and scripts, in light and dark mode, in print and in German and English: every
chart is plain SVG with classes (colours live in static/css/sandbox.css), a <title>/<desc> for screen
readers, and the same numbers as table rows formatted for the request's locale.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask_babel import format_currency, format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from course.core.sandbox.simulation import SimulationResult

KINDS = ("plan", "benchmark", "salesperson")
DASHES = {"plan": None, "benchmark": "8 4", "salesperson": "2 4"}  # lines differ without colour
WIDTH = 640
_PREFIX = re.compile(r"[A-Za-z][\w-]*")


@dataclass(frozen=True)
class Series:
    """One plan's simulated outcome as drawn in a chart; the kind keeps series apart without relying on colour."""

    label: str  # already translated, e.g. "Your plan"
    result: SimulationResult
    kind: str  # "plan" | "benchmark" | "salesperson": drives the CSS class and the dash pattern

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown series kind {self.kind!r}")


@dataclass(frozen=True)
class Chart:
    """A chart and its text alternative (summary plus data table), for the template to place side by side."""

    id: str
    title: str
    svg: Markup
    summary: str  # the text alternative's lead, in plain words
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # formatted cells, first cell = series label


def _num(x: float) -> str:
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _tag(name: str, content: str = "", /, **attrs: object) -> Markup:
    """One SVG element; attribute values and text are escaped (`class_` → class, `a_b` → a-b)."""
    parts = Markup("").join(
        Markup(' {}="{}"').format(
            key.rstrip("_").replace("_", "-"), _num(value) if isinstance(value, float | int) else value
        )
        for key, value in attrs.items()
        if value is not None
    )
    if content:
        return Markup("<{0}{1}>{2}</{0}>").format(name, parts, escape(content))
    return Markup("<{0}{1}/>").format(name, parts)


def _text(x: float, y: float, content: str, cls: str = "chart-label", anchor: str = "start") -> Markup:
    return _tag("text", content, x=x, y=y, class_=cls, text_anchor=anchor)


def _line(x1: float, y1: float, x2: float, y2: float, cls: str, dash: str | None = None) -> Markup:
    return _tag("line", x1=x1, y1=y1, x2=x2, y2=y2, class_=cls, stroke="currentColor", stroke_dasharray=dash)


def _rect(
    x: float, y: float, w: float, h: float, cls: str, fill: str | None = None, stroke: str | None = None
) -> Markup:
    return _tag("rect", x=x, y=y, width=w, height=h, class_=cls, fill=fill, stroke=stroke)


def _diamond(x: float, y: float, r: float, cls: str) -> Markup:
    points = f"{_num(x)},{_num(y - r)} {_num(x + r)},{_num(y)} {_num(x)},{_num(y + r)} {_num(x - r)},{_num(y)}"
    return _tag("polygon", points=points, class_=cls)


def _base(prefix: str, chart_id: str) -> str:
    if prefix and not _PREFIX.fullmatch(prefix):
        raise ValueError(f"prefix must be a plain id, got {prefix!r}")
    return f"{prefix}-chart-{chart_id}" if prefix else f"chart-{chart_id}"


def _svg(base: str, chart_id: str, height: float, title: str, desc: str, body: Sequence[Markup]) -> Markup:
    inner = _tag("title", title, id=f"{base}-title") + _tag("desc", desc, id=f"{base}-desc") + Markup("").join(body)
    return _tag(
        "svg",
        inner,
        xmlns="http://www.w3.org/2000/svg",
        class_=f"chart chart--{chart_id}",
        role="img",
        aria_labelledby=f"{base}-title {base}-desc",
        viewBox=f"0 0 {WIDTH} {_num(height)}",
        width="100%",
        font_size=13,
        font_family="system-ui, sans-serif",
        fill="currentColor",
    )


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round axis ticks (steps of 1, 2, 2.5 or 5 × 10ⁿ) covering lo..hi; needs hi > lo."""
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    start, stop = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [i * step for i in range(start, stop + 1)]


def _legend(items: Sequence[tuple[Callable[[float, float], Markup], str]], y: float) -> tuple[Markup, float]:
    """Swatch + label pairs flowed left to right, wrapping; returns the markup and the y below it."""
    out, x = [], 16.0
    for swatch, label in items:
        width = 36 + 7 * len(label)
        if x > 16 and x + width > WIDTH - 16:
            x, y = 16.0, y + 22
        out.append(swatch(x, y) + _text(x + 32, y + 4, label))
        x += width + 16
    return Markup("").join(out), y + 16


def _effort(value: float) -> str:
    return format_decimal(value, format="#,##0.0")


def money(value: float, currency: str) -> str:
    """Whole amounts in the locale's currency pattern: the pattern without its decimals."""
    pattern = re.sub(r"\.0+", "", get_locale().currency_formats["standard"].pattern)
    return format_currency(round(value), currency, format=pattern, currency_digits=False)


def effort_chart(series: Sequence[Series], prefix: str = "") -> Chart:
    """Selling vs relationship effort per plan: the trade-off the plan's incentives steer."""
    base, top, row = _base(prefix, "effort"), 48.0, 76.0
    x0, x1 = 16.0, WIDTH - 64.0
    peak = max([1.0, *(max(s.result.selling_effort, s.result.relationship_effort) for s in series)])
    ticks = _ticks(0.0, peak, 4)
    scale = (x1 - x0) / ticks[-1]
    bottom = top + row * len(series)
    hatch = f"url(#{base}-hatch)"
    tile = _tag("rect", width=6, height=6, class_="chart-hatch-bg", fill="none") + _line(0, 0, 0, 6, "chart-hatch-line")
    attrs = {"width": 6, "height": 6, "patternUnits": "userSpaceOnUse", "patternTransform": "rotate(45)"}
    body = [_tag("defs", _tag("pattern", tile, id=f"{base}-hatch", **attrs))]
    selling = (lambda x, y: _rect(x, y - 6, 24, 12, "chart-selling"), _("Selling effort"))
    relationship = (lambda x, y: _rect(x, y - 6, 24, 12, "chart-relationship", hatch), _("Relationship effort"))
    body.append(_legend([selling, relationship], 16.0)[0])
    for tick in ticks:
        x = x0 + tick * scale
        body += [
            _line(x, top, x, bottom, "chart-grid"),
            _text(x, bottom + 18, format_decimal(tick), "chart-tick", "middle"),
        ]
    rows = []
    for i, s in enumerate(series):
        y, r = top + i * row, s.result
        body.append(_text(x0, y + 14, s.label, "chart-label chart-series-label"))
        for j, value in enumerate((r.selling_effort, r.relationship_effort)):
            width, bar_y = max(0.0, value) * scale, y + 20 + j * 22
            cls, fill = ("chart-relationship", hatch) if j else ("chart-selling", None)
            body.append(_rect(x0, bar_y, width, 18, f"chart-bar {cls}", fill))
            body.append(_text(x0 + width + 6, bar_y + 13, _effort(value), "chart-value"))
        shares = (_effort(r.selling_effort), _effort(r.relationship_effort), format_percent(r.relationship_share))
        rows.append((s.label, *shares))
    body.append(_line(x0, top, x0, bottom, "chart-axis"))
    summary = _("How much effort the KAM puts into selling and into the customer relationship (1.0 = target effort).")
    if series:
        first = series[0]
        summary += " " + _(
            "%(label)s: %(share)s of the effort goes into the relationship.",
            label=first.label,
            share=format_percent(first.result.relationship_share),
        )
    title = _("Selling or relationship: where the effort goes")
    columns = (_("Plan"), _("Selling effort"), _("Relationship effort"), _("Relationship share"))
    svg = _svg(base, "effort", bottom + 28, title, summary, body)
    return Chart("effort", title, svg, summary, columns, tuple(rows))


def _marker(kind: str, x: float, y: float) -> Markup:
    if kind == "benchmark":
        return _rect(x - 4, y - 4, 8, 8, "chart-marker")
    if kind == "salesperson":
        return _diamond(x, y, 5, "chart-marker")
    return _tag("circle", cx=x, cy=y, r=4, class_="chart-marker")


def _spread(ys: Sequence[float], gap: float) -> list[float]:
    """Label positions pushed apart so labels of nearby points do not overlap."""
    out, last = list(ys), -math.inf
    for i in sorted(range(len(ys)), key=lambda k: ys[k]):
        out[i] = last = max(ys[i], last + gap)
    return out


def retention_chart(series: Sequence[Series], prefix: str = "") -> Chart:
    """Chance the customer still buys after 1–3 years: what relationship work buys the company."""
    base = _base(prefix, "retention")
    x0, x1, y0, y1 = 64.0, WIDTH - 72.0, 24.0, 264.0
    xs = [x0 + year * (x1 - x0) / 3 for year in range(4)]

    def y_of(p: float) -> float:
        return y1 - min(1.0, max(0.0, p)) * (y1 - y0)

    body = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = y_of(tick)
        body.append(_line(x0, y, x1, y, "chart-grid"))
        body.append(_text(x0 - 8, y + 4, format_percent(tick), "chart-tick", "end"))
    for year, x in enumerate(xs):
        label = _("Year %(n)s", n=year) if year else _("Start")
        body.append(_text(x, y1 + 20, label, "chart-tick", "middle"))
    body.append(_line(x0, y0, x0, y1, "chart-axis"))
    body.append(_line(x0, y1, x1, y1, "chart-axis"))
    rows = []
    for s in series:
        values = (1.0, *s.result.retention)
        points = " ".join(f"{_num(x)},{_num(y_of(p))}" for x, p in zip(xs, values, strict=True))
        marks = Markup("").join(_marker(s.kind, x, y_of(p)) for x, p in zip(xs, values, strict=True))
        line = _tag(
            "polyline",
            points=points,
            class_="chart-line",
            fill="none",
            stroke="currentColor",
            stroke_dasharray=DASHES[s.kind],
        )
        body.append(_tag("g", line + marks, class_=f"chart-series chart-{s.kind}"))
        rows.append((s.label, *(format_percent(p) for p in s.result.retention)))
    if series:
        body.append(_text(xs[0] + 8, y0 - 8, format_percent(1.0), "chart-value"))
    for year in (1, 2, 3):
        values = [s.result.retention[year - 1] for s in series]
        for p, y in zip(values, _spread([y_of(p) for p in values], 15), strict=True):
            body.append(_text(xs[year] + 9, y + 4, format_percent(p), "chart-value"))

    def swatch(kind: str) -> Callable[[float, float], Markup]:
        def draw(x: float, y: float) -> Markup:
            line = _line(x, y, x + 24, y, "chart-line", DASHES[kind])
            return _tag("g", line + _marker(kind, x + 12, y), class_=f"chart-series chart-{kind}")

        return draw

    legend, bottom = _legend([(swatch(s.kind), s.label) for s in series], y1 + 48)
    body.append(legend)
    summary = _("The chance that the customer is still buying after one, two and three years.")
    if series:
        first = series[0]
        summary += " " + _(
            "%(label)s: %(value)s after three years.",
            label=first.label,
            value=format_percent(first.result.retention[2]),
        )
    title = _("Does the customer stay?")
    columns = (_("Plan"), *(_("Year %(n)s", n=n) for n in (1, 2, 3)))
    svg = _svg(base, "retention", bottom + 4, title, summary, body)
    return Chart("retention", title, svg, summary, columns, tuple(rows))


def pay_chart(series: Sequence[Series], currency: str, ttc: float, prefix: str = "") -> Chart:
    """The spread of the KAM's yearly pay against target total cash: how much risk the plan puts on him."""
    base, top, row = _base(prefix, "pay"), 40.0, 60.0
    x0, x1 = 48.0, WIDTH - 48.0
    values = [ttc]
    for s in series:
        values += [s.result.pay.mean, *s.result.pay.percentiles.values()]
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.05 or max(abs(hi) * 0.1, 1.0)
    ticks = _ticks(lo - pad, hi + pad, 5)
    scale = (x1 - x0) / (ticks[-1] - ticks[0])

    def x_of(v: float) -> float:
        return x0 + (v - ticks[0]) * scale

    bottom = top + row * len(series)
    body = []
    for tick in ticks:
        x = x_of(tick)
        body.append(_line(x, top, x, bottom, "chart-grid"))
        body.append(_text(x, bottom + 18, money(tick, currency), "chart-tick", "middle"))
    body.append(_line(x0, bottom, x1, bottom, "chart-axis"))
    rows = []
    for i, s in enumerate(series):
        y, q = top + i * row, {**s.result.pay.percentiles, "mean": s.result.pay.mean}
        mid = y + 36
        p5, p25, p50, p75, p95 = (x_of(q[k]) for k in (5, 25, 50, 75, 95))
        parts = [
            _line(p5, mid, p95, mid, "chart-whisker"),
            _line(p5, mid - 7, p5, mid + 7, "chart-whisker"),
            _line(p95, mid - 7, p95, mid + 7, "chart-whisker"),
            _rect(p25, mid - 11, p75 - p25, 22, "chart-box", "none", "currentColor"),
            _line(p50, mid - 11, p50, mid + 11, "chart-median"),
            _diamond(x_of(q["mean"]), mid, 6, "chart-mean"),
        ]
        body.append(_text(x0, y + 16, s.label, "chart-label chart-series-label"))
        body.append(_tag("g", Markup("").join(parts), class_=f"chart-series chart-{s.kind}"))
        rows.append((s.label, *(money(q[k], currency) for k in (5, 25, 50, 75, 95, "mean"))))
    target, shown = x_of(ttc), money(ttc, currency)
    body.append(_line(target, top - 8, target, bottom, "chart-target", "6 4"))
    anchor, dx = ("start", 6) if target < WIDTH / 2 else ("end", -6)
    body.append(_text(target + dx, top - 10, _("Target total cash %(amount)s", amount=shown), "chart-value", anchor))
    legend, end = _legend(
        [
            (lambda x, y: _rect(x, y - 6, 24, 12, "chart-box", "none"), _("Middle half of outcomes")),
            (lambda x, y: _line(x, y, x + 24, y, "chart-whisker"), _("5th to 95th percentile")),
            (lambda x, y: _line(x + 12, y - 7, x + 12, y + 7, "chart-median"), _("Median")),
            (lambda x, y: _diamond(x + 12, y, 6, "chart-mean"), _("Average")),
        ],
        bottom + 44,
    )
    body.append(_tag("g", legend, class_="chart-series chart-plan"))
    summary = _(
        "The KAM's yearly pay, base included: boxes hold the middle half of outcomes, whiskers run from the 5th "
        "to the 95th percentile, the dashed line marks the target total cash of %(ttc)s.",
        ttc=shown,
    )
    if series:
        pay = series[0].result.pay
        summary += " " + _(
            "%(label)s: median %(median)s, average %(mean)s.",
            label=series[0].label,
            median=money(pay.percentiles[50], currency),
            mean=money(pay.mean, currency),
        )
    title = _("What the KAM earns")
    columns = (
        _("Plan"),
        _("5th percentile"),
        _("25th percentile"),
        _("Median"),
        _("75th percentile"),
        _("95th percentile"),
        _("Average"),
    )
    return Chart("pay", title, _svg(base, "pay", end + 4, title, summary, body), summary, columns, tuple(rows))
