"""How large a value a rule may build: one size limit, checked where values are made.

Every text a rule makes, and every list or object counted in full (nested items and the
characters of their texts, shared parts counted each time they occur), holds at most
`MAX_SIZE` characters or items; a number at most `MAX_DIGITS` digits. The checks sit where a
value can grow past what went in — repetition, padding, joining, replacing, batching,
concatenation, `| string` of a list — so a chain of `let`s that doubles a text fails at the
step that crosses the limit, and nothing is walked after the fact. A check that fails raises
SecurityError, which the compiler reports as "refused by the sandbox: …" for the order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.filters import do_batch, do_int, do_slice, do_sum

MAX_SIZE = 100_000  # characters of a text, or items of a list counted in full
MAX_DIGITS = 1_000  # digits of a number
MAX_NESTING = 64  # lists and objects within each other
_INT_BOUND = 10**MAX_DIGITS


def too_large(what: str) -> SecurityError:
    return SecurityError(f"{what} is too large for a rule (at most {MAX_SIZE} characters or items)")


def _text_too_large(length: int) -> SecurityError:
    return too_large(f"a text of {length} characters")


def _number_too_large() -> SecurityError:
    return SecurityError(f"a number of more than {MAX_DIGITS} digits is too large for a rule")


def full_size(value: Any, budget: int = MAX_SIZE) -> int:
    """Items and characters in `value`, nested containers counted in full; stops counting once
    past `budget` (so the walk costs at most `budget` steps). Too deep a nesting is refused."""
    if type(value) is str:
        return len(value)
    if type(value) is list and len(value) <= 64:  # the common case: a few texts or numbers
        flat = 0 if value else 1
        for item in value:
            kind = type(item)
            if kind is str:
                flat += len(item)
            elif kind is Decimal or kind is int or kind is bool or item is None:
                flat += 1
            else:
                break
        else:
            return flat
    total = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is str:
            total += len(item)
        elif kind is list or kind is tuple or isinstance(item, list | tuple):
            total += 0 if item else 1
            if depth >= MAX_NESTING:
                raise SecurityError(f"lists nested more than {MAX_NESTING} deep in a rule")
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, Mapping):
            total += 0 if item else 1
            if depth >= MAX_NESTING:
                raise SecurityError(f"objects nested more than {MAX_NESTING} deep in a rule")
            stack.extend((child, depth + 1) for child in item.values())
        else:
            total += 1
        if total > budget:
            return total
    return total


def sized(value: Any) -> Any:
    """`value` when it is within the limits, else SecurityError."""
    kind = type(value)
    if kind is str:
        if len(value) > MAX_SIZE:
            raise _text_too_large(len(value))
    elif kind is Decimal:
        if value.is_finite() and value and value.adjusted() >= MAX_DIGITS:
            raise _number_too_large()
    elif kind is int:
        if not -_INT_BOUND < value < _INT_BOUND:
            raise _number_too_large()
    elif (
        kind is list or kind is dict or kind is tuple or isinstance(value, list | tuple | Mapping)
    ) and full_size(value) > MAX_SIZE:
        raise too_large(f"a {_kind_name(value)} of more than {MAX_SIZE} items and characters")
    return value


def _kind_name(value: Any) -> str:
    return "list" if isinstance(value, list | tuple) else "object"


def check_repeat(sequence: Any, count: Any) -> None:
    """`sequence * count` must stay within the limit (checked before it is built)."""
    if isinstance(sequence, str | list | tuple | bytes) and isinstance(count, int):
        if count <= 0:
            return
        size = len(sequence) if isinstance(sequence, str | bytes) else full_size(sequence)
        if size * count > MAX_SIZE:
            what = "text" if isinstance(sequence, str | bytes) else "list"
            unit = "characters" if what == "text" else "items"
            raise too_large(f"a {what} of {size * count} {unit}")


def check_product(left: Any, right: Any) -> None:
    """Two integers whose product would have more than MAX_DIGITS digits are refused."""
    if type(left) is int and type(right) is int and left.bit_length() + right.bit_length() > 3322:
        raise _number_too_large()


def text_of(value: Any) -> str:
    """str(value) for a container or other object, refused past the limit."""
    text = str(value)
    if len(text) > MAX_SIZE:
        raise _text_too_large(len(text))
    return text


# -- str methods rules may call: what they would build, checked before they build it ---------
def _width(length: int, width: Any) -> None:
    if isinstance(width, int) and width > MAX_SIZE and width > length:
        raise _text_too_large(width)


def replaced_length(text: str, old: str, new: str, count: Any = -1) -> int:
    """How long `text.replace(old, new, count)` would be."""
    occurrences = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        occurrences = min(occurrences, count)
    return len(text) + occurrences * (len(new) - len(old))


def _check_replace(text: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    values = list(args) + list(kwargs.values())
    if len(values) >= 2 and isinstance(values[0], str) and isinstance(values[1], str):
        count = values[2] if len(values) > 2 else -1
        length = replaced_length(text, values[0], values[1], count)
        if length > MAX_SIZE:
            raise _text_too_large(length)


def joined_length(separator: str, items: list[Any]) -> int:
    """How long `separator.join(items)` would be (items as text)."""
    gaps = max(len(items) - 1, 0) * len(separator)
    if gaps > MAX_SIZE:
        return gaps
    return gaps + sum(full_size(item) if type(item) is str else len(str(item)) for item in items)


def _check_expandtabs(text: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    size = args[0] if args else kwargs.get("tabsize", 8)
    if isinstance(size, int) and size > 0:
        length = len(text) + text.count("\t") * size
        if length > MAX_SIZE:
            raise _text_too_large(length)


def _refuse(message: str) -> Callable[[Any, tuple[Any, ...], Mapping[str, Any]], None]:
    def refuse(owner: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
        raise SecurityError(message)

    return refuse


_FORMAT = "str.format is not allowed in rules; use ~ to join text"
_BYTES = "bytes are not used in rules (no encode, decode or to_bytes)"
_GUARDS: dict[tuple[type, str], Callable[[Any, tuple[Any, ...], Mapping[str, Any]], None]] = {
    (str, "ljust"): lambda s, a, k: _width(len(s), a[0] if a else k.get("width")),
    (str, "rjust"): lambda s, a, k: _width(len(s), a[0] if a else k.get("width")),
    (str, "center"): lambda s, a, k: _width(len(s), a[0] if a else k.get("width")),
    (str, "zfill"): lambda s, a, k: _width(len(s), a[0] if a else k.get("width")),
    (str, "expandtabs"): _check_expandtabs,
    (str, "replace"): _check_replace,
    (str, "format"): _refuse(_FORMAT),
    (str, "format_map"): _refuse(_FORMAT),
    (str, "encode"): _refuse(_BYTES),
    (str, "translate"): _refuse("str.translate is not allowed in rules; use replace"),
    (int, "to_bytes"): _refuse(_BYTES),
    (int, "from_bytes"): _refuse(_BYTES),
    (bool, "to_bytes"): _refuse(_BYTES),
}


def guard_method(func: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
    """Refuse a call of a built-in method that would build too large a value (or bytes);
    the arguments to call it with (an iterator given to `join` is read once, here)."""
    owner = getattr(func, "__self__", None)
    if owner is None:
        return args
    key = (owner if isinstance(owner, type) else type(owner), getattr(func, "__name__", ""))
    guard = _GUARDS.get(key)
    if guard is not None:
        guard(owner, args, kwargs)
    elif key == (str, "join") and args:
        items = list(args[0])
        length = joined_length(owner, items)
        if length > MAX_SIZE:
            raise _text_too_large(length)
        return (items, *args[1:])
    return args


def call_checked(call: Callable[..., Any], func: Any, *args: Any, **kwargs: Any) -> Any:
    """`call(func, *args, **kwargs)` with the method guards before and the limit after."""
    args = guard_method(func, args, kwargs)
    result = call(func, *args, **kwargs)
    kind = type(result)
    if kind is str or kind is Decimal or kind is int:
        return sized(result)
    return result


# -- Jinja filters whose arguments say how much they build ----------------------------------
def join_filter(value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    """Jinja's `join`, refused when the result would pass the limit."""
    items = list(value)
    if attribute is not None:
        items = [_attribute_of(item, attribute) for item in items]
    texts = [item if type(item) is str else text_of(item) for item in items]
    separator = str(d)
    length = joined_length(separator, texts)
    if length > MAX_SIZE:
        raise _text_too_large(length)
    return separator.join(texts)


def _attribute_of(item: Any, attribute: Any) -> Any:
    from jinja2.filters import make_attrgetter

    from .expressions import _ENV

    return make_attrgetter(_ENV, attribute)(item)


def replace_filter(s: Any, old: Any, new: Any, count: Any = None) -> str:
    """Jinja's `replace`, refused when the result would pass the limit."""
    text, old_text, new_text = (x if type(x) is str else text_of(x) for x in (s, old, new))
    limit = -1 if count is None else count
    length = replaced_length(text, old_text, new_text, limit)
    if length > MAX_SIZE:
        raise _text_too_large(length)
    return text.replace(old_text, new_text, limit)


def batch_filter(value: Any, linecount: int, fill_with: Any = None) -> list[list[Any]]:
    """Jinja's `batch` (as a list), refused for batches larger than the limit."""
    if not isinstance(linecount, int) or linecount > MAX_SIZE:
        raise too_large(f"a batch of {linecount} items")
    return list(do_batch(value, linecount, fill_with))


def slice_filter(value: Any, slices: int, fill_with: Any = None) -> list[list[Any]]:
    """Jinja's `slice` (as a list), refused for more slices than the limit."""
    if not isinstance(slices, int) or slices > MAX_SIZE:
        raise too_large(f"{slices} slices")
    return list(do_slice(value, slices, fill_with))


def string_filter(value: Any) -> str:
    """Jinja's `string`: str(value), refused past the limit."""
    if type(value) is str:
        return value
    return text_of(value)


def sum_filter(iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    """Jinja's `sum`, for numbers only (adding lists or texts would build them up)."""
    if isinstance(start, str | list | tuple | bytes | Mapping):
        raise SecurityError("sum adds numbers only in rules")
    from .expressions import _ENV

    return sized(do_sum(_ENV, iterable, attribute, start))


def int_filter(value: Any, default: int = 0, base: int = 10) -> int:
    """Jinja's `int`, refused for numbers past MAX_DIGITS digits."""
    if type(value) is Decimal and value.is_finite() and value and value.adjusted() >= MAX_DIGITS:
        raise _number_too_large()
    result: int = sized(do_int(value, default, base))
    return result


FILTERS: dict[str, Any] = {
    "join": join_filter,
    "replace": replace_filter,
    "batch": batch_filter,
    "slice": slice_filter,
    "string": string_filter,
    "sum": sum_filter,
    "int": int_filter,
}
