"""The results workbook: 汇总 (summary), 指标得分 (points per indicator), 扣分加分否决 (the rules
that fired), 评价说明 (the explanation, one row per indicator per unit), 说明 (scheme and facts
hashes, how ranks and indices are derived), and 未评价 (units skipped for bad facts) if any.

Numbers are stored as numbers, the header is frozen, widths are set; text never becomes a
formula (see evalrules.workbook).
"""

from __future__ import annotations

from ..i18n import _
from ..summary import Report
from ..workbook import Sheet, write_workbook
from .tables import Table, workbook_tables


def _sheet(table: Table) -> Sheet:
    return Sheet(table.title, header=table.header, rows=table.rows, widths=table.widths,
                 freeze=table.freeze, number_formats=table.number_formats, wrap=table.wrap,
                 muted_rows=frozenset(range(2, len(table.header) + 1)))


def results_workbook(report: Report) -> bytes:
    """The XLSX file of a report, as bytes (rows are streamed, whatever the number of units)."""
    tables = workbook_tables(report)
    if report.skipped:
        why = _("Errors in the facts, not evaluated (see the list of errors the command "
                "printed)")
        tables.append(Table(_("Not evaluated"), [[_("Unit"), _("Reason")]],
                            [[unit, why] for unit in report.skipped], [30, 60]))
    return write_workbook((_sheet(t) for t in tables), streaming=True)
