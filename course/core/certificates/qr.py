"""The certificate's QR code (segno): printed on the PDF and drawn as SVG in the certificate page's preview."""

from __future__ import annotations

import segno

QR_ERROR_LEVEL = "m"


def qr_code(verify_url: str) -> segno.QRCode:
    """The QR code printed on the certificate; it encodes exactly `verify_url`."""
    return segno.make_qr(verify_url, error=QR_ERROR_LEVEL, boost_error=False)


def qr_rectangles(verify_url: str) -> list[tuple[int, int, int, int]]:
    """The dark modules of the certificate's QR code as rectangles (row, column, width, height) in modules."""
    return rectangles(qr_code(verify_url).matrix)


def rectangles(matrix: tuple[bytearray, ...]) -> list[tuple[int, int, int, int]]:
    """Horizontal runs of dark modules, with equal runs in consecutive rows merged: fewer drawing operations."""
    done: list[tuple[int, int, int, int]] = []
    open_runs: dict[tuple[int, int], int] = {}  # (column, width) -> first row
    for row_index, row in enumerate((*matrix, b"")):
        runs = set()
        start = None
        for column, dark in enumerate((*row, 0)):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                runs.add((start, column - start))
                start = None
        for run in list(open_runs):
            if run not in runs:
                first = open_runs.pop(run)
                done.append((first, run[0], run[1], row_index - first))
        for run in runs:
            open_runs.setdefault(run, row_index)
    return sorted(done)
