"""The group report's charts as server-side SVG, in the house style of the analytics histogram (course/analytics/
charts.py, whose element helpers they use): classes for colours (the CSP forbids inline styles), a <title> and
<desc> for screen readers, and the page shows the same numbers in a table beside each chart.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import format_date
from flask_babel import gettext as _
from markupsafe import Markup

from course.analytics.charts import HEIGHT, WIDTH, frame, gridlines, nice_top, tag
from course.core.reports import Week

LEFT, RIGHT, TOP, BOTTOM = 48.0, 16.0, 16.0, 44.0
MAX_DATE_LABELS = 8


def _grid(peak: int, axis_label: str) -> list[Markup]:
    """Whole-number gridlines with their values, the base line and the horizontal axis' label."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    body = gridlines(peak, LEFT, RIGHT, TOP, plot_h)
    body.append(
        tag(
            "line",
            x1=LEFT,
            y1=TOP + plot_h,
            x2=WIDTH - RIGHT,
            y2=TOP + plot_h,
            class_="chart-axis",
            stroke="currentColor",
        )
    )
    body.append(tag("text", axis_label, x=LEFT + plot_w / 2, y=HEIGHT - 6, class_="chart-label", text_anchor="middle"))
    return body


def bars(chart_id: str, title: str, desc: str, labels: Sequence[str], values: Sequence[int], axis_label: str) -> Markup:
    """One labelled bar per category (its count written above it, so no bar relies on colour or height alone)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    peak = nice_top(max(values, default=0))
    body = _grid(peak, axis_label)
    bar_w = plot_w / max(1, len(values))
    for index, (label, count) in enumerate(zip(labels, values, strict=True)):
        height = plot_h * count / peak
        x = LEFT + index * bar_w
        body.append(
            tag(
                "rect",
                tag("title", f"{label}: {count}"),
                x=x + 3,
                y=TOP + plot_h - height,
                width=bar_w - 6,
                height=height,
                class_=f"chart-bar report-bar report-bar--{index}",
            )
        )
        body.append(
            tag(
                "text",
                str(count),
                x=x + bar_w / 2,
                y=TOP + plot_h - height - 4,
                class_="chart-value",
                text_anchor="middle",
            )
        )
        body.append(tag("text", label, x=x + bar_w / 2, y=TOP + plot_h + 16, class_="chart-tick", text_anchor="middle"))
    return frame(chart_id, "bars", title, desc, body)


def completions(chart_id: str, title: str, weeks: Sequence[Week], members: int) -> Markup:
    """Completed members so far, week by week, as a step line against the group's size (the top of the axis)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    peak = nice_top(max([members, *(week.total for week in weeks)]))
    body = _grid(peak, _("Week (starting Monday)"))
    step_w = plot_w / max(1, len(weeks))
    points: list[str] = []
    previous_y = TOP + plot_h
    for index, week in enumerate(weeks):
        x0, x1 = LEFT + index * step_w, LEFT + (index + 1) * step_w
        y = TOP + plot_h - plot_h * week.total / peak
        points += [f"{x0:.1f},{previous_y:.1f}", f"{x0:.1f},{y:.1f}", f"{x1:.1f},{y:.1f}"]
        previous_y = y
    if points:
        body.append(
            tag(
                "polyline",
                points=" ".join(points),
                class_="report-line",
                fill="none",
                stroke="currentColor",
                stroke_width=2,
            )
        )
    every = max(1, -(-len(weeks) // MAX_DATE_LABELS))
    for index in range(0, len(weeks), every):
        x = LEFT + (index + 0.5) * step_w
        body.append(
            tag(
                "text",
                format_date(weeks[index].start, "short"),
                x=x,
                y=TOP + plot_h + 16,
                class_="chart-tick",
                text_anchor="middle",
            )
        )
    total = weeks[-1].total if weeks else 0
    desc = _(
        "Step chart of the members who completed the course so far, week by week: %(total)d of %(members)d by now, "
        "over %(weeks)d weeks.",
        total=total,
        members=members,
        weeks=len(weeks),
    )
    return frame(chart_id, "completions", title, desc, body)
