"""The CSV form of a referral record: one row per referral, one column per field.

Nested objects become dotted columns (`details.dealValue`); lists (team, solutions, parties,
stage marks) and the registration form are JSON text in one column each, so a row holds the
whole record and a spreadsheet still sorts and filters on the plain columns. The header is
the same for every file, whatever the rows hold.
"""

from __future__ import annotations

import csv
import io
import json
import types
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from cosell_tui.exchange.records import Part, ReferralRecord


def _model_of(annotation: Any) -> type[Part] | None:
    """The record part a field holds (also when optional), or None for a plain value."""
    if isinstance(annotation, type) and issubclass(annotation, Part):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        parts = [a for a in get_args(annotation) if a is not type(None)]
        if len(parts) == 1:
            return _model_of(parts[0])
    return None


@cache
def _layout() -> tuple[tuple[str, ...], frozenset[str]]:
    """The CSV's columns, in the record's order, and those whose cells hold JSON (lists, and
    the registration's free-form `form`)."""
    names: list[str] = []
    json_columns: set[str] = set()

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            key = prefix + (info.alias or name)
            part = _model_of(info.annotation)
            if part is not None:
                walk(part, key + ".")
                continue
            names.append(key)
            if _container(info.annotation):
                json_columns.add(key)

    walk(ReferralRecord, "")
    return tuple(names), frozenset(json_columns)


def columns() -> tuple[str, ...]:
    return _layout()[0]


def _flatten(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        if isinstance(value, dict) and f"{prefix}{key}" not in _JSON_COLUMNS:
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _container(annotation: Any) -> bool:
    if get_origin(annotation) in (list, dict):
        return True
    return get_origin(annotation) in (Union, types.UnionType) and any(
        _container(a) for a in get_args(annotation)
    )


_JSON_COLUMNS = _layout()[1]


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column in _JSON_COLUMNS:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_lines(found: Iterable[ReferralRecord]) -> Iterator[str]:
    header = columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for record in found:
        flat = dict(_flatten(record.model_dump(by_alias=True, mode="json")))
        writer.writerow([_cell(column, flat.get(column)) for column in header])
        if buffer.tell() > 1 << 16:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


class CsvShapeError(ValueError):
    """The file is not a CSV of referral records; the text says why."""


def read_rows(text: str) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """Each data row as a nested record (for the model to validate), with any cell that is
    not valid JSON where JSON belongs reported by column."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise CsvShapeError("The file is empty.")
    header = [name.strip().lstrip("\ufeff") for name in header]
    if len(header) == 1 and ";" in header[0]:
        raise CsvShapeError(
            "Its columns are separated by semicolons; import reads commas, as export writes."
        )
    required = ("name", "substatus", "direction", "details.dealValue", "location.city")
    missing = [name for name in required if name not in header]
    if missing:
        raise CsvShapeError(
            f"The CSV has no column {missing[0]}"
            + (f" (nor {', '.join(missing[1:])})" if len(missing) > 1 else "")
            + "; export a file to see the columns."
        )
    rows: list[tuple[dict[str, Any], dict[str, str]]] = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        nested: dict[str, Any] = {}
        bad: dict[str, str] = {}
        for name, cell in zip(header, cells, strict=False):
            if cell == "":
                continue
            value: Any = cell
            if name in _JSON_COLUMNS:
                try:
                    value = json.loads(cell)
                except ValueError:
                    bad[name] = "This cell must hold JSON, as export writes it."
                    continue
            target = nested
            *parents, leaf = name.split(".")
            for parent in parents:
                target = target.setdefault(parent, {})
            target[leaf] = value
        rows.append((nested, bad))
    return rows
