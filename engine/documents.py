"""Read the input of dry-run: one JSON document, a JSON array of them, or JSON Lines.

Amounts must stay exact, so JSON numbers are parsed as Decimal. A line of JSON Lines that is
not valid JSON becomes an InputProblem for that line, and the rest are still read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .errors import UsageError


@dataclass(frozen=True)
class InputProblem:
    where: str
    message: str


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def read_documents(path: Path) -> Iterator[dict[str, Any] | InputProblem]:
    """Every document in the file, in order; problems with single JSON Lines are yielded."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    stripped = text.strip()
    if not stripped:
        raise UsageError(f"{path}: the file is empty; expected a JSON order document")
    try:
        data = _loads(stripped)
    except json.JSONDecodeError as whole_error:
        if "\n" not in stripped:
            raise UsageError(
                f"{path}: invalid JSON at line {whole_error.lineno} column {whole_error.colno}: "
                f"{whole_error.msg}"
            ) from None
        yield from _json_lines(path, stripped)
        return
    if isinstance(data, list):
        for index, item in enumerate(data):
            yield _document(item, f"{path}[{index}]")
    else:
        yield _document(data, str(path))


def _json_lines(path: Path, text: str) -> Iterator[dict[str, Any] | InputProblem]:
    lines = text.splitlines()
    if not lines[0].lstrip().startswith("{") or not lines[0].rstrip().endswith("}"):
        try:
            _loads(text)
        except json.JSONDecodeError as error:
            raise UsageError(
                f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
            ) from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield _document(_loads(line), f"{path}:{number}")
        except json.JSONDecodeError as error:
            yield InputProblem(
                f"{path}:{number}", f"invalid JSON at column {error.colno}: {error.msg}"
            )


def _document(data: Any, where: str) -> dict[str, Any] | InputProblem:
    if not isinstance(data, dict):
        return InputProblem(
            where, f"expected a JSON object (an order document), got {type(data).__name__}"
        )
    return data
