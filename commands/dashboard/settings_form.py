"""The Configuration form, generated from a rule set's settings schema, and read back.

Each top-level setting of the schema becomes one field, by the shape of its schema:
a boolean a checkbox; an enum (or a setting the accounting system has a list for) a drop-down;
a list of values one text field (comma-separated); a list of objects (VAT codes) a table with a
column per property and empty rows to add; an object of objects (payment methods) the same with
a first column for the key; an object with fixed properties (the rounding line) a group of
fields. Form names are the setting's path (`yuki.vat_codes.2.type`), which is also how a
problem is named to the person. Reading the form back gives typed values (whole numbers as
numbers, never floats) and the problems with the field they belong to; the schema itself then
judges the result (see configuration.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

BLANK_ROWS = 2
KEY = "@key"
VALUE = "@value"
WHOLE = re.compile(r"^-?[0-9]+$")

Choices = Mapping[str, Sequence[tuple[str, str]]]  # choice kind → (value, label)


@dataclass
class Column:
    """One column of a table: a property of its rows."""

    name: str
    kind: str  # text | select | checkbox
    options: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Field:
    """One field of the form (a group holds fields; a table holds rows of cells)."""

    name: str  # the form name: rule set and path, dotted
    label: str
    kind: str  # checkbox | select | text | list | table | group
    value: Any = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    required: bool = False
    columns: list[Column] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    children: list[Field] = field(default_factory=list)
    error: str = ""


def _types(schema: Mapping[str, Any]) -> set[str]:
    found = schema.get("type", [])
    return {found} if isinstance(found, str) else set(found)


def _choice_kind(name: str, choice_fields: Mapping[str, str]) -> str | None:
    return choice_fields.get(name)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _options(
    schema: Mapping[str, Any],
    name: str,
    value: Any,
    choices: Choices,
    choice_fields: Mapping[str, str],
) -> list[tuple[str, str]] | None:
    """The drop-down of a scalar, or None for a text field. The value already set is always
    an option, marked when the accounting system does not list it."""
    kind = _choice_kind(name, choice_fields)
    if kind is not None and choices.get(kind):
        options = [(str(v), label) for v, label in choices[kind]]
    elif "enum" in schema:
        options = [(_text(v), _text(v)) for v in schema["enum"]]
    else:
        return None
    current = _text(value)
    if current and current not in {v for v, _ in options}:
        options.append((current, f"{current} (not in the list of the accounting system)"))
    return [("", "—"), *options]


def _column(
    name: str, schema: Mapping[str, Any], choices: Choices, choice_fields: Mapping[str, str]
) -> Column:
    if "boolean" in _types(schema):
        return Column(name, "checkbox")
    options = _options(schema, name, "", choices, choice_fields)
    return Column(name, "select", options) if options is not None else Column(name, "text")


def _cell_options(column: Column, value: Any) -> Column:
    """A select column whose options hold this row's value too."""
    if column.kind != "select" or _text(value) in {v for v, _ in column.options}:
        return column
    extra = (_text(value), f"{_text(value)} (not in the list of the accounting system)")
    return Column(column.name, column.kind, [*column.options, extra])


def build_fields(
    rule_set: str,
    schema: Mapping[str, Any],
    values: Mapping[str, Any],
    choices: Choices,
    choice_fields: Mapping[str, str],
) -> list[Field]:
    """The form's fields of one rule set, holding `values` (its settings as they stand)."""
    required = set(schema.get("required", []))
    return [
        _field(
            f"{rule_set}.{name}",
            name,
            sub,
            values.get(name),
            choices,
            choice_fields,
            name in required,
        )
        for name, sub in (schema.get("properties") or {}).items()
    ]


def _field(
    form_name: str,
    label: str,
    schema: Mapping[str, Any],
    value: Any,
    choices: Choices,
    choice_fields: Mapping[str, str],
    required: bool,
) -> Field:
    types = _types(schema)
    if "boolean" in types:
        return Field(form_name, label, "checkbox", bool(value), required=required)
    if "array" in types:
        items = schema.get("items") or {}
        if "object" in _types(items):
            columns = [
                _column(name, sub, choices, choice_fields)
                for name, sub in (items.get("properties") or {}).items()
            ]
            rows = [[row.get(c.name) for c in columns] for row in value or []]
            return _table(form_name, label, columns, rows, required)
        return Field(
            form_name, label, "list", ", ".join(_text(v) for v in value or []), required=required
        )
    if "object" in types:
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping):
            if "object" in _types(extra):
                columns = [
                    _column(name, sub, choices, choice_fields)
                    for name, sub in (extra.get("properties") or {}).items()
                ]
                rows = [
                    [key, *(item.get(c.name) for c in columns)]
                    for key, item in (value or {}).items()
                ]
                return _table(form_name, label, [Column(KEY, "text"), *columns], rows, required)
            # The value column of this setting's table: `ledger_accounts.@value` in
            # CHOICE_FIELDS, so two such tables of one rule set can list different things.
            own = f"{form_name.rsplit('.', 1)[-1]}.{VALUE}"
            kinds = {VALUE: choice_fields[own]} if own in choice_fields else choice_fields
            column = _column(VALUE, extra, choices, kinds)
            rows = [[key, item] for key, item in (value or {}).items()]
            return _table(form_name, label, [Column(KEY, "text"), column], rows, required)
        children = [
            _field(
                f"{form_name}.{name}",
                name,
                sub,
                (value or {}).get(name),
                choices,
                choice_fields,
                name in set(schema.get("required", [])),
            )
            for name, sub in (schema.get("properties") or {}).items()
        ]
        return Field(form_name, label, "group", children=children, required=required)
    options = _options(schema, label, value, choices, choice_fields)
    if options is not None:
        return Field(form_name, label, "select", _text(value), options, required=required)
    return Field(form_name, label, "text", _text(value), required=required)


def _table(
    form_name: str, label: str, columns: list[Column], rows: list[list[Any]], required: bool
) -> Field:
    blank: list[list[Any]] = [[None] * len(columns) for _ in range(BLANK_ROWS)]
    shown = [[(_cell_options(c, v), v) for c, v in zip(columns, row)] for row in rows + blank]
    return Field(form_name, label, "table", columns=columns, rows=shown, required=required)


# -- reading the form back --------------------------------------------------------------------


@dataclass
class Parsed:
    """A rule set's settings as the form holds them, and the problems by field name."""

    values: dict[str, Any]
    problems: dict[str, str]
    # The form name of each value path, so the schema's verdict names the field it is about.
    names: dict[tuple[str | int, ...], str]


def read_form(rule_set: str, schema: Mapping[str, Any], form: Mapping[str, str]) -> Parsed:
    """Typed settings from the POSTed `form` for every top-level setting of `schema`."""
    parsed = Parsed({}, {}, {})
    for name, sub in (schema.get("properties") or {}).items():
        found = _read(f"{rule_set}.{name}", (name,), sub, form, parsed)
        if found is not _ABSENT:
            parsed.values[name] = found
    return parsed


_ABSENT: Any = object()


def _scalar(form_name: str, schema: Mapping[str, Any], text: str, parsed: Parsed) -> Any:
    """The typed value of one text; _ABSENT when empty."""
    text = text.strip()
    types = _types(schema)
    if not text:
        return "" if types == {"string"} else _ABSENT
    if types & {"integer", "number"}:
        if WHOLE.match(text):
            return int(text)
        if "string" in types:
            return text
        parsed.problems[form_name] = f"{form_name}: {text!r} is not a whole number"
        return _ABSENT
    return text


def _read(
    form_name: str,
    path: tuple[str | int, ...],
    schema: Mapping[str, Any],
    form: Mapping[str, str],
    parsed: Parsed,
) -> Any:
    parsed.names[path] = form_name
    types = _types(schema)
    if "boolean" in types:
        return form.get(form_name) in ("on", "true", "1")
    if "array" in types:
        items = schema.get("items") or {}
        if "object" in _types(items):
            props = items.get("properties") or {}
            rows: list[dict[str, Any]] = []
            for index, cells in _rows(form_name, form):
                row = _row(form_name, index, props, cells, parsed)
                if row:
                    parsed.names[(*path, len(rows))] = f"{form_name}.{index}"
                    for key in row:
                        parsed.names[(*path, len(rows), key)] = f"{form_name}.{index}.{key}"
                    rows.append(row)
            return rows
        text = form.get(form_name, "")
        parts = [part.strip() for part in text.split(",") if part.strip()]
        return [
            v for v in (_scalar(form_name, items, p, parsed) for p in parts) if v is not _ABSENT
        ]
    if "object" in types:
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping):
            result: dict[str, Any] = {}
            for index, cells in _rows(form_name, form):
                key = cells.get(KEY, "").strip()
                if "object" in _types(extra):
                    item: Any = _row(form_name, index, extra.get("properties") or {}, cells, parsed)
                    if not item and not key:
                        continue
                    for prop in item:
                        parsed.names[(*path, key, prop)] = f"{form_name}.{index}.{prop}"
                else:
                    if not key and not cells.get(VALUE, "").strip():
                        continue
                    item = _scalar(
                        f"{form_name}.{index}.{VALUE}", extra, cells.get(VALUE, ""), parsed
                    )
                    if item is _ABSENT and not key:
                        continue
                    if item is _ABSENT:
                        item = ""
                if not key:
                    parsed.problems[f"{form_name}.{index}.{KEY}"] = (
                        f"{form_name}.{index}: a row without a name"
                    )
                    continue
                if key in result:
                    parsed.problems[f"{form_name}.{index}.{KEY}"] = (
                        f"{form_name}.{index}: {key!r} is in the list twice"
                    )
                    continue
                parsed.names[(*path, key)] = f"{form_name}.{index}.{KEY}"
                result[key] = item
            return result
        group: dict[str, Any] = {}
        for name, sub in (schema.get("properties") or {}).items():
            found = _read(f"{form_name}.{name}", (*path, name), sub, form, parsed)
            if found is not _ABSENT:
                group[name] = found
        return group
    return _scalar(form_name, schema, form.get(form_name, ""), parsed)


def _rows(form_name: str, form: Mapping[str, str]) -> list[tuple[int, dict[str, str]]]:
    """The rows of a table in the form, by index: `{form_name}.{index}.{column}`."""
    prefix = f"{form_name}."
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        if not key.startswith(prefix):
            continue
        index, dot, column = key[len(prefix) :].partition(".")
        if dot and index.isdigit():
            rows.setdefault(int(index), {})[column] = value
    return sorted(rows.items())


def _row(
    form_name: str,
    index: int,
    props: Mapping[str, Any],
    cells: Mapping[str, str],
    parsed: Parsed,
) -> dict[str, Any]:
    """One table row as an object; {} when every cell was left empty."""
    row: dict[str, Any] = {}
    for name, sub in props.items():
        if "boolean" in _types(sub):
            if cells.get(name) in ("on", "true", "1"):
                row[name] = True
            continue
        text = cells.get(name, "")
        if not text.strip():
            continue
        found = _scalar(f"{form_name}.{index}.{name}", sub, text, parsed)
        if found is not _ABSENT:
            row[name] = found
    return row


def refill(sections: Sequence[Any], form: Mapping[str, str], problems: Mapping[str, str]) -> None:
    """After a refused save: every field holds what was typed, with its problems."""
    for section in sections:
        for entry in section.fields:
            _refill(entry, form, problems)


def _refill(entry: Field, form: Mapping[str, str], problems: Mapping[str, str]) -> None:
    mine = [
        text
        for name, text in problems.items()
        if name == entry.name or name.startswith(f"{entry.name}.")
    ]
    entry.error = "; ".join(mine)
    if entry.kind == "checkbox":
        entry.value = form.get(entry.name) in ("on", "true", "1")
    elif entry.kind in ("select", "text", "list"):
        entry.value = form.get(entry.name, "")
        if entry.kind == "select" and entry.value not in {v for v, _ in entry.options}:
            entry.options = [*entry.options, (entry.value, entry.value)]
    elif entry.kind == "group":
        for child in entry.children:
            _refill(child, form, problems)
    elif entry.kind == "table":
        rows = [
            [cells.get(c.name, "") for c in entry.columns] for _, cells in _rows(entry.name, form)
        ]
        entry.rows = [
            [(_cell_options(c, v), v) for c, v in zip(entry.columns, row)] for row in rows
        ]
