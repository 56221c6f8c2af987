"""The sandbox's server-rendered SVG charts: accessible, CSP-safe, escaped, proportional and localised."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask_babel import force_locale

from course.core.sandbox import SCENARIOS, recommended_plan, salesperson_plan, simulate, typical_parameters
from course.core.sandbox.simulation import PayDistribution, SimulationResult
from course.sandbox.charts import Chart, Series, effort_chart, pay_chart, retention_chart

NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def backend() -> str:
    """Charts never touch the database: one backend is enough."""
    return "sqlite"


@pytest.fixture
def en(app: Flask) -> Iterator[None]:
    with app.test_request_context(), force_locale("en"):
        yield


def result(
    selling: float = 1.0,
    relationship: float = 1.0,
    retention: tuple[float, float, float] = (0.9, 0.8, 0.7),
    pay: tuple[float, ...] = (90_000, 110_000, 120_000, 130_000, 150_000),
    mean: float = 121_000,
) -> SimulationResult:
    return SimulationResult(
        selling_effort=selling,
        relationship_effort=relationship,
        retention=retention,
        company_value=0.0,
        plan_cost=mean,
        pay=PayDistribution(mean, 0.0, dict(zip((5, 25, 50, 75, 95), pay, strict=True)), None, ()),
        certainty_equivalent=0.0,
        solver="closed_form",
    )


def all_charts(series: list[Series], prefix: str = "", ttc: float = 125_000) -> list[Chart]:
    return [effort_chart(series, prefix), retention_chart(series, prefix), pay_chart(series, "EUR", ttc, prefix)]


def parse(chart: Chart) -> ET.Element:
    return ET.fromstring(str(chart.svg))  # noqa: S314 - our own markup, not untrusted input


def by_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(NS + tag) if cls in e.get("class", "").split()]


def three() -> list[Series]:
    return [
        Series("Your plan", result(2.0, 0.5, (0.8, 0.5, 0.0)), "plan"),
        Series("Benchmark", result(1.0, 1.0, (1.0, 1.0, 1.0)), "benchmark"),
        Series("Salesperson plan", result(0.0, 0.0, (0.6, 0.4, 0.2)), "salesperson"),
    ]


@pytest.mark.usefixtures("en")
def test_every_chart_is_an_accessible_csp_safe_image() -> None:
    for chart in all_charts(three()):
        markup = str(chart.svg)
        root = parse(chart)
        assert root.tag == NS + "svg" and root.get("role") == "img"
        assert root.get("width") == "100%" and root.get("viewBox", "").startswith("0 0 ")
        ids = {e.get("id"): e for e in root.iter() if e.get("id")}
        labelled = root.get("aria-labelledby", "").split()
        assert [ids[i].tag for i in labelled] == [NS + "title", NS + "desc"]
        assert ids[labelled[0]].text == chart.title and ids[labelled[1]].text == chart.summary
        assert len(ids) == len([e for e in root.iter() if e.get("id")])  # unique
        assert all(ref in ids for ref in re.findall(r"url\(#([\w-]+)\)", markup))
        assert "style=" not in markup and "<style" not in markup and "<script" not in markup.lower()
        assert len(chart.rows) == 3 and all(len(row) == len(chart.columns) for row in chart.rows)


@pytest.mark.usefixtures("en")
def test_labels_are_escaped() -> None:
    label = '<script>alert("x")</script> & Co'
    for chart in all_charts([Series(label, result(), "plan")]):
        markup = str(chart.svg)
        assert "<script" not in markup and "&lt;script&gt;" in markup and "&amp; Co" in markup
        assert label in [e.text for e in parse(chart).iter(NS + "text")]
        assert chart.rows[0][0] == label  # the template escapes the table


@pytest.mark.usefixtures("en")
def test_effort_bars_are_proportional_and_labelled() -> None:
    root = parse(effort_chart(three()))
    bars = by_class(root, "rect", "chart-bar")
    selling = [float(e.get("width")) for e in bars if "chart-selling" in e.get("class")]
    caring = [float(e.get("width")) for e in bars if "chart-relationship" in e.get("class")]
    assert selling[0] == pytest.approx(2 * selling[1], rel=1e-3) and selling[2] == 0
    assert caring[1] == pytest.approx(2 * caring[0], rel=1e-3) and caring[2] == 0
    texts = [e.text for e in by_class(root, "text", "chart-value")]
    assert texts == ["2.0", "0.5", "1.0", "1.0", "0.0", "0.0"]


@pytest.mark.usefixtures("en")
def test_retention_points_are_proportional_with_a_dash_pattern_per_kind() -> None:
    root = parse(retention_chart(three()))
    lines = by_class(root, "polyline", "chart-line")
    points = [[tuple(map(float, p.split(","))) for p in line.get("points").split()] for line in lines]
    top, bottom = points[1][0][1], points[0][3][1]  # 100 % (start) and 0 % (plan's year 3)
    for line, expected in zip(points, ((1, 0.8, 0.5, 0.0), (1, 1, 1, 1), (1, 0.6, 0.4, 0.2)), strict=True):
        xs = [x for x, _ in line]
        assert xs[1] - xs[0] == pytest.approx(xs[3] - xs[2])
        assert [(bottom - y) / (bottom - top) for _, y in line] == pytest.approx(expected, abs=1e-3)
    assert len({line.get("stroke-dasharray") for line in lines}) == 3
    assert {"80%", "50%", "0%", "100%"} <= {e.text for e in by_class(root, "text", "chart-value")}


@pytest.mark.usefixtures("en")
def test_pay_box_whiskers_and_target_sit_at_their_amounts() -> None:
    root = parse(pay_chart(three()[:1], "EUR", 125_000))
    whisker = by_class(root, "line", "chart-whisker")[0]
    x5, x95 = float(whisker.get("x1")), float(whisker.get("x2"))

    def x_of(amount: float) -> float:
        return x5 + (amount - 90_000) / 60_000 * (x95 - x5)

    box = by_class(root, "rect", "chart-box")[0]
    assert float(box.get("x")) == pytest.approx(x_of(110_000), abs=0.01)
    assert float(box.get("width")) == pytest.approx(x_of(130_000) - x_of(110_000), abs=0.01)
    assert float(by_class(root, "line", "chart-median")[0].get("x1")) == pytest.approx(x_of(120_000), abs=0.01)
    mean = by_class(root, "polygon", "chart-mean")[0].get("points").split()[0]
    assert float(mean.split(",")[0]) == pytest.approx(x_of(121_000), abs=0.01)
    target = by_class(root, "line", "chart-target")[0]
    assert float(target.get("x1")) == pytest.approx(x_of(125_000), abs=0.01) and target.get("stroke-dasharray")
    assert "Target total cash €125,000" in [e.text for e in root.iter(NS + "text")]
    ticks = [e.text for e in by_class(root, "text", "chart-tick")]
    assert 3 <= len(ticks) <= 8 and all(re.fullmatch(r"€\d{1,3}(,\d{3})*", t) for t in ticks)


@pytest.mark.usefixtures("en")
def test_table_rows_carry_each_series_formatted_values() -> None:
    effort, retention, pay = all_charts(three())
    assert effort.rows[0] == ("Your plan", "2.0", "0.5", "20%")
    assert retention.rows[1] == ("Benchmark", "100%", "100%", "100%")
    assert pay.rows[2] == ("Salesperson plan", "€90,000", "€110,000", "€120,000", "€130,000", "€150,000", "€121,000")
    assert "Your plan" in effort.summary and "20%" in effort.summary and "€125,000" in pay.summary


def test_german_formats_numbers_german_style(app: Flask) -> None:
    with app.test_request_context(), force_locale("de"):
        effort, retention, pay = all_charts(three())
    assert effort.rows[0][1:] == ("2,0", "0,5", "20\xa0%")
    assert retention.rows[0][1:] == ("80\xa0%", "50\xa0%", "0\xa0%")
    assert pay.rows[0][1] == "90.000\xa0€"
    assert "2,0" in str(effort.svg) and "125.000\xa0€" in str(pay.svg)


@pytest.mark.usefixtures("en")
def test_prefixes_keep_ids_apart_on_a_compare_page() -> None:
    def ids(prefix: str) -> set[str]:
        return {e.get("id") for chart in all_charts(three(), prefix) for e in parse(chart).iter() if e.get("id")}

    left, right, plain = ids("left"), ids("right"), ids("")
    assert left and not left & right and not left & plain and not right & plain
    with pytest.raises(ValueError, match="prefix"):
        effort_chart(three(), prefix='x" onload="alert(1)')
    with pytest.raises(ValueError, match="kind"):
        Series("x", result(), "other")


@pytest.mark.usefixtures("en")
def test_edge_cases_render() -> None:
    fixed = result(0.0, 0.0, (0.0, 0.0, 0.0), (100_000,) * 5, 100_000)
    huge = result(3.9, 3.9, (1.0, 1.0, 1.0), (9_000_000, 9_500_000, 10_000_000, 10_000_000, 10_000_000), 9_900_000)
    cases = (([Series("Fixed salary", fixed, "plan")], 100_000), ([Series("Huge", huge, "plan")], 0), ([], 1))
    for series, ttc in cases:
        for chart in all_charts(series, ttc=ttc):
            assert "nan" not in str(chart.svg).lower() and "inf" not in str(chart.svg).lower()
            parse(chart)
    box = by_class(parse(pay_chart([Series("Fixed salary", fixed, "plan")], "EUR", 100_000)), "rect", "chart-box")
    assert float(box[0].get("width")) == 0
    assert pay_chart([Series("Huge", huge, "plan")], "EUR", 0).rows[0][3] == "€10,000,000"


@pytest.mark.usefixtures("en")
def test_real_simulation_results_render() -> None:
    params = typical_parameters(SCENARIOS["defend"])
    plans: list[tuple[str, Callable[[], object], str]] = [
        ("Your plan", lambda: recommended_plan("defend"), "plan"),
        ("Salesperson plan", lambda: salesperson_plan(125_000), "salesperson"),
    ]
    series = [Series(label, simulate(make(), params, seed=0), kind) for label, make, kind in plans]
    for chart in all_charts(series):
        parse(chart)
        assert [row[0] for row in chart.rows] == ["Your plan", "Salesperson plan"]
