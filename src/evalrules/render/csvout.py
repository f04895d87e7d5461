"""Results as CSV: one row per unit, the summary columns then the points of every indicator.

Written as UTF-8 with a byte order mark, so that Excel opens the Chinese text correctly. Text
that a spreadsheet would take for a formula (beginning with = + - @, a tab or a carriage
return) is prefixed with a single quote; numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io

from ..cells import neutral as neutral  # re-exported
from ..summary import Report
from .tables import points_table, summary_table


def results_csv(report: Report) -> bytes:
    summary = summary_table(report)
    points = points_table(report)
    nodes = report.nodes
    header = [*summary.header[0], *[f"{n.label} [{n.id}]" for n in nodes]]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutral(h) for h in header])
    for row, point_row in zip(summary.rows, points.rows, strict=True):
        writer.writerow([neutral(v) for v in [*row, *list(point_row)[3:]]])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
