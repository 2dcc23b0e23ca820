"""Unknown keys refused, with a "did you mean": a mistyped key must never be silently ignored.

A settings schema is closed: an object schema that lists `properties` and says nothing of
`additionalProperties` or `patternProperties` takes only the keys it lists. (A rule set that
wants an open object says `additionalProperties: true`.)
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator, Mapping
from typing import Any

Path = tuple[str | int, ...]


def did_you_mean(key: str, known: Collection[str]) -> str:
    """`, did you mean 'shop_country'?` — or the keys that were expected, when none is close.

    >>> did_you_mean("shop_contry", ["shop_country", "currencies"])
    ", did you mean 'shop_country'?"
    >>> did_you_mean("colour", ["process", "layout"])
    ' (expected one of: layout, process)'
    """
    close = suggestion(key, known)
    if close:
        return close
    if not known:
        return " (none is expected here)"
    return f" (expected one of: {', '.join(sorted(known))})"


def suggestion(key: str, known: Collection[str]) -> str:
    """`, did you mean 'iDeal'?` when one of `known` is close to `key`, else nothing.

    >>> suggestion("prestashp", ["prestashop", "lightspeed"])
    ", did you mean 'prestashop'?"
    >>> suggestion("woocommerce", ["prestashop", "lightspeed"])
    ''
    """
    close = difflib.get_close_matches(key, list(known), n=1)
    return f", did you mean {close[0]!r}?" if close else ""


def dotted(path: Path) -> str:
    """A key's path as written in messages: `shops.0.settings` (jsonschema's own numbering)."""
    return ".".join(str(part) for part in path)


def unknown_keys(value: Any, schema: Any, path: Path = ()) -> Iterator[tuple[Path, list[str]]]:
    """(path of the unknown key, the keys allowed beside it) for every key `schema` does not
    list, depth first in the order written."""
    if not isinstance(schema, Mapping):
        return
    if isinstance(value, Mapping):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        closed = (
            isinstance(properties, Mapping) and extra is None and "patternProperties" not in schema
        ) or extra is False
        allowed = [str(k) for k in properties] if isinstance(properties, Mapping) else []
        for key, item in value.items():
            if isinstance(properties, Mapping) and key in properties:
                yield from unknown_keys(item, properties[key], (*path, key))
            elif closed:
                yield (*path, key), allowed
            elif isinstance(extra, Mapping):
                yield from unknown_keys(item, extra, (*path, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            yield from unknown_keys(item, schema["items"], (*path, index))
