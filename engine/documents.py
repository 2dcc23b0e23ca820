"""Read the input of dry-run: one JSON document, a JSON array of them, or JSON Lines.

Amounts must stay exact, so JSON numbers are parsed as Decimal. A line of JSON Lines that is
not valid JSON becomes an InputProblem for that line, and the rest are still read.

Documents are bounded: nested at most MAX_INPUT_DEPTH deep, numbers of at most
MAX_NUMBER_CHARS characters (exponents within ±MAX_EXPONENT), texts of at most MAX_SIZE
characters, no lone surrogates (`\\ud800`, which no UTF-8 output can carry). A document past a
limit is one InputProblem naming where in it, and the other documents of the file are read.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from .errors import UsageError
from .rules.limits import MAX_SIZE

MAX_INPUT_DEPTH = 64  # objects and lists within each other in one order document
MAX_NUMBER_CHARS = 100  # characters of one JSON number
MAX_EXPONENT = 1000  # |exponent| of a number like 1e400


@dataclass(frozen=True)
class InputProblem:
    where: str
    message: str


class _BadNumber:
    """A number past the limits, kept as its text until the document is checked."""

    def __init__(self, text: str, problem: str) -> None:
        self.text, self.problem = text, problem
        _DECODING.bad_numbers = _bad_numbers_made() + 1


# How many _BadNumbers this thread's decoding has made (`_looked_over` asks whether a
# document's decoding made any).
_DECODING = threading.local()


def _number(text: str) -> Decimal | _BadNumber:
    if len(text) > MAX_NUMBER_CHARS:
        return _BadNumber(text, f"a number of {len(text)} characters is too long")
    value = Decimal(text)
    if value and abs(value.adjusted()) > MAX_EXPONENT:
        return _BadNumber(text, f"the number {text} is out of range")
    return value


def _integer(text: str) -> int | _BadNumber:
    if len(text) > MAX_NUMBER_CHARS:
        return _BadNumber(text, f"a number of {len(text)} digits is too long")
    return int(text)


def _constant(text: str) -> _BadNumber:
    return _BadNumber(text, f"{text} is not a number an order can hold")


def _loads(text: str) -> Any:
    return _DECODER.decode(text)


def _decoded(decode: Callable[..., Any], *args: Any) -> tuple[Any, bool]:
    """`decode(*args)` (`_loads`, the decoder's `raw_decode`), and whether a number it read
    is past the limits."""
    before = _bad_numbers_made()
    data = decode(*args)
    return data, _bad_numbers_made() != before


def _bad_numbers_made() -> int:
    return int(getattr(_DECODING, "bad_numbers", 0))


def _looked_over(
    data: Any, text: str, bad_numbers: bool, start: int = 0, end: int | None = None
) -> tuple[bool, bool]:
    """(whether `text[start:end]`, which `data` was decoded from, escapes a surrogate;
    whether `_problem` would find something in `data`). A document is looked over on every
    read and nearly all are fine: one whose decoding made no bad number, that escapes no
    surrogate, is too short to hold a text too long and has too few brackets to nest too deep
    is let through without a walk."""
    end = len(text) if end is None else end
    surrogates = _ESCAPED_SURROGATE.search(text, start, end) is not None
    plainly_fine = (
        not bad_numbers
        and not surrogates
        and end - start <= MAX_SIZE
        and text.count("{", start, end) + text.count("[", start, end) <= MAX_INPUT_DEPTH
    )
    found = not plainly_fine and _has_problem(data, surrogates, end - start > MAX_SIZE)
    return surrogates, found


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]')


def _escapes_surrogates(text: str) -> bool:
    return _ESCAPED_SURROGATE.search(text) is not None


def _problem(data: Any, surrogates: bool) -> str | None:
    """What in a parsed document is past the limits (with where), or None. `surrogates`: the
    text escapes a surrogate (only then are texts checked for lone ones)."""
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(data, 0, ())]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, dict):
            items: Any = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            problem = _value_problem(value, surrogates)
            if problem is not None:
                return f"{_where(path)}{problem}"
            continue
        if depth >= MAX_INPUT_DEPTH:
            return f"{_where(path)}nested more than {MAX_INPUT_DEPTH} levels deep"
        for key, child in items:
            if surrogates and isinstance(key, str) and _lone_surrogate(key):
                return f"{_where(path)}a key contains a lone surrogate, which is not text"
            stack.append((child, depth + 1, (*path, key)))
    return None


def _has_problem(data: Any, surrogates: bool, long_texts: bool = True) -> bool:
    """Whether `_problem` finds something, found without keeping where: a document is looked
    over whole on every read, and nearly all of them are fine (only then is it walked again,
    by `_problem`, to say where). `long_texts`: the document's text is long enough to hold a
    text past the limit (else texts are not measured)."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    texts = long_texts or surrogates
    while stack:
        value, depth = stack.pop()
        kind = type(value)
        if kind is dict:
            if surrogates and any(type(k) is str and _lone_surrogate(k) for k in value):
                return True
            children: Any = value.values()
        elif kind is list:
            children = value
        else:
            return _value_problem(value, surrogates) is not None
        if depth >= MAX_INPUT_DEPTH:
            return True
        for child in children:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is str:
                if texts and (len(child) > MAX_SIZE or (surrogates and _lone_surrogate(child))):
                    return True
            elif kind is _BadNumber:
                return True
    return False


def _value_problem(value: Any, surrogates: bool) -> str | None:
    if isinstance(value, _BadNumber):
        return value.problem
    if type(value) is str:
        if len(value) > MAX_SIZE:
            return f"a text of {len(value)} characters is too long (at most {MAX_SIZE})"
        if surrogates:
            char = _lone_surrogate(value)
            if char:
                return f"contains a lone surrogate (U+{ord(char):04X}), which is not text"
    return None


def _lone_surrogate(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return text[error.start]
    return ""


def _where(path: tuple[Any, ...]) -> str:
    if not path:
        return ""
    shown = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)
    shown = shown.lstrip(".")
    return f"{shown if len(shown) <= 60 else shown[:40] + '…' + shown[-19:]}: "


def _deeper_than(text: str, limit: int) -> bool:
    """Whether brackets nest past `limit` in JSON text (quoted text skipped), without parsing."""
    depth = 0
    for token in _TOKENS.findall(text):
        if token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


def _elements(text: str) -> Iterator[str]:
    """The texts of the elements of the JSON array `text`, split without parsing them."""
    depth, start = 0, 1
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
        elif token in "]}":
            depth -= 1
            if depth == 0:
                if text[start : match.start()].strip():
                    yield text[start : match.start()]
                return
        elif token == "," and depth == 1:
            yield text[start : match.start()]
            start = match.end()


CHUNK = 1 << 16  # characters read at a time: memory stays flat however long the file is
_DECODER = json.JSONDecoder(parse_float=_number, parse_int=_integer, parse_constant=_constant)
_SPACE = " \t\n\r"


def read_documents(path: Path) -> Iterator[dict[str, Any] | InputProblem]:
    """Every document in the file, in order; problems with single documents are yielded.

    Streamed: JSON Lines are read line by line and a JSON array element by element, so only
    one document is in memory at a time. Anything else is read whole (one document)."""
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror}") from None
    with handle:
        try:
            yield from _read(path, handle)
        except UnicodeDecodeError:
            raise UsageError(f"{path}: not UTF-8 text") from None
        except OSError as error:
            raise UsageError(f"{path}: cannot read: {error.strerror}") from None


def _read(path: Path, handle: TextIO) -> Iterator[dict[str, Any] | InputProblem]:
    head = ""
    while not head.strip():
        chunk = handle.read(CHUNK)
        if not chunk:
            raise UsageError(f"{path}: the file is empty; expected a JSON order document")
        head += chunk
    first = head.lstrip(_SPACE)[:1]
    if first == "[":
        yield from _array(path, handle, head)
        return
    if first == "{":
        line, newline, rest = head.lstrip(_SPACE).partition("\n")
        while not newline:
            chunk = handle.read(CHUNK)
            if not chunk:
                break
            line, newline, rest = (line + chunk).partition("\n")
        document = _one_line(line)
        if document is not None:
            yield from _lines(path, handle, (document, line), rest)
            return
        head = line + newline + rest
    yield from _whole(path, head + handle.read())


def _one_line(line: str) -> Any:
    """The document a first line holds whole, else None (then the file is read whole)."""
    stripped = line.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return None
    try:
        return _loads(stripped)
    except (json.JSONDecodeError, RecursionError):
        return None


def _lines(
    path: Path, handle: TextIO, first: tuple[Any, str], rest: str
) -> Iterator[dict[str, Any] | InputProblem]:
    """JSON Lines, one at a time. A file of one line is one document (named by the path)."""
    held: tuple[Any, str] | None = first  # the first line, until we know it is not the only one
    number = 1
    pending = rest.split("\n")
    tail = pending.pop()  # the start of a line the next chunk goes on with
    while True:
        for line in pending:
            number += 1
            if not line.strip():
                continue
            if held is not None:
                yield _document(held[0], f"{path}:1", _escapes_surrogates(held[1]))
                held = None
            yield _parsed(line, f"{path}:{number}")
        chunk = handle.read(CHUNK)
        if not chunk:
            break
        pending = (tail + chunk).split("\n")
        tail = pending.pop()
    if tail.strip():
        if held is not None:
            yield _document(held[0], f"{path}:1", _escapes_surrogates(held[1]))
            held = None
        yield _parsed(tail, f"{path}:{number + 1}")
    if held is not None:
        yield _document(held[0], str(path), _escapes_surrogates(held[1]))


def _array(path: Path, handle: TextIO, head: str) -> Iterator[dict[str, Any] | InputProblem]:
    """A JSON array, element by element: each is decoded once it is wholly in the buffer."""
    buffer, position = head, head.index("[") + 1
    start = position  # where the element's text begins (after `[` or `,`: as it was written)
    lines_before = 0  # newlines before `buffer` (for the line of an error)
    index, expect_value = 0, True
    while True:
        position = _skip_space(buffer, position)
        if position >= len(buffer):
            chunk = handle.read(CHUNK)
            if not chunk:
                raise UsageError(f"{path}: invalid JSON: the array is not closed")
            lines_before += buffer.count("\n")
            buffer, position, start = chunk, 0, 0
            continue
        char = buffer[position]
        if char == "]" and (index == 0 or not expect_value):
            rest = buffer[position + 1 :] + handle.read()
            if rest.strip():
                line = lines_before + buffer.count("\n", 0, position) + 1
                raise UsageError(f"{path}: invalid JSON at line {line}: extra data after the array")
            return
        if char == "," and not expect_value:
            position, expect_value = position + 1, True
            start = position
            continue
        if not expect_value or char in ",]":
            line = lines_before + buffer.count("\n", 0, position) + 1
            wanted = "a value" if expect_value else "',' or ']'"
            raise UsageError(f"{path}: invalid JSON at line {line}: expected {wanted}")
        where = f"{path}[{index}]"
        try:
            (value, end), bad_numbers = _decoded(_DECODER.raw_decode, buffer, position)
            if end == len(buffer) and char not in '[{"':  # a number may go on
                raise json.JSONDecodeError("unfinished", buffer, end)
        except (json.JSONDecodeError, RecursionError) as error:
            if char in "[{":  # the element's end by its brackets; then decoded alone
                found = _element_end(handle, buffer, position)
                if found is None:
                    raise UsageError(f"{path}: invalid JSON: the array is not closed") from None
                buffer, end = found
                yield _parsed(buffer[start:end], where)
            else:
                chunk = handle.read(CHUNK)
                if chunk:
                    buffer += chunk
                    continue
                if not isinstance(error, json.JSONDecodeError) or error.msg != "unfinished":
                    raise _invalid(path, error, lines_before) from None  # type: ignore[arg-type]
                yield _document(value, where, False)
        else:
            surrogates, suspect = _looked_over(value, buffer, bad_numbers, position, end)
            yield _document(value, where, surrogates, suspect)
        index += 1
        expect_value = False
        lines_before += buffer.count("\n", 0, end)
        buffer, position = buffer[end:], 0


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in _SPACE:
        position += 1
    return position


def _invalid(path: Path, error: json.JSONDecodeError, lines_before: int) -> UsageError:
    return UsageError(
        f"{path}: invalid JSON at line {lines_before + error.lineno} column {error.colno}: "
        f"{error.msg}"
    )


_SCAN = re.compile(r'"(?:[^"\\]|\\.)*"|"|[\[\]{}]')  # a lone `"`: a text not ended yet


def _element_end(handle: TextIO, buffer: str, position: int) -> tuple[str, int] | None:
    """(buffer, end) of the element starting at `position` by its brackets alone, reading on
    as needed (for an element the decoder refused or could not finish)."""
    while True:
        depth = 0
        for match in _SCAN.finditer(buffer, position):
            token = match.group()
            if token == '"':
                break  # a text goes on in the next chunk
            if token in "[{":
                depth += 1
            elif token in "]}":
                depth -= 1
                if depth == 0:
                    return buffer, match.end()
        chunk = handle.read(max(CHUNK, len(buffer) - position))
        if not chunk:
            return None
        buffer += chunk


def _whole(path: Path, text: str) -> Iterator[dict[str, Any] | InputProblem]:
    """A file read whole: one document (or, failing that, JSON Lines)."""
    stripped = text.strip()
    if not stripped:
        raise UsageError(f"{path}: the file is empty; expected a JSON order document")
    try:
        data = _loads(stripped)
    except RecursionError:
        yield from _deep_file(path, stripped)
        return
    except json.JSONDecodeError as whole_error:
        if "\n" not in stripped:
            raise UsageError(
                f"{path}: invalid JSON at line {whole_error.lineno} column {whole_error.colno}: "
                f"{whole_error.msg}"
            ) from None
        yield from _json_lines(path, stripped)
        return
    surrogates = _escapes_surrogates(stripped)
    if isinstance(data, list):
        for index, item in enumerate(data):
            yield _document(item, f"{path}[{index}]", surrogates)
    else:
        yield _document(data, str(path), surrogates)


def _deep_file(path: Path, text: str) -> Iterator[dict[str, Any] | InputProblem]:
    """A file too deep for the JSON parser: its documents one by one, the deep ones refused."""
    if not text.startswith("["):
        yield _too_deep(str(path))
        return
    for index, element in enumerate(_elements(text)):
        where = f"{path}[{index}]"
        yield _parsed(element, where)


def _parsed(text: str, where: str) -> dict[str, Any] | InputProblem:
    """One document's text: decoded, then looked over; too deep a document is refused as
    such (without saying where), whatever else is wrong with it."""
    try:
        data, bad_numbers = _decoded(_loads, text)
    except RecursionError:
        return _too_deep(where)
    except json.JSONDecodeError as error:
        if _deeper_than(text, MAX_INPUT_DEPTH):
            return _too_deep(where)
        return InputProblem(where, f"invalid JSON at column {error.colno}: {error.msg}")
    surrogates, found = _looked_over(data, text, bad_numbers)
    if found and _deeper_than(text, MAX_INPUT_DEPTH):
        return _too_deep(where)
    return _document(data, where, surrogates, found)


def _too_deep(where: str) -> InputProblem:
    return InputProblem(where, f"nested more than {MAX_INPUT_DEPTH} levels deep")


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
        yield _parsed(line, f"{path}:{number}")


def _document(
    data: Any, where: str, surrogates: bool, found: bool | None = None
) -> dict[str, Any] | InputProblem:
    """`data` if it is an order document within the limits, else what is wrong with it.
    `found`: what `_has_problem` said of it, when the caller has asked."""
    if not isinstance(data, dict):
        return InputProblem(
            where, f"expected a JSON object (an order document), got {type(data).__name__}"
        )
    if found is None:
        found = _has_problem(data, surrogates)
    problem = _problem(data, surrogates) if found else None
    if problem is not None:
        return InputProblem(where, problem)
    return data
