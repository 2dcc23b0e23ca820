"""The one exception hierarchy of the engine. The CLI turns these into a message and exit code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MAX_SOURCE_BYTES = 1_000_000  # a rule file larger than this is not read again for a caret


class MapperError(Exception):
    """Anything mapper reports to a person. `str(error)` is the one line they read."""

    exit_code = 2


class UsageError(MapperError):
    """Bad arguments, an unknown mapping, an unreadable or invalid input file."""


@dataclass(frozen=True)
class Place:
    """Where in a rule file something was written: `file:line:column`."""

    file: str
    line: int
    column: int = 0

    def __str__(self) -> str:
        if self.column:
            return f"{self.file}:{self.line}:{self.column}"
        return f"{self.file}:{self.line}"


class RuleError(MapperError):
    """A rule file is wrong: bad YAML, fails the schema, or an expression does not compile."""

    def __init__(self, message: str, place: Place | None = None, rule_path: str = "") -> None:
        self.message = message
        self.place = place
        self.rule_path = rule_path
        prefix = f"{place}: " if place else ""
        where = f"{rule_path}: " if rule_path else ""
        super().__init__(f"{prefix}{where}{message}")

    def report(self) -> str:
        """The message as a compiler shows it: the line, then the rule file's source line
        and a caret under the place (the message alone when the line cannot be read)."""
        shown = caret_lines(self.place)
        return "\n".join([str(self), *shown])


def caret_lines(place: Place | None) -> list[str]:
    """`  <source line>` and `  ^` under the place's column, read from the place's file; no
    lines when there is no such file or line. Tabs before the column are kept so the caret
    stands under the place however wide a terminal shows them.

    Only rule files carry places in RuleErrors: a settings or secrets file is never shown.
    """
    if place is None or place.line < 1:
        return []
    path = Path(place.file)
    try:
        if not path.is_file() or path.stat().st_size > MAX_SOURCE_BYTES:
            return []
        lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return []
    if place.line > len(lines):
        return []
    source = lines[place.line - 1].rstrip()
    column = min(max(place.column, 1), len(source) + 1)
    pad = "".join("\t" if char == "\t" else " " for char in source[: column - 1])
    return [f"  {source}", f"  {pad}^"]


class MappingError(MapperError):
    """Applying the rules to one order failed: a missing or malformed field, a bad value.

    Names the order, the output field, the rule (file:line) and what was expected.
    """

    def __init__(
        self,
        message: str,
        *,
        order_id: str | None = None,
        field: str = "",
        place: Place | None = None,
    ) -> None:
        self.message = message
        self.order_id = order_id
        self.field = field
        self.place = place
        parts = []
        if place:
            parts.append(str(place))
        if order_id is not None:
            parts.append(f"order {order_id}")
        if field:
            parts.append(field)
        parts.append(message)
        super().__init__(": ".join(parts))


class ConfigError(MapperError):
    """mapper.yaml or a settings file is wrong."""


class SystemUnavailable(MapperError):
    """An external system could not be reached or refused the credentials (exit code 3).

    The message is one line naming the shop and the system and what to do, never a credential.
    """

    exit_code = 3
