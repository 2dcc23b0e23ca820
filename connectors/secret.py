"""A credential that cannot slip into a log, an error message or a repr by accident."""

from __future__ import annotations


class Secret:
    """Holds a credential; `reveal()` is the only way to its value."""

    __slots__ = ("_value", "origin")

    def __init__(self, value: str, origin: str = "") -> None:
        self._value = value
        self.origin = origin  # where it came from (e.g. "env YUKI_KEY"), safe to show

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.origin}, ***)" if self.origin else "<secret>"

    __str__ = __repr__
