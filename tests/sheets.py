"""Test helpers: fill the template workbook the way a department would, with openpyxl."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import yaml

import evalrules


def fill_template(template: Path, facts_yaml: Path, scheme: evalrules.CompiledScheme,
                  out: Path) -> dict[str, int]:
    """Copy every unit of a YAML facts file into the template workbook; returns unit -> row.

    Values are typed the way people type them: categories, booleans and enums by their Chinese
    labels, every other date as an Excel date and the rest as ISO text, discretionary facts
    with their reason in the column beside them, list records in their own sheets.
    """
    data = yaml.safe_load(facts_yaml.read_text(encoding="utf-8"))
    book = openpyxl.load_workbook(template)
    sheet = book["单位"]
    columns = {cell.value: cell.column for cell in sheet[2] if cell.value}
    model = scheme.model
    facts = {f.id: f for f in model.facts}
    categories = {c.id: c.label for c in model.categories}
    records: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    rows = {}
    for i, unit in enumerate(data["units"]):
        r = 3 + i
        rows[unit["id"]] = r
        sheet.cell(r, columns["id"], unit["id"])
        sheet.cell(r, columns["name"], unit.get("name"))
        sheet.cell(r, columns["category"], categories[unit["category"]])
        for key, value in unit["facts"].items():
            fact = facts[key]
            if fact.is_list:
                records.setdefault(key, []).extend((unit["id"], rec) for rec in value)
                continue
            if fact.type == "discretionary":
                if not isinstance(value, dict):  # a plain 0 needs no reason
                    value = {"value": value, "reason": None}
                sheet.cell(r, columns[key], value["value"])
                sheet.cell(r, columns[key + ".reason"], value["reason"])
                continue
            if fact.type == "boolean":
                value = "是" if value else "否"
            elif fact.type == "enum":
                value = dict(fact.values)[value]
            elif fact.type == "date" and i % 2:
                value = dt.date.fromisoformat(value)
            sheet.cell(r, columns[key], value)
    for fact in model.facts:
        if not fact.is_list:
            continue
        list_sheet = book[fact.label]
        fields = {cell.value: cell.column for cell in list_sheet[2] if cell.value}
        for j, (unit_id, record) in enumerate(records.get(fact.id, [])):
            list_sheet.cell(3 + j, fields["unit"], unit_id)
            for key, value in record.items():
                declared = next(f for f in fact.fields if f.id == key)
                if declared.type == "enum":
                    value = dict(declared.values)[value]
                list_sheet.cell(3 + j, fields[key], value)
    book.save(out)
    return rows
