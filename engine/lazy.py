"""Imports on demand: a name that stands for `module.attribute` and imports it when first used.

`mapper --help` should not pay for sqlalchemy, jsonschema, httpx or the simulators; a command
imports what it uses when it runs. A `Lazy` is called, read, iterated and used in `isinstance`
like what it stands for.

>>> sqrt = Lazy("math", "sqrt")
>>> sqrt(9.0)
3.0
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any


class Lazy:
    """`module.attribute`, imported the first time it is used (`package` for relative names)."""

    __slots__ = ("_module", "_attribute", "_package", "_target")

    def __init__(self, module: str, attribute: str, package: str | None = None) -> None:
        self._module, self._attribute, self._package = module, attribute, package
        self._target: Any = _UNSET

    def resolve(self) -> Any:
        """What the name stands for (imported now, the first time)."""
        if self._target is _UNSET:
            module = importlib.import_module(self._module, self._package)
            self._target = getattr(module, self._attribute)
        return self._target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.resolve(), name)

    def __instancecheck__(self, instance: Any) -> bool:
        return isinstance(instance, self.resolve())

    def __iter__(self) -> Iterator[Any]:
        return iter(self.resolve())

    def __getitem__(self, key: Any) -> Any:
        return self.resolve()[key]

    def __contains__(self, item: Any) -> bool:
        return item in self.resolve()

    def __len__(self) -> int:
        return len(self.resolve())

    def __truediv__(self, other: Any) -> Any:
        return self.resolve() / other

    def __repr__(self) -> str:
        return f"Lazy({self._module!r}, {self._attribute!r})"


_UNSET = object()
