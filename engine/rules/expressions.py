"""Compile rule values — JSONPath, Jinja expressions, literals — into plain Python callables.

Every expression is parsed once per rule set. Jinja expressions are parsed by Jinja's own parser
and translated into a Python lambda, so applying a rule to an order costs a function call, not a
template render. The translation keeps Jinja's sandbox: attribute access, item access and calls go
through the ImmutableSandboxedEnvironment's checks (rules cannot change their input), names starting with `_` are refused at compile time,
and multiplication / powers / ranges are bounded.

A compiled value is a `Value`: `value(scope)` where scope maps names (the input document's
top-level keys, `settings`, `let` names, loop variables) to data.
"""

from __future__ import annotations

import hashlib
import re
import types
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.runtime import Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..errors import MappingError
from ..library.money import MONEY_AMOUNTS, PARSED_AMOUNTS, amount_text
from . import limits
from .disk_cache import StoredTable, compiled, source_digest
from .limits import MAX_SIZE, check_product, check_repeat, sized, text_of
from .scope_reads import chain_source

Scope = dict[str, Any]
Value = Callable[[Scope], Any]

MAX_REPEAT = MAX_SIZE  # longest range a rule may make (the one size limit, engine/rules/limits)
MAX_EXPONENT = 64
MAX_EXPRESSION_DEPTH = 50  # operators, calls and brackets within each other in one expression
MAX_PATH_LENGTH = 500  # characters of a JSONPath


class ExpressionError(Exception):
    """An expression does not compile. `line` is relative to the expression's first line."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


class Undefined_(Exception):  # noqa: N801 — reads as "undefined" in messages
    """A name or field the rule reads is not there (Jinja's strict undefined)."""


_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_CONTEXT = _ENV.from_string("").new_context({})
_JINJA_FILTERS = {
    name: _ENV.filters[name]
    for name in (
        "abs",
        "capitalize",
        "default",
        "first",
        "join",
        "last",
        "length",
        "list",
        "lower",
        "max",
        "min",
        "replace",
        "reverse",
        "sort",
        "string",
        "sum",
        "title",
        "trim",
        "truncate",
        "unique",
        "upper",
        "batch",
        "count",
        "dictsort",
        "int",
        "items",
        "slice",
    )
}
_JINJA_FILTERS.update(limits.FILTERS)  # the filters whose arguments say how much they build
_JINJA_TESTS = {
    name: _ENV.tests[name]
    for name in (
        "boolean",
        "divisibleby",
        "eq",
        "equalto",
        "even",
        "false",
        "ge",
        "gt",
        "in",
        "integer",
        "iterable",
        "le",
        "lower",
        "lt",
        "mapping",
        "ne",
        "none",
        "number",
        "odd",
        "sequence",
        "string",
        "true",
        "upper",
    )
}


# -- runtime helpers the generated code calls --------------------------------------------------
def _attr(obj: Any, name: str) -> Any:
    if type(obj) is dict:
        try:
            return obj[name]
        except KeyError:
            pass
    if obj is None:
        raise Undefined_(f"cannot read {name!r} of nothing (the value is null)")
    if isinstance(obj, str) and name in ("format", "format_map"):
        raise SecurityError("str.format is not allowed in rules; use ~ to join text")
    result = _ENV.getattr(obj, name)
    if isinstance(result, Undefined):
        hint = getattr(result, "_undefined_hint", None) or ""
        if "unsafe" in hint:
            raise SecurityError(hint)
        if isinstance(obj, Mapping):
            raise Undefined_(f"no field {name!r} (fields: {_field_list(obj)})")
        raise Undefined_(f"{type(obj).__name__} has no field {name!r}")
    return result


def _item(obj: Any, key: Any) -> Any:
    if type(obj) is dict or isinstance(obj, dict):
        try:
            return obj[key]
        except KeyError:
            raise Undefined_(f"no field {key!r} (fields: {_field_list(obj)})") from None
    if type(obj) is list:
        try:
            return obj[key]
        except IndexError:
            raise Undefined_(f"no item [{key}] in a list of {len(obj)}") from None
    if obj is None:
        raise Undefined_(f"cannot read [{key!r}] of nothing (the value is null)")
    if isinstance(obj, str) and key in ("format", "format_map"):
        raise SecurityError("str.format is not allowed in rules; use ~ to join text")
    result = _ENV.getitem(obj, key)
    if isinstance(result, Undefined):
        raise Undefined_(f"no item [{key!r}]")
    return result


def _field_list(obj: Mapping[str, Any]) -> str:
    names = list(obj)
    shown = ", ".join(str(n) for n in names[:8])
    return shown + (", …" if len(names) > 8 else "")


def _sandbox_call(func: Any, *args: Any, **kwargs: Any) -> Any:
    return _ENV.call(_CONTEXT, func, *args, **kwargs)


def _call(func: Any, *args: Any, **kwargs: Any) -> Any:
    return limits.call_checked(_sandbox_call, func, *args, **kwargs)


def _mul(left: Any, right: Any) -> Any:
    if type(left) is not Decimal or type(right) is not Decimal:
        check_repeat(left, right)
        check_repeat(right, left)
        check_product(left, right)
    result = _no_float(left) * _no_float(right)
    return result if type(result) is str else sized(result)


def _text_limit(text: str) -> str:
    """Text joined with ~ (each part already within the limit, so at most a few times it)."""
    if len(text) > MAX_SIZE:
        sized(text)
    return text


def _mod(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        raise SecurityError("%-formatting is not allowed in rules; use ~ to join text")
    return _no_float(left) % _no_float(right)


def _div(left: Any, right: Any) -> Any:
    """Division is exact decimal division, also for two integers (never a float)."""
    return sized(_decimal(left) / _decimal(right))


def _floordiv(left: Any, right: Any) -> Any:
    return _no_float(left) // _no_float(right)


def _pow(left: Any, right: Any) -> Any:
    if isinstance(right, int | Decimal) and abs(Decimal(right)) > MAX_EXPONENT:
        raise SecurityError("exponent too large for a rule")
    if isinstance(left, int) and isinstance(right, int) and left.bit_length() * right > 4096:
        raise SecurityError("power too large for a rule")
    return sized(_no_float(left) ** _no_float(right))


def _decimal(value: Any) -> Any:
    return Decimal(value) if type(value) is int else _no_float(value)


def _no_float(value: Any) -> Any:
    if type(value) is float:
        raise TypeError("floats are not used for money; parse the value with | decimal")
    return value


def constant(value: Any) -> Value:
    """A Value that is always `value` (a literal in a rule file)."""

    def read(scope: Scope) -> Any:
        return value

    return read


def to_text(value: Any) -> str:
    """How a value reads inside a text template: no 'None', no exponent notation."""
    if value is None:
        return ""
    if type(value) is str:
        return value
    if type(value) is int:
        return str(value)  # an id: Python writes at most 4,300 digits, within MAX_SIZE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return amount_text(value)
    return text_of(value)


def _safe_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_REPEAT:
        raise SecurityError(f"range of {len(result)} items is too large for a rule")
    return result


_DICT_ATTRIBUTES = frozenset(dir(dict))


def _defined(obj: Any, name: str) -> bool:
    if type(obj) is dict:
        if name in obj:
            return True
        # Past a missing key `_attr` asks Jinja for an attribute, which for a plain dict is
        # undefined unless dict has it (a method): skip building the Undefined_ message.
        if name not in _DICT_ATTRIBUTES:
            return False
    try:
        _attr(obj, name)
    except Undefined_:
        return False
    return True


PENDING = "$pending"  # scope key: the order's lazy `let`s not read yet, name → Value


def _let(scope: Scope, name: str) -> Any:
    """A lazy `let` read for the first time: computed now and kept in the scope. A let read
    while it is being computed (a rule reading itself) is undefined, as when lets run in
    order; one that fails stays pending, so reading it again fails again the same way."""
    pending = scope.get(PENDING)
    value = None if pending is None else pending.pop(name, None)
    if value is None:
        raise KeyError(name)
    try:
        result = scope[name] = value(scope)
    except BaseException:
        pending[name] = value  # type: ignore[index]
        raise
    return result


def _pending(name: str, scope: Scope) -> bool:
    """Whether `name` is a lazy `let` of the scope not read yet (`is defined` holds for it)."""
    pending = scope.get(PENDING)
    return pending is not None and name in pending


_RUNTIME: dict[str, Any] = {
    "_pending": _pending,
    "_let": _let,
    "_attr": _attr,
    "_item": _item,
    "_call": _call,
    "_mul": _mul,
    "_cat": _text_limit,
    "_sized": sized,
    "_div": _div,
    "_floordiv": _floordiv,
    "_pow": _pow,
    "_mod": _mod,
    "_text": to_text,
    "_defined": _defined,
    "_parsed": PARSED_AMOUNTS.get,
    "_HALF_UP": ROUND_HALF_UP,
    "_int": int,
    "_length": len,
    "_cents": MONEY_AMOUNTS.get,
    "_str": str,
    "Decimal": Decimal,
    "_M": object(),  # "no such key" for the inline field reads
    "_Exception": Exception,
    "_MappingError": MappingError,
    "_type": type,
    "_dict": dict,
    "__builtins__": {},
}


# -- the translator ----------------------------------------------------------------------------
_BINOPS = {
    nodes.Mod: "_mod({}, {})",
    nodes.Mul: "_mul({}, {})",
    nodes.Div: "_div({}, {})",
    nodes.FloorDiv: "_floordiv({}, {})",
    nodes.Pow: "_pow({}, {})",
}
_COMPARE = {
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "lteq": "<=",
    "gt": ">",
    "gteq": ">=",
    "in": "in",
    "notin": "not in",
}


class _Translator:
    """Turns a Jinja expression tree into Python source over the names in `namespace`."""

    def __init__(
        self,
        functions: Mapping[str, Any],
        filters: Mapping[str, Any],
        lazy: frozenset[str] = frozenset(),
    ) -> None:
        self.functions = functions
        self.filters = filters
        self.lazy = lazy  # the rule set's `let`s computed when first read
        self.namespace: dict[str, Any] = dict(_RUNTIME)
        self.counter = 0
        self.depth = 0
        # Where a name lives when the expression is written into a generated stage function
        # (engine/rules/codegen.py): name → (Python source reading it, source of `is defined`);
        # None: the scope `s`, as in a rule value's own function.
        self.resolve: Callable[[str], tuple[str, str] | None] | None = None
        # Plain subscripts for fields and items (`order["lines"]`), no sandbox accessor: the
        # first try of a generated stage's expression, which falls back to the guarded form
        # whenever it raises (see codegen.py `assign`).
        self.fast = False
        # In a fast form, where the object a chain of fields from the scope reads from is
        # written (codegen.py: a marker for scope_reads.py), or None: as the chain itself.
        self.scope_chain: Callable[[tuple[str, ...]], str | None] | None = None
        # Above 0 while translating a part Python may not evaluate (`branch`).
        self.conditional = 0

    def fresh(self) -> int:
        self.counter += 1
        return self.counter

    @contextmanager
    def branch(self) -> Iterator[None]:
        """Translating a part that Python may not evaluate (an `if`'s branches, the right of
        `and`/`or`): what it reads is not certainly read (see codegen.py, lets kept in
        locals)."""
        self.conditional += 1
        try:
            yield
        finally:
            self.conditional -= 1

    def bind(self, prefix: str, name: str, obj: Any) -> str:
        key = f"{prefix}_{name}"
        self.namespace[key] = obj
        return key

    def expr(self, node: nodes.Node) -> str:
        """Python source for `node`; refused past MAX_EXPRESSION_DEPTH levels of nesting."""
        self.depth += 1
        try:
            if self.depth > MAX_EXPRESSION_DEPTH:
                raise ExpressionError(_too_deep(), node.lineno)
            return self.node(node)
        finally:
            self.depth -= 1

    def read_from(self, node: nodes.Node) -> str:
        """The object a fast form's subscript reads from: `scope_chain`'s when `node` is a
        chain of fields from the scope, else `node` itself."""
        if self.scope_chain is not None and (chain := _field_chain(node)) is not None:
            written = self.scope_chain(chain)
            if written is not None:
                return written
        return self.expr(node)

    def scope_object(self, chain: tuple[str, ...]) -> str:
        """The object `chain` leads to from the scope, as `scope_chain` writes it."""
        written = self.scope_chain(chain) if self.scope_chain is not None else None
        return chain_source(chain) if written is None else written

    def node(self, node: nodes.Node) -> str:  # noqa: C901 — one branch per node type
        if isinstance(node, nodes.Const):
            value = node.value
            if isinstance(value, float):
                return f"Decimal({_number_literal(value)!r})"
            if value is None or isinstance(value, bool | int | str):
                return repr(value)
            raise ExpressionError(f"unsupported constant {value!r}", node.lineno)
        if isinstance(node, nodes.Name):
            _refuse_private(node.name, node.lineno)
            if node.name in ("true", "True"):
                return "True"
            if node.name in ("false", "False"):
                return "False"
            if node.name in ("none", "None"):
                return "None"
            found = self.resolve(node.name) if self.resolve is not None else None
            if found is not None:
                return found[0]
            if node.name in self.lazy:  # computed the first time an order reads it
                return f"(s[{node.name!r}] if {node.name!r} in s else _let(s, {node.name!r}))"
            return f"s[{node.name!r}]"
        if isinstance(node, nodes.Getattr):
            _refuse_private(node.attr, node.lineno)
            if self.fast and not hasattr(dict, node.attr):
                # What a subscript finds, _attr finds too: a plain dict's item. Anything
                # else (a list, a text, null, a missing field) raises, and the guarded form
                # runs. A dict method's name keeps the guarded form.
                return f"{self.read_from(node.node)}[{node.attr!r}]"
            # Fields of plain dicts (all JSON input) are read inline; anything else goes through
            # the sandbox in _attr.
            n = self.fresh()
            return (
                f"(_o{n}[{node.attr!r}] if _type(_o{n} := {self.expr(node.node)}) is _dict "
                f"and {node.attr!r} in _o{n} else _attr(_o{n}, {node.attr!r}))"
            )
        if isinstance(node, nodes.Getitem):
            if isinstance(node.arg, nodes.Slice):
                return f"{self.expr(node.node)}[{self.slice(node.arg)}]"
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                _refuse_private(node.arg.value, node.lineno)
            if self.fast:  # a dict's, list's or text's item, as _item reads it; else raises
                return f"{self.read_from(node.node)}[{self.expr(node.arg)}]"
            return f"_item({self.expr(node.node)}, {self.expr(node.arg)})"
        if isinstance(node, nodes.Filter):
            return self.filter(node)
        if isinstance(node, nodes.Test):
            return self.test(node)
        if isinstance(node, nodes.Call):
            return self.call(node)
        if isinstance(node, nodes.CondExpr):
            test = self.expr(node.test)
            with self.branch():
                then = self.expr(node.expr1)
                otherwise = self.expr(node.expr2) if node.expr2 is not None else "None"
            return f"({then} if {test} else {otherwise})"
        if isinstance(node, nodes.And | nodes.Or):
            left = self.expr(node.left)
            with self.branch():
                right = self.expr(node.right)
            return f"({left} {'and' if isinstance(node, nodes.And) else 'or'} {right})"
        if isinstance(node, nodes.Not):
            return f"(not {self.expr(node.node)})"
        if isinstance(node, nodes.Neg):
            return f"(-{self.expr(node.node)})"
        if isinstance(node, nodes.Pos):
            return f"(+{self.expr(node.node)})"
        if isinstance(node, nodes.Add | nodes.Sub):
            # `_add`/`_sub` in place: a sum of Decimals is the usual case, and needs no check
            n = self.fresh()
            sign = "+" if isinstance(node, nodes.Add) else "-"
            result = f"{self.expr(node.left)} {sign} {self.expr(node.right)}"
            return f"(_o{n} if _type(_o{n} := {result}) is Decimal else _sized(_o{n}))"
        for node_type, template in _BINOPS.items():
            if isinstance(node, node_type):
                return template.format(self.expr(node.left), self.expr(node.right))
        if isinstance(node, nodes.Concat):
            return "_cat(" + " + ".join(self.text(n) for n in node.nodes) + ")"
        if isinstance(node, nodes.Compare):
            parts = [self.expr(node.expr)]
            for position, operand in enumerate(node.ops):
                parts.append(_COMPARE[operand.op])
                if position == 0:
                    parts.append(self.expr(operand.expr))
                    continue
                with self.branch():  # a chained comparison stops at the first false one
                    parts.append(self.expr(operand.expr))
            return "(" + " ".join(parts) + ")"
        if isinstance(node, nodes.List):
            built = "[" + ", ".join(self.expr(item) for item in node.items) + "]"
            return built if _constant(node) else f"_sized({built})"
        if isinstance(node, nodes.Tuple):
            built = "(" + "".join(self.expr(item) + ", " for item in node.items) + ")"
            return built if _constant(node) else f"_sized({built})"
        if isinstance(node, nodes.Dict):
            pairs = (f"{self.expr(p.key)}: {self.expr(p.value)}" for p in node.items)
            built = "{" + ", ".join(pairs) + "}"
            return built if _constant(node) else f"_sized({built})"
        raise ExpressionError(
            f"{type(node).__name__} is not allowed in a rule expression", node.lineno
        )

    def text(self, node: nodes.Node) -> str:
        """`node` as it reads inside a text (`to_text`): a text as it is, written in place."""
        if isinstance(node, nodes.Const) and isinstance(node.value, str):
            return repr(node.value)
        n = self.fresh()
        return f"(_o{n} if _type(_o{n} := {self.expr(node)}) is _str else _text(_o{n}))"

    def slice(self, node: nodes.Slice) -> str:
        parts = [self.expr(p) if p is not None else "" for p in (node.start, node.stop, node.step)]
        return ":".join(parts)

    def arguments(self, node: nodes.Filter | nodes.Test | nodes.Call) -> list[str]:
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise ExpressionError("*args and **kwargs are not allowed in rules", node.lineno)
        args = [self.expr(a) for a in node.args]
        for keyword in node.kwargs:
            _refuse_private(str(keyword.key), node.lineno)
            args.append(f"{keyword.key}={self.expr(keyword.value)}")
        return args

    def filter(self, node: nodes.Filter) -> str:
        name = node.name
        func = self.filters.get(name) or _JINJA_FILTERS.get(name)
        if func is None:
            raise ExpressionError(f"unknown filter {name!r}", node.lineno)
        key = self.bind("f", name, func)
        in_place = self.filter_in_place(node, key)
        if in_place is not None:
            return in_place
        head = _pass_arg(func)
        subject = self.expr(node.node) if node.node is not None else "None"
        args = ([head] if head else []) + [subject] + self.arguments(node)
        return f"{key}({', '.join(args)})"

    def filter_in_place(self, node: nodes.Filter, key: str) -> str | None:
        """The commonest filters written in place, their function `key` called for anything
        else; None for the rest. `decimals` and `int` only in a stage's fast form: where that
        raises, the guarded form calls the function, which says what went wrong."""
        if node.node is None or node.kwargs:
            return None
        name, args = node.name, node.args
        places: Any = args[0].value if len(args) == 1 and isinstance(args[0], nodes.Const) else None
        if not (
            (name in ("decimal", "money", "string") and not args)
            or (name == "int" and self.fast and not args)
            or (name == "decimals" and self.fast and type(places) is int and 0 <= places <= 8)
        ):
            return None
        constant = node.node.value if isinstance(node.node, nodes.Const) else None
        if name in ("decimal", "money") and type(constant) in (int, str):
            try:  # `1 | decimal`: the amount made once, here (a Decimal cannot change)
                return self.bind("k", str(self.fresh()), self.namespace[key](constant))
            except Exception:  # noqa: BLE001 — not an amount: the rule says so when it runs
                pass
        o = f"_o{self.fresh()}"
        subject = self.expr(node.node)
        if name == "decimal":  # an amount text read before: as parsed then (a zero: again)
            return (
                f"((_type({o} := {subject}) is _str and _parsed({o})) or "
                f"({o} if _type({o}) is Decimal else {key}({o})))"
            )
        if name == "money":  # a text rounded before: as rounded then (a zero: again)
            return f"((_type({o} := {subject}) is _str and _cents({o})) or {key}({o}))"
        if name == "string":
            return f"({o} if _type({o} := {subject}) is _str else {key}({o}))"
        if name == "int":  # a text of a few digits: an id, a PrestaShop mode
            return (
                f"(_int({o}) if _type({o} := {subject}) is _str and _length({o}) < 10 and "
                f"{o}.isdigit() and {o}.isascii() else {key}({o}))"
            )
        quantum = self.bind("q", str(places), Decimal(1).scaleb(-places))  # decimals(n)
        return (
            f"({o}.quantize({quantum}, _HALF_UP) if _type({o} := {subject}) is Decimal "
            f"else {key}({o}, {places}))"
        )

    def test(self, node: nodes.Test) -> str:
        if node.name in ("defined", "undefined"):
            check = self.defined(node.node)
            return check if node.name == "defined" else f"(not {check})"
        if node.name == "none" and not node.args and not node.kwargs:
            return f"({self.expr(node.node)} is None)"  # Jinja's own test, written in place
        func = _JINJA_TESTS.get(node.name)
        if func is None:
            raise ExpressionError(f"unknown test {node.name!r}", node.lineno)
        key = self.bind("t", node.name, func)
        head = _pass_arg(func)
        args = ([head] if head else []) + [self.expr(node.node)] + self.arguments(node)
        return f"{key}({', '.join(args)})"

    def defined(self, node: nodes.Node) -> str:
        if isinstance(node, nodes.Name):
            with self.branch():  # asks whether the name is defined, reads no value of it
                found = self.resolve(node.name) if self.resolve is not None else None
            if found is not None:
                return found[1]
            if self.resolve is not None:  # a stage's: its lets resolve; others are the scope's
                return f"({node.name!r} in s)"
            # a `let` not read yet (engine/rules/compile.py LetScope) is defined too
            return f"({node.name!r} in s or _pending({node.name!r}, s))"
        if isinstance(node, nodes.Getattr):
            head = self.defined(node.node)
            n = self.fresh()
            with self.branch():
                subject = self.expr(node.node)
            # A plain dict's own key is defined, and its missing key is not — unless the name
            # is a dict method's (written in place); the rest asks _defined.
            in_dict = f"{node.attr!r} in _o{n}"
            if node.attr in _DICT_ATTRIBUTES:
                in_dict = f"({in_dict} or _defined(_o{n}, {node.attr!r}))"
            field = (
                f"({in_dict} if _type(_o{n} := {subject}) is _dict "
                f"else _defined(_o{n}, {node.attr!r}))"
            )
            return field if head == "True" else f"({head} and {field})"  # (a local: defined)
        raise ExpressionError("'is defined' works on names and fields only", node.lineno)

    def call(self, node: nodes.Call) -> str:
        args = self.arguments(node)
        if isinstance(node.node, nodes.Name):
            if node.node.name == "range":
                return f"{self.bind('g', 'range', _safe_range)}({', '.join(args)})"
            func = self.functions.get(node.node.name)
            if func is None:
                raise ExpressionError(f"unknown function {node.node.name!r}", node.lineno)
            key = self.bind("g", node.node.name, func)
            memo = getattr(func, "memo_in_scope", None)
            if memo is not None and self.fast:
                remembered = self.remembered(node, key, memo)
                if remembered is not None:
                    return remembered
            if getattr(func, "needs_scope", False):
                args.insert(0, "s")
            return f"{key}({', '.join(args)})"
        fast, self.fast = self.fast, False  # a method is read through the sandbox
        try:
            callee = self.expr(node.node)
        finally:
            self.fast = fast
        return f"_call({', '.join([callee, *args])})"

    def remembered(self, node: nodes.Call, key: str, memo: Any) -> str | None:
        """The fast form of a call whose answers the scope remembers (`lookup(table, *values,
        on=…)`): the answer read from the memo in place, the function called when it has none
        (or when anything fails: then the guarded form calls it and says why)."""
        table = node.args[0] if node.args else None
        if not isinstance(table, nodes.Const) or not isinstance(table.value, str):
            return None
        if any(keyword.key != "on" for keyword in node.kwargs):
            return None
        values = "".join(f"{self.expr(a)}, " for a in node.args[1:])
        on = self.expr(node.kwargs[0].value) if node.kwargs else "None"
        n = self.fresh()
        missing = self.bind("m", "missing", memo.missing)
        # The memo's key: the values, then `on` (lookups.py `lookup_function`).
        return (
            f"(_o{n} if (_o{n} := {self.scope_object((memo.scope_key, table.value))}.memo.get("
            f"(_k{n} := ({values}{on}, )), {missing})) is not {missing} "
            f"else {key}(s, {table.value!r}, *_k{n}[:-1], on=_k{n}[-1]))"
        )


def _field_chain(node: nodes.Node) -> tuple[str, ...] | None:
    """`order.a['b']` → ('order', 'a', 'b'): a name and the fields a fast form reads of it
    by subscripts; None for anything else."""
    if isinstance(node, nodes.Name):
        if node.name in ("true", "True", "false", "False", "none", "None"):
            return None
        _refuse_private(node.name, node.lineno)
        return (node.name,)
    if isinstance(node, nodes.Getattr) and not hasattr(dict, node.attr):
        step = node.attr
    elif (
        isinstance(node, nodes.Getitem)
        and isinstance(node.arg, nodes.Const)
        and isinstance(node.arg.value, str)
    ):
        step = node.arg.value
    else:
        return None
    _refuse_private(step, node.lineno)
    head = _field_chain(node.node)
    return None if head is None else (*head, step)


def _constant(node: nodes.Node) -> bool:
    """A list, tuple or object written of literals only (its size is the rule file's)."""
    return all(
        isinstance(child, nodes.Const | nodes.Pair) for child in node.iter_child_nodes()
    ) and all(
        _constant(child) for child in node.iter_child_nodes() if isinstance(child, nodes.Pair)
    )


def _too_deep() -> str:
    return f"expression nested too deeply (at most {MAX_EXPRESSION_DEPTH} levels)"


_BRACKETS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[(\[{]|[)\]}]")


def _bracket_depth(source: str) -> int:
    """How deep brackets nest in `source` (quoted text skipped): checked before Jinja parses,
    whose parser recurses once per level."""
    depth = deepest = 0
    for token in _BRACKETS.findall(source):
        if token in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in ")]}":
            depth -= 1
    return deepest


def _pass_arg(func: Any) -> str:
    kind = getattr(func, "jinja_pass_arg", None)
    if kind is None:
        return ""
    if kind.name == "environment":
        return "_env"
    if kind.name == "eval_context":
        return "_evalctx"
    raise ExpressionError("filters that need the template context are not allowed in rules")


def _refuse_private(name: str, line: int) -> None:
    if name.startswith("_"):
        raise ExpressionError(
            f"access to {name!r} is not allowed: names starting with '_' are private", line
        )


def _number_literal(value: float) -> str:
    return repr(value)


_RUNTIME["_env"] = _ENV
_RUNTIME["_evalctx"] = nodes.EvalContext(_ENV)

# Compiled rule function → (Python expression, its namespace): lets an object's fields be
# written into one generated function (see engine/compile.py _object_builder).
INLINE: weakref.WeakKeyDictionary[Callable[..., Any], tuple[str, dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)

_JINJA_MARK = re.compile(r"{{|{%|{#")


def is_template(text: str) -> bool:
    return bool(_JINJA_MARK.search(text))


def is_computed(spec: Any) -> bool:
    """Whether a rule value is computed per order (a JSONPath or a `{{ … }}` template), not a
    literal written in the rule file."""
    return isinstance(spec, str) and (spec.startswith("$") or is_template(spec))


def is_literal(spec: Any) -> bool:
    """A scalar written in the rule file as it is (text without `{{ }}`, a number, a flag)."""
    return isinstance(spec, str | int | float | bool | types.NoneType) and not is_computed(spec)


# Jinja's trees of rule strings parsed before, on this machine (engine/rules/disk_cache.py): for
# this Jinja and this module (which configures the environment that parses).
# Written without their environment (the one above, set again when a tree is read back).
SOURCE_DIGEST = source_digest(__file__)  # of this module
_TREES = StoredTable(
    "templates",
    jinja2.__version__,
    SOURCE_DIGEST,
    detach=lambda tree: tree.set_environment(None),
    attach=lambda tree: tree.set_environment(_ENV),
)


@lru_cache(maxsize=4096)
def parse_template(source: str) -> nodes.Template:
    """Jinja's tree of a rule string, parsed once per process (compile and the analysis of
    what is read, engine/rules/demand.py, share it; the trees are only read) and kept on disk
    for the next command."""
    if _bracket_depth(source) > MAX_EXPRESSION_DEPTH:
        raise ExpressionError(_too_deep())
    stored = _TREES.get(source)
    if isinstance(stored, nodes.Template):
        return stored
    try:
        tree = _ENV.parse(source)
    except TemplateSyntaxError as error:
        raise ExpressionError(f"Jinja syntax error: {error.message}", error.lineno) from None
    except RecursionError:
        raise ExpressionError(_too_deep()) from None
    _TREES.put(source, tree)
    return tree


def _output_nodes(template: nodes.Template) -> list[nodes.Node] | None:
    """What a rule string's one output holds (texts and expressions); None for blocks."""
    if len(template.body) != 1 or not isinstance(template.body[0], nodes.Output):
        return None
    return list(template.body[0].nodes)


def sole_expression(template: nodes.Template) -> nodes.Node | None:
    """The expression of a rule string that is exactly one `{{ expression }}` (which keeps
    its type); None when it holds text or blocks."""
    output = _output_nodes(template)
    if output is not None and len(output) == 1 and not isinstance(output[0], nodes.TemplateData):
        return output[0]
    return None


def template_body(source: str, translator: _Translator) -> str:
    """The Python expression a rule string holding `{{ … }}` becomes, over `translator`'s
    namespace. Exactly one `{{ expression }}` keeps the expression's type; a string mixing
    text and expressions renders to text."""
    template = parse_template(source)
    output = _output_nodes(template)
    if output is None:
        raise ExpressionError("only {{ expressions }} are allowed in rule values, not {% blocks %}")
    sole = sole_expression(template)
    if sole is not None:
        return translator.expr(sole)
    pieces = []
    for node in output:
        if isinstance(node, nodes.TemplateData):
            pieces.append(repr(node.data))
        else:
            pieces.append(translator.text(node))
    return "_cat(" + " + ".join(pieces) + ")" if pieces else "''"


def compile_jinja(
    source: str,
    functions: Mapping[str, Any],
    filters: Mapping[str, Any],
    on_error: Callable[[Exception], BaseException] | None = None,
    lazy: frozenset[str] = frozenset(),
) -> tuple[Value, str]:
    """Compile a rule string holding `{{ … }}` into a Value and the Python source it became.

    A string that is exactly one `{{ expression }}` keeps the expression's type (a Decimal stays
    a Decimal); a string mixing text and expressions renders to text.
    """
    body, fast, namespace = _translation(source, functions, filters, lazy, on_error is not None)
    # One Python function per rule value: the expression, and (when asked) the translation of
    # what can go wrong into the caller's error, without a second call frame per value. With
    # the translation, the expression is tried first with fields read by plain subscripts, as
    # a generated stage does (codegen.py): only when that raises does the guarded form run
    # again from the start and say what failed; an error already located is not run twice.
    if on_error is None:
        source_code = f"def _rule(s):\n    return {body}\n"
    else:
        namespace["_on_error"] = on_error
        guarded = (
            "    try:\n"
            f"        return {body}\n"
            "    except _Exception as error:\n"
            "        raise _on_error(error) from None\n"
        )
        if fast == body:
            source_code = "def _rule(s):\n" + guarded
        else:
            source_code = (
                "def _rule(s):\n"
                "    try:\n"
                f"        return {fast}\n"
                "    except _MappingError:\n"
                "        raise\n"
                "    except _Exception:\n"
                "        pass\n" + guarded
            )
    function = _compiled_on_first_call(source_code, namespace)
    INLINE[function] = (body, namespace)
    return function, body


# Rule strings translated before, on this machine (engine/rules/disk_cache.py): the Python they
# became and what their names are bound to (a library function by its name, a constant by its
# value), so a start translates none of a rule set's strings again. Keyed by the string and by
# what else the translation reads: the functions and filters it may call (their names and what
# the translator asks of them, Jinja's own and limits.py's among them) and the rule set's lazy
# `let`s.
_TRANSLATIONS = StoredTable("translations", jinja2.__version__, SOURCE_DIGEST)
_CONTEXTS: dict[tuple[int, int, int], tuple[Any, Any, Any, str]] = {}
_PLAIN_VALUES = (Decimal, str, int, bool, types.NoneType)
_MAX_TRANSLATED = 2_000  # characters of a rule string whose translation is kept


def _translation(
    source: str,
    functions: Mapping[str, Any],
    filters: Mapping[str, Any],
    lazy: frozenset[str],
    guarded: bool,
) -> tuple[str, str | None, dict[str, Any]]:
    """The Python a rule string becomes — and, `guarded`, its form reading fields by plain
    subscripts —, with the namespace it runs in: as stored when it was translated before."""
    key = None  # a string too long to keep is translated every time
    if len(source) <= _MAX_TRANSLATED:
        key = f"{_context_digest(functions, filters, lazy)}\0{guarded}\0{source}"
    stored = _TRANSLATIONS.get(key) if key is not None else None
    if stored is not None:
        namespace = _bound(stored[2], functions, filters)
        if namespace is not None:
            return stored[0], stored[1], namespace
    translator = _Translator(functions, filters, lazy)
    body = template_body(source, translator)
    fast = None
    if guarded:
        translator.fast = True
        try:
            fast = template_body(source, translator)
        finally:
            translator.fast = False
    bindings = _bindings(translator.namespace, functions, filters)
    if key is not None and bindings is not None:
        _TRANSLATIONS.put(key, (body, fast, bindings))
    return body, fast, translator.namespace


def _context_digest(
    functions: Mapping[str, Any], filters: Mapping[str, Any], lazy: frozenset[str]
) -> str:
    """What a translation reads besides its string, as a digest: worked out once per rule set
    (all its strings are translated over the same tables)."""
    ids = (id(functions), id(filters), id(lazy))
    known = _CONTEXTS.get(ids)
    if known is not None and known[0] is functions and known[1] is filters and known[2] is lazy:
        return known[3]
    parts = [",".join(sorted(lazy))]
    tables = (("g", functions), ("f", filters), ("j", _JINJA_FILTERS), ("t", _JINJA_TESTS))
    for kind, table in tables:
        for name in sorted(table):
            func = table[name]
            memo = getattr(func, "memo_in_scope", None)
            pass_arg = getattr(getattr(func, "jinja_pass_arg", None), "name", "")
            parts.append(
                f"{kind} {name} {pass_arg} {bool(getattr(func, 'needs_scope', False))} "
                f"{getattr(memo, 'scope_key', '')}"
            )
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    if len(_CONTEXTS) >= 16:
        _CONTEXTS.clear()
    _CONTEXTS[ids] = (functions, filters, lazy, digest)
    return digest


def _bindings(
    namespace: dict[str, Any], functions: Mapping[str, Any], filters: Mapping[str, Any]
) -> tuple[tuple[str, str, Any], ...] | None:
    """What the translator bound in `namespace`, said so it can be bound again in another
    process: (key, kind, name or value); None when something cannot be said so."""
    bound = []
    for key, obj in namespace.items():
        if key in _RUNTIME and _RUNTIME[key] is obj:
            continue
        prefix, _, name = key.partition("_")
        if prefix == "f" and (filters.get(name) or _JINJA_FILTERS.get(name)) is obj:
            bound.append((key, "filter", name))
        elif prefix == "t" and _JINJA_TESTS.get(name) is obj:
            bound.append((key, "test", name))
        elif key == "g_range" and obj is _safe_range:
            bound.append((key, "range", name))
        elif prefix == "g" and functions.get(name) is obj:
            bound.append((key, "function", name))
        elif prefix == "m" and (owner := _memo_owner(functions, obj)) is not None:
            bound.append((key, "missing", owner))
        elif prefix in ("k", "q") and type(obj) in _PLAIN_VALUES:
            bound.append((key, "value", obj))
        else:
            return None
    return tuple(bound)


def _memo_owner(functions: Mapping[str, Any], missing: object) -> str | None:
    for name, func in functions.items():
        if getattr(getattr(func, "memo_in_scope", None), "missing", None) is missing:
            return name
    return None


def _bound(
    bindings: tuple[tuple[str, str, Any], ...],
    functions: Mapping[str, Any],
    filters: Mapping[str, Any],
) -> dict[str, Any] | None:
    """A translation's namespace, its names bound again (`_bindings`); None when one of them
    is no longer there."""
    namespace = dict(_RUNTIME)
    for key, kind, ref in bindings:
        if kind == "value":
            namespace[key] = ref
            continue
        if kind == "filter":
            obj = filters.get(ref) or _JINJA_FILTERS.get(ref)
        elif kind == "test":
            obj = _JINJA_TESTS.get(ref)
        elif kind == "range":
            obj = _safe_range
        elif kind == "function":
            obj = functions.get(ref)
        else:
            obj = getattr(getattr(functions.get(ref), "memo_in_scope", None), "missing", None)
        if obj is None:
            return None
        namespace[key] = obj
    return namespace


# A rule set holds some hundreds of values, and a run calls few of them through here (the
# generated stage function does the work): Python compiles each one the first time it is
# called. The function made now runs `_first_call`, which compiles the real one and puts its
# code in place, so later calls run it directly.
_PLACEHOLDER = compile("def _rule(s):\n    return _first_call(s)\n", "<rule>", "exec")
_PLACEHOLDER_CODE = next(c for c in _PLACEHOLDER.co_consts if isinstance(c, types.CodeType))


def _compiled_on_first_call(source_code: str, namespace: dict[str, Any]) -> Value:
    function = types.FunctionType(_PLACEHOLDER_CODE, namespace, "_rule")

    def first_call(scope: Scope) -> Any:
        if function.__code__ is _PLACEHOLDER_CODE:
            try:
                code = compiled(source_code, "<rule>")
            except (SyntaxError, RecursionError, MemoryError):  # Python's own nesting limits
                raise ExpressionError(_too_deep()) from None
            built: dict[str, Any] = {}
            exec(code, namespace, built)  # noqa: S102 — source built by the translator
            function.__code__ = built["_rule"].__code__
        return function(scope)

    namespace["_first_call"] = first_call
    return function


# -- JSONPath ----------------------------------------------------------------------------------
def compile_jsonpath(source: str, *, many: bool) -> Value:
    """Compile a JSONPath over the input document (scope `$`).

    Simple paths (`$.order.associations.order_rows[0].id`, optionally ending in `[*]`) become
    direct lookups; paths with filters or recursion use jsonpath-ng's compiled expression.
    `many` returns the list of all matches; otherwise the single match, and no match is an error.
    """
    if len(source) > MAX_PATH_LENGTH:
        raise ExpressionError(
            f"a JSONPath of {len(source)} characters is too long (at most {MAX_PATH_LENGTH})"
        )
    if _regex_filter(source):
        raise ExpressionError(
            "regular expressions (=~) are not allowed in JSONPath filters; "
            "compare with == or use a Jinja expression"
        )
    direct = _direct_reader(plain_steps(source), source, many=many)
    if direct is not None:
        return direct
    # Imported here: jsonpath-ng builds its parser when imported (about 50 ms), which the
    # plain paths rules mostly use never need.
    from jsonpath_ng.ext.parser import parse as parse_jsonpath

    try:
        parsed = parse_jsonpath(source)
        steps = _simple_steps(parsed)
    except RecursionError:
        raise ExpressionError(f"a JSONPath nested too deeply: {source[:40]!r}…") from None
    except Exception as error:  # jsonpath-ng raises plain Exception for some syntax errors
        raise ExpressionError(f"invalid JSONPath {source!r}: {error}") from None
    direct = _direct_reader(steps, source, many=many)
    if direct is not None:
        return direct

    def find_all(scope: Scope) -> Any:
        matches = [m.value for m in parsed.find(scope["$"])]
        if many:
            return matches
        if not matches:
            raise Undefined_(f"{source} matched nothing")
        return matches[0]

    return find_all


_ALL = object()  # the step `[*]`
_PLAIN_PATH = re.compile(r"\$(?:\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]{1,9}\])*(?:\[\*\])?", re.ASCII)
_PLAIN_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[([0-9]+)\]|(\[\*\])", re.ASCII)
_JSONPATH_WORDS = frozenset({"where", "wherenot"})  # jsonpath-ng's operators, no field names


def plain_steps(source: str) -> list[Any] | None:
    """The steps of a path of fields and indexes (`$.order.rows[0].id`, optionally ending in
    `[*]`), read without jsonpath-ng: the same steps `_simple_steps` finds in its parse (tests/
    engine/test_engine_startup_caches.py); None for anything else.

    >>> plain_steps("$.order.rows[2].id"), plain_steps("$.a..b"), plain_steps("$.where")
    (['order', 'rows', 2, 'id'], None, None)
    """
    if not _PLAIN_PATH.fullmatch(source):
        return None
    steps: list[Any] = []
    for field, index, spread in _PLAIN_STEP.findall(source[1:]):
        if field in _JSONPATH_WORDS:
            return None
        steps.append(_ALL if spread else field if field else int(index))
    return steps


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def _regex_filter(source: str) -> bool:
    """Whether a JSONPath uses `=~` (Python's backtracking regex engine, on order data)."""
    return "=~" in _QUOTED.sub("", source)


def _simple_steps(path: Any) -> list[Any] | None:
    """The keys/indexes of a path made only of fields and single indexes, else None.

    Only the last step may be `[*]`; it is returned as `_ALL`.
    """
    from jsonpath_ng import Child, Fields, Index, Root
    from jsonpath_ng.jsonpath import Wildcard

    if isinstance(path, Root):
        return []
    if not isinstance(path, Child):
        return None
    head = _simple_steps(path.left)
    if head is None or (head and head[-1] is _ALL):
        return None
    right = path.right
    if isinstance(right, Fields) and len(right.fields) == 1 and right.fields[0] != "*":
        return [*head, right.fields[0]]
    if isinstance(right, Index) and len(right.indices) == 1:
        return [*head, right.indices[0]]
    if isinstance(right, Wildcard):
        return [*head, _ALL]
    return None


def _direct_reader(steps: list[Any] | None, source: str, *, many: bool) -> Value | None:
    """A reader of the path's `steps` by plain lookups, when they make one: a path ending in
    `[*]` read for all its matches, or one without read for its match; else None."""
    if steps is None:
        return None
    spread = bool(steps) and steps[-1] is _ALL
    if spread and many:
        return _steps_reader(steps[:-1], source, spread=True)
    if not spread and not many:
        return _steps_reader(steps, source, spread=False)
    return None


def _steps_reader(steps: list[Any], source: str, *, spread: bool) -> Value:
    def read(scope: Scope) -> Any:
        value = scope["$"]
        for step in steps:
            try:
                value = value[step]
            except (KeyError, IndexError, TypeError):
                raise Undefined_(f"{source} matched nothing (no {step!r})") from None
        if not spread or (type(value) is list and value):  # (a list of rows: the usual)
            return value
        if value is None or value == []:
            return []
        if isinstance(value, dict):
            return list(value.values())
        if not isinstance(value, list):
            raise Undefined_(f"{source}: expected a list, found {type(value).__name__}")
        return value

    return read
