"""The sandbox score histogram: valid, self-describing SVG that escapes its text and marks the threshold."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from flask import Flask

from course.analytics.charts import histogram
from course.app import create_app

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    instance = tmp_path_factory.mktemp("instance")
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATABASE_URL": f"sqlite:///{instance / 'c.sqlite3'}",
            "AUTO_IMPORT": False,
        }
    )


def test_bars_labels_title_and_threshold(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        svg = str(histogram("scores-defend", "Defend <the> account", (1, 0, 0, 0, 0, 0, 1, 2, 0, 0), 70))
    root = ET.fromstring(svg)  # noqa: S314 - our own markup, not untrusted input
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-scores-defend-title chart-scores-defend-desc"
    assert root.find(f"{SVG}title").text == "Defend <the> account"  # escaped in the markup, intact when parsed
    assert "4 learners" in root.find(f"{SVG}desc").text and "70 points" in root.find(f"{SVG}desc").text
    bars = root.findall(f"{SVG}rect")
    assert len(bars) == 10
    heights = [float(bar.get("height")) for bar in bars]
    assert heights[7] == max(heights) and heights[6] == heights[0] == heights[7] / 2 and heights[1] == 0
    threshold = [line for line in root.findall(f"{SVG}line") if line.get("class") == "chart-threshold"]
    assert len(threshold) == 1
    assert "style" not in svg


def test_no_learners_and_no_threshold(app: Flask) -> None:
    with app.test_request_context():
        svg = str(histogram("empty", "Nobody", (0,) * 10, None))
    root = ET.fromstring(svg)  # noqa: S314 - our own markup, not untrusted input
    assert all(float(bar.get("height")) == 0 for bar in root.findall(f"{SVG}rect"))
    assert not [line for line in root.findall(f"{SVG}line") if line.get("class") == "chart-threshold"]


def test_chart_ids_must_be_plain(app: Flask) -> None:
    with app.test_request_context(), pytest.raises(ValueError):
        histogram('x" onload="alert(1)', "t", (0,) * 10, None)
