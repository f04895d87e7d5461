"""Spreadsheet cells that must never be taken for formulas: shared by the XLSX and CSV
writers and by the streamed CSV output, without importing openpyxl."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

# Text that a spreadsheet program may take for a formula when the cell is edited.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: Any) -> str:
    """A cell's text, never a formula."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text
