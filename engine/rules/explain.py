"""`--explain`: for every field of a payload, the rules of both stages that made it.

A field is traced from the target's rule (file:line:column, the expression, the values it
read) back through the canonical field it read to the shop's rule that made that field (its
place, expression and values), and `let` values on the way are opened one level. A value that
came from a lookup table names the row chosen (VAT code, ledger account). `--explain FIELD`
shows only the fields whose path ends in FIELD (`SalesPrice`, `InvoiceLine[2]`, a whole path).

Explaining runs each rule set once more for the order, off the hot path: a small interpreter
over the rule files (the same compiled expressions; objects, lists, parts, `let`, `each`,
`when` walked here) that remembers, for every object it builds, which rule made each field and
the names in scope when it did. Values are shown short: text cut at 60 characters, objects and
lists by their size, a field whose name says secret / password / token / key never.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes

from ..errors import Place
from ..library.functions import FILTERS, FUNCTIONS
from ..mapping import Pair, Payload
from .compile import BoundRuleSet
from .expressions import (
    ExpressionError,
    Scope,
    Value,
    compile_jinja,
    compile_jsonpath,
    constant,
    is_template,
    parse_template,
    to_text,
)
from .load import LocatedDict, LocatedList
from .lookups import lookup_function
from .render import plain

_STEP = re.compile(r"^(?P<name>[^\[]+)(?:\[(?P<index>\d+)\])?$")
_SECRET = re.compile(r"secret|password|passwd|token|api_?key|credential", re.IGNORECASE)
_LOOKUP = re.compile(r"lookup\(\s*['\"](?P<table>\w+)['\"]")
MAX_SHOWN = 60  # characters of a value shown


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaves(child, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from leaves(child, f"{path}[{index}]")
    else:
        yield path, value


# -- running a rule set again, remembering who made what ---------------------------------------
@dataclass(frozen=True)
class Made:
    """How one object was built: its rule spec (field by field), the scope it was built in,
    and, for a list element, the part that made it."""

    spec: LocatedDict
    scope: Scope
    part: LocatedDict | None
    part_lets: LocatedDict | None


@dataclass(frozen=True)
class Rule:
    """The rule that made one value, with what it read."""

    place: Place
    text: str
    scope: Scope
    part: LocatedDict | None = None
    part_lets: LocatedDict | None = None


class _Tracer:
    """One rule set run for one document, keeping `Made` for every object it builds."""

    def __init__(self, bound: BoundRuleSet) -> None:
        rules = bound.rules
        self.data: LocatedDict = rules.data if rules.data is not None else LocatedDict()
        self.functions = {**FUNCTIONS, "lookup": lookup_function}
        lookups = {name: table.bind(bound.settings) for name, table in rules.lookups.items()}
        self.base: Scope = {"settings": bound.settings, "$lookups": lookups}
        self.made: dict[int, Made] = {}
        self.lets: dict[str, Rule] = {}
        self.scope: Scope = {}
        self._compiled: dict[tuple[str, bool], Value] = {}

    def compiled(self, text: str, many: bool = False) -> Value:
        key = (text, many)
        if key not in self._compiled:
            if text.startswith("$"):
                self._compiled[key] = compile_jsonpath(text, many=many)
            elif is_template(text):
                self._compiled[key] = compile_jinja(text, self.functions, FILTERS)[0]
            else:
                self._compiled[key] = constant(text)
        return self._compiled[key]

    def run(self, document: dict[str, Any]) -> Any:
        scope: Scope = dict(self.base)
        scope.update(document)
        scope["$"] = document
        scope["$deadline"] = float("inf")
        lets = self.data.get("let") or LocatedDict()
        for name, spec in lets.items():
            try:
                scope[name] = self.value(spec, scope)
            except Exception:  # noqa: BLE001 — a let the real run never needed (lazy) may fail
                continue  # its name stays unset: shown as (undefined)
            if isinstance(spec, str):
                self.lets[name] = Rule(lets.places[name], spec, scope)
        self.scope = scope
        return self.value(self.data.get("output", LocatedDict()), scope)

    def value(
        self, spec: Any, scope: Scope, part: tuple[LocatedDict, LocatedDict] | None = None
    ) -> Any:
        if isinstance(spec, LocatedDict):
            built = {name: self.value(item, scope, part) for name, item in spec.items()}
            owner, lets = part if part is not None else (None, None)
            self.made[id(built)] = Made(spec, dict(scope), owner, lets)
            return built
        if isinstance(spec, LocatedList):
            out: list[Any] = []
            for item in spec:
                self.part(item, scope, out)
            return out
        if isinstance(spec, str):
            return self.compiled(spec)(scope)
        return spec

    def part(self, spec: LocatedDict, scope: Scope, out: list[Any]) -> None:
        each = spec.get("each")
        elements = self.compiled(each, many=True)(scope) if isinstance(each, str) else [None]
        if elements is None:
            return
        as_name = spec.get("as", "")
        lets: LocatedDict = spec.get("let") or LocatedDict()
        inner = dict(scope)
        for element in elements:
            if each is not None:
                inner[as_name] = element
            for name, value in lets.items():
                inner[name] = self.value(value, inner)
            when = spec.get("when")
            if when is None or self.compiled(when)(inner):
                out.append(self.value(spec["item"], inner, (spec, lets)))

    def rule_of(self, container: Any, key: str | int) -> Rule | None:
        """The rule that made `container[key]`, when this run built the container."""
        made = self.made.get(id(container))
        if made is None or not isinstance(key, str) or key not in made.spec:
            return None
        spec = made.spec[key]
        text = spec if isinstance(spec, str) else to_text(spec)
        return Rule(made.spec.places[key], text, made.scope, made.part, made.part_lets)


def _steps(path: str) -> list[str | int]:
    """`lines[2].amount_incl` → ['lines', 2, 'amount_incl']."""
    steps: list[str | int] = []
    for step in path.split("."):
        match = _STEP.match(step)
        steps.append(match["name"] if match else step)
        if match and match["index"] is not None:
            steps.append(int(match["index"]))
    return steps


def _at(root: Any, path: str) -> tuple[Any, str | int] | None:
    """The (container, key) of a dotted path like `lines[2].amount_incl` in `root`."""
    steps = _steps(path)
    container = root
    for step in steps[:-1]:
        container = _get(container, step)
    return (container, steps[-1]) if steps else None


def _get(container: Any, key: str | int) -> Any:
    try:
        return container[key]
    except (KeyError, IndexError, TypeError):
        return None


# -- what an expression reads ------------------------------------------------------------------
def _chain(node: nodes.Node) -> list[str | int] | None:
    if isinstance(node, nodes.Name):
        return [node.name]
    if isinstance(node, nodes.Getattr):
        head = _chain(node.node)
        return None if head is None else [*head, node.attr]
    if (
        isinstance(node, nodes.Getitem)
        and isinstance(node.arg, nodes.Const)
        and isinstance(node.arg.value, str | int)
    ):
        head = _chain(node.node)
        return None if head is None else [*head, node.arg.value]
    return None


def reads(text: str) -> list[list[str | int]]:
    """The name chains an expression reads (`line.amount_incl`, `settings.rounding`), longest
    first-written, without functions called by name.

    >>> reads("{{ unit_price(line.amount_incl, line.quantity, 4) }}")
    [['line', 'amount_incl'], ['line', 'quantity']]
    """
    if text.startswith("$") or not is_template(text):
        return []
    try:
        tree = parse_template(text)
    except ExpressionError:
        return []
    found: list[list[str | int]] = []

    def walk(node: nodes.Node) -> None:
        chain = _chain(node)
        if chain is not None:
            constant = chain[0] in ("true", "false", "none", "True", "False", "None")
            if not constant and chain not in found:
                found.append(chain)
            return
        for child in node.iter_child_nodes():
            if isinstance(node, nodes.Call) and child is node.node:
                continue
            walk(child)

    walk(tree)
    return found


def _written(chain: list[str | int]) -> str:
    text = str(chain[0])
    for step in chain[1:]:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return text


def _value_of(chain: list[str | int], scope: Scope) -> tuple[bool, Any]:
    if chain[0] not in scope:
        return False, None
    value = scope[chain[0]]
    for step in chain[1:]:
        in_list = (
            isinstance(value, list) and isinstance(step, int) and -len(value) <= step < len(value)
        )
        if not (in_list or isinstance(value, dict) and step in value):
            return False, None
        value = value[step]
    return True, value


def shown(value: Any) -> str:
    """A value as explain shows it: short, and never a whole object.

    >>> shown("-5.00"), shown({"a": 1, "b": 2}), shown([1, 2, 3]), shown(None)
    ('-5.00', '{…2 fields}', '[…3 items]', 'none')
    """
    if value is None:
        return "none"
    if isinstance(value, dict):
        return f"{{…{len(value)} fields}}"
    if isinstance(value, list | tuple):
        return f"[…{len(value)} items]"
    text = to_text(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _read_values(text: str, scope: Scope) -> str:
    parts = []
    for chain in reads(text):
        if chain[0] == "settings" and len(chain) == 1:
            continue
        found, value = _value_of(chain, scope)
        if any(_SECRET.search(str(step)) for step in chain):
            parts.append(f"{_written(chain)} = ***")
        else:
            parts.append(f"{_written(chain)} = {shown(value) if found else '(undefined)'}")
    return ", ".join(parts)


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 90 else flat[:89] + "…"


# -- explaining a payload ----------------------------------------------------------------------
class _Explainer:
    def __init__(self, pair: Pair, payload: Payload, document: dict[str, Any] | None) -> None:
        self.source = _Tracer(pair.source)
        self.canonical: Any = payload.canonical
        if document is not None:
            traced = _traced(self.source, document)
            if traced is not None and plain(traced) == plain(payload.canonical):
                self.canonical = traced  # else: the target's rules only, not the shop's
        self.target = _Tracer(pair.target)
        self.body = _traced(self.target, {"order": self.canonical})
        self.paths = _index(self.canonical)

    def field(self, path: str, value: Any) -> list[str]:
        located = _at(self.body, path)
        rule = self.target.rule_of(*located) if located else None
        if rule is None:
            return [f"  {path} = {to_text(value)}  ← (literal)"]
        lines = [f"  {path} = {to_text(value)}  ← {rule.place}  {_one_line(rule.text)}"]
        lines += self._details(rule, self.target, "      ", canonical=True)
        return lines

    def _details(self, rule: Rule, tracer: _Tracer, indent: str, *, canonical: bool) -> list[str]:
        lines = []
        read = _read_values(rule.text, rule.scope)
        if read:
            lines.append(f"{indent}reads {read}")
        for chain in reads(rule.text):
            lines += self._origin(chain, rule, tracer, indent, canonical=canonical)
        return lines

    def _origin(
        self, chain: list[str | int], rule: Rule, tracer: _Tracer, indent: str, *, canonical: bool
    ) -> list[str]:
        name = str(chain[0])
        row = self._lookup_row(name, rule, tracer)
        if row is not None:
            return [f"{indent}{name} ← {row}"]
        if canonical:
            field = self._canonical_field(chain, rule.scope)
            if field is not None:
                return self._shop_rule(field, indent)
        if len(indent) >= 14:  # two steps back are enough to read
            return []
        made = self._made_field(chain, rule.scope, tracer)
        if made is not None:
            written, maker = made
            lines = [f"{indent}{written} ← {maker.place}  {_one_line(maker.text)}"]
            return lines + self._details(maker, tracer, indent + "    ", canonical=canonical)
        own = rule.part_lets
        spec = own.get(name) if own is not None else None
        if own is not None and isinstance(spec, str) and spec != rule.text:
            # a list part's own let (a row's price read once), read in the element's scope
            part_let = Rule(own.places[name], spec, rule.scope, rule.part, own)
            lines = [f"{indent}{name} ← let {part_let.place}  {_one_line(spec)}"]
            return lines + self._details(part_let, tracer, indent + "    ", canonical=canonical)
        let = tracer.lets.get(name)
        if let is not None and let.text != rule.text:
            lines = [f"{indent}{name} ← let {let.place}  {_one_line(let.text)}"]
            return lines + self._details(let, tracer, indent + "    ", canonical=canonical)
        return []

    @staticmethod
    def _made_field(
        chain: list[str | int], scope: Scope, tracer: _Tracer
    ) -> tuple[str, Rule] | None:
        """(`line.amount_incl`, the rule that made that field) when `line` is an object the
        rules built (a `let` list's element)."""
        for cut in range(len(chain) - 1, 0, -1):
            found, value = _value_of(chain[:cut], scope)
            if found and isinstance(value, dict) and id(value) in tracer.made:
                maker = tracer.rule_of(value, chain[cut])
                if maker is not None:
                    return _written(chain[: cut + 1]), maker
        return None

    def _lookup_row(self, name: str, rule: Rule, tracer: _Tracer) -> str | None:
        """`lookup vat_codes row: scheme=domestic, …` when `name` is a let made by lookup()."""
        spec = None
        if rule.part_lets is not None and name in rule.part_lets:
            spec = rule.part_lets[name]
        elif name in tracer.lets:
            spec = tracer.lets[name].text
        found, value = _value_of([name], rule.scope)
        if not isinstance(spec, str) or not found or not isinstance(value, dict):
            return None
        match = _LOOKUP.search(spec)
        if match is None:
            return None
        fields = ", ".join(
            f"{key}={'***' if _SECRET.search(str(key)) else shown(item)}"
            for key, item in value.items()
        )
        return f"lookup {match['table']} row: {fields}"

    def _canonical_field(self, chain: list[str | int], scope: Scope) -> str | None:
        """The canonical field a chain read: `order.x.y` → `x.y`; `line.amount_incl`, where
        `line` is canonical `lines[2]`, → `lines[2].amount_incl`."""
        if chain[0] == "order" and len(chain) > 1:
            return _written(chain[1:])
        for cut in range(len(chain) - 1, 0, -1):
            found, value = _value_of(chain[:cut], scope)
            if found and isinstance(value, dict | list) and id(value) in self.paths:
                base = self.paths[id(value)]
                rest = _written(["", *chain[cut:]])
                return f"{base}{rest}" if base else rest.lstrip(".")
        return None

    def _shop_rule(self, field: str, indent: str) -> list[str]:
        located = _at(self.canonical, field)
        rule = self.source.rule_of(*located) if located else None
        if rule is None:
            return [f"{indent}← canonical {field}"]
        lines = [f"{indent}← canonical {field} ← {rule.place}  {_one_line(rule.text)}"]
        lines += self._details(rule, self.source, indent + "    ", canonical=False)
        if rule.part is not None and isinstance(rule.part.get("each"), str):
            each = rule.part["each"]
            where = rule.part.places["each"]
            read = _read_values(each, self.source.scope)
            lines.append(
                f"{indent}    element of each {where}  {_one_line(each)}"
                + (f"  (reads {read})" if read else "")
            )
        return lines


def _traced(tracer: _Tracer, document: dict[str, Any]) -> Any:
    """The tracer's output for the document; None when it cannot be made again (then explain
    names no rule: it never fails an order the real run mapped)."""
    try:
        return tracer.run(document)
    except Exception:  # noqa: BLE001 — explaining is best effort over a run that succeeded
        return None


def _index(value: Any, path: str = "", found: dict[int, str] | None = None) -> dict[int, str]:
    """id of every object and list in the canonical order → its path (`lines[2]`)."""
    found = {} if found is None else found
    if isinstance(value, dict):
        found.setdefault(id(value), path)
        for key, child in value.items():
            _index(child, f"{path}.{key}" if path else str(key), found)
    elif isinstance(value, list):
        found.setdefault(id(value), path)
        for number, child in enumerate(value):
            _index(child, f"{path}[{number}]", found)
    return found


def matches(path: str, wanted: str) -> bool:
    """Whether a field's path ends in `wanted`, on a step boundary.

    >>> matches("InvoiceLines.InvoiceLine[2].Product.SalesPrice", "SalesPrice")
    True
    >>> matches("InvoiceLines.InvoiceLine[2].Product.SalesPrice", "InvoiceLine[2]")
    True
    >>> matches("Subject", "ject")
    False
    """
    if not wanted or path == wanted:
        return True
    for boundary in (".", "["):
        if path.endswith(boundary + wanted) or wanted.startswith("[") and path.endswith(wanted):
            return True
    steps = path.split(".")
    for start in range(len(steps)):
        for end in range(start + 1, len(steps) + 1):
            if ".".join(steps[start:end]) == wanted:
                return True
    return False


def explain_payload(
    pair: Pair, payload: Payload, document: dict[str, Any] | None = None, field: str = ""
) -> str:
    """One line per field: `path = value  ← file:line:column  rule`, then what it read and,
    back through the canonical order, the shop's rule (with `document`, the fetched order).
    `field`: only the fields whose path ends in it."""
    explainer = _Explainer(pair, payload, document)
    lines = [f"order {payload.order_id} ({payload.rules}):"]
    for path, value in leaves(plain(payload.body)):
        if value is None or value == "" or not matches(path, field):
            continue
        lines += explainer.field(path, value)
    return "\n".join(lines)


def explained_fields(payload: Payload) -> list[str]:
    """Every field path of a payload that explain shows."""
    return [p for p, v in leaves(plain(payload.body)) if v is not None and v != ""]
