"""Table helpers without a web framework: safe CSV cells and score bins for histograms."""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as the start of a formula
BIN_WIDTH = 10


def csv_cell(value: object) -> str:
    """A value as a CSV cell that a spreadsheet shows as text: a leading formula character gets a quote (OWASP).

    Numbers are written as they are (a negative number is data, not a formula); ``None`` is an empty cell.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def score_bin(score: float) -> int:
    """The 10-point bin of a 0–100 score: 0 for 0–9.99 … 9 for 90–100 (a perfect 100 joins the top bin)."""
    return min(9, max(0, int(score // BIN_WIDTH)))


def bin_labels() -> list[tuple[int, int]]:
    """(low, high) bounds of the ten bins, for axis labels and table rows."""
    return [(low, low + BIN_WIDTH) for low in range(0, 100, BIN_WIDTH)]
