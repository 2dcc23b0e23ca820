"""Compile a rule set — mapping.yaml and what it includes — into a RuleSet ready to apply.

Stages, one function each: load the files (engine/load.py) → resolve includes → validate
against schemas/mapping.schema.json → compile every value once (engine/expressions.py) into a
tree of small closures. Nothing here runs per order; `RuleSet.bind(settings)` makes a
`BoundRuleSet` per tenant, and `BoundRuleSet.apply(document)` is the per-order hot path.
"""

from __future__ import annotations

import decimal
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from time import monotonic
from typing import Any

from jinja2.exceptions import SecurityError, UndefinedError

from ..errors import MappingError, Place, RuleError, UsageError
from ..library.functions import FILTERS, FUNCTIONS
from ..library.money import MoneyFormatError
from ..paths import schema_text, schema_validator
from .codegen import Stage, generate_stage
from .confine import allowed_roots, confined
from .demand import Reads, lazy_lets, names_read, needed_lets, prune, target_reads
from .disk_cache import compiled, known_valid, remember_valid
from .expressions import (
    INLINE,
    PENDING,
    ExpressionError,
    Scope,
    Undefined_,
    Value,
    compile_jinja,
    compile_jsonpath,
    constant,
    is_literal,
    is_template,
    to_text,
)
from .json_writer import JsonWriter, compile_json_writer, json_cannot_carry_xml
from .load import LocatedDict, LocatedList, display_path, load_yaml
from .lookups import Lookup, lookup_function
from .render import cannot_carry, payload_json, payload_problem
from .xml_writer import BodyWriter, compile_body_writer

ORDER_TIME_LIMIT = 2.0  # seconds one rule set may take for one order
GENERATE_AFTER = 100  # orders a rule set maps interpreted before its stage is generated

SECTIONS_MERGED = ("lookups", "let", "output")


@dataclass(frozen=True)
class CheckFailure:
    check: str
    message: str
    resolution: str
    place: Place

    def as_dict(self) -> dict[str, str]:
        return {"check": self.check, "message": self.message, "resolution": self.resolution}


@dataclass(frozen=True)
class Rejection:
    """An order the checks turned away; nothing may be sent for it."""

    order_id: str | None
    failures: tuple[CheckFailure, ...]

    def reasons(self) -> list[str]:
        return [f"{f.check}: {f.message}" for f in self.failures]


@dataclass
class _Check:
    name: str
    assertion: Value
    message: Value
    resolution: Value | None
    each: Value | None
    as_name: str
    when: Value | None
    place: Place


@dataclass
class RuleSet:
    """A compiled rule set. Immutable after compile; shared by every tenant that binds it."""

    name: str
    version: str
    kind: str
    folder: Path
    output_schema: str
    format: dict[str, Any]
    settings_defaults: dict[str, Any]
    settings_schema: dict[str, Any] | None
    lookups: dict[str, Lookup]
    lets: list[tuple[str, Value]]
    checks: list[_Check]
    output: Value
    order_id: Value | None = None
    order_number: Value | None = None
    order_date: Value | None = None
    sendable: tuple[Value, Value] | None = None
    explain: dict[str, tuple[Place, str]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    # The merged rule files, kept for `lean` and `reads` (compiled again only per pair).
    data: LocatedDict | None = field(default=None, repr=False, compare=False)
    _lean: dict[str, RuleSet] = field(default_factory=dict, repr=False, compare=False)
    _writer: list[BodyWriter | None] = field(default_factory=list, repr=False, compare=False)
    _json_writer: list[JsonWriter | None] = field(default_factory=list, repr=False, compare=False)
    # The `let`s computed when first read, not in order (engine/rules/demand.py lazy_lets).
    lazy: frozenset[str] = field(default=frozenset(), repr=False, compare=False)
    # The `output:` spec compiled (the pruned one of a lean variant); None: data's.
    output_spec: Any = field(default=None, repr=False, compare=False)
    _stage: list[Stage | None] = field(default_factory=list, repr=False, compare=False)
    _applied: list[int] = field(default_factory=lambda: [0], repr=False, compare=False)

    def stage(self) -> Stage | None:
        """This rule set as one generated function (engine/rules/codegen.py), or None when
        the interpreter runs it; generated once, when first asked for."""
        if not self._stage:
            self._stage.append(self._generate())
        return self._stage[0]

    def stage_for_next_order(self) -> Stage | None:
        """`stage()` once this rule set has mapped GENERATE_AFTER orders; before, None: the
        interpreter maps the first ones, as a command of a few orders is done sooner that way
        (writing the PrestaShop and Yuki rule sets out as code takes ~20 ms, what some 200
        orders cost the interpreter more than the generated code)."""
        if not self._stage:
            self._applied[0] += 1
            if self._applied[0] <= GENERATE_AFTER:
                return None
        return self.stage()

    def _generate(self) -> Stage | None:
        if self.data is None:
            return None
        all_lets = self.data.get("let", LocatedDict())
        kept = {name for name, _ in self.lets}
        lets = LocatedDict()
        if hasattr(all_lets, "place"):
            lets.place = all_lets.place
        lets.places = {}
        for name, spec in all_lets.items():
            if name in kept:
                lets[name] = spec
                lets.places[name] = all_lets.places[name]
        output = (
            self.output_spec
            if self.output_spec is not None
            else self.data.get("output", LocatedDict())
        )
        generated = generate_stage(
            _functions(),
            lets,
            self.lazy,
            self.data.get("checks", LocatedList()),
            output,
            Place(display_path(self.folder / "mapping.yaml"), 1),
            _STAGE_HELPERS,
        )
        return None if generated is None else generated[0]

    def body_writer(self) -> BodyWriter | None:
        """The XML writer generated from this target's element tree (None: not XML, or a
        tree that cannot be written ahead); generated once."""
        if not self._writer:
            xml = self.kind == "target" and self.format.get("type") == "xml"
            spec = self.data.get("output") if self.data is not None and xml else None
            lets = self.data.get("let") if self.data is not None else None
            writer = compile_body_writer(spec, lets=lets) if spec is not None else None
            self._writer.append(writer)
        return self._writer[0]

    def json_writer(self) -> JsonWriter | None:
        """The JSON writer generated from this target's output tree (None: not a target, or
        a tree that cannot be written ahead); generated once."""
        if not self._json_writer:
            spec = self.data.get("output") if self.data is not None else None
            usable = self.kind == "target" and spec is not None
            self._json_writer.append(compile_json_writer(spec) if usable else None)
        return self._json_writer[0]

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    def reads(self) -> Reads | None:
        """The canonical fields this (target) rule set reads; None: all of them."""
        if self.data is None:
            return None
        return target_reads([self.data.get(section) for section in _READING_SECTIONS])

    def lean(self, reads: Reads | None, keep: tuple[str, ...] = ("id", "number")) -> RuleSet:
        """This (shop) rule set making only the output fields `reads` reaches, and only the
        `let`s they, the checks and `sendable` need; the same rule set when `reads` is None.
        Compiled once per distinct `reads`."""
        if reads is None or self.data is None:
            return self
        key = repr(reads) + repr(keep)
        if key not in self._lean:
            self._lean[key] = self._compile_lean(self.data, reads, keep)
        return self._lean[key]

    def _compile_lean(self, data: LocatedDict, reads: Reads, keep: tuple[str, ...]) -> RuleSet:
        output = prune(data.get("output", LocatedDict()), reads, keep)
        wanted = names_read(output) | names_read(data.get("checks", []))
        wanted |= names_read(data.get("sendable", {}))
        needed = needed_lets(data.get("let", LocatedDict()), wanted)
        compiler = _Compiler(_functions(), self.lazy)
        compiled = compiler.value(output, Place(display_path(self.folder / "mapping.yaml"), 1), "")
        lets = [(name, value) for name, value in self.lets if name in needed]
        return replace(
            self, output=compiled, lets=lets, _lean={}, output_spec=output, _stage=[], _applied=[0]
        )

    def bind(
        self, settings: dict[str, Any] | None = None, source: str = "settings"
    ) -> BoundRuleSet:
        from .settings import merge_settings

        merged = merge_settings(self, settings or {}, source)
        lookups = {name: table.bind(merged) for name, table in self.lookups.items()}
        return BoundRuleSet(self, merged, lookups)


class BoundRuleSet:
    """A rule set with one tenant's settings: `apply` maps one document."""

    # Run the rule set's generated stage function where it has one (False: the interpreter,
    # for tests comparing the two).
    generated = True

    def __init__(
        self,
        rules: RuleSet,
        settings: dict[str, Any],
        lookups: dict[str, Any],
        text_format: str | None = None,
    ) -> None:
        self.rules = rules
        self.settings = settings
        self._base_scope: Scope = {"settings": settings, "$lookups": lookups}
        # A target's payload is checked for what its format cannot carry (XML: control
        # characters; any: lone surrogates) so that order fails alone, before any batch.
        self._payload_format = rules.format.get("type", "json") if rules.kind == "target" else None
        # The text written with each payload: in the target's own format unless `writing`
        # asks for the other (an XML target's payloads shown as JSON are still checked as XML).
        self.text_format = text_format or self._payload_format
        # Only the writer of the format written is generated (`writing` binds anew for the other).
        self._body_writer = rules.body_writer() if self.text_format == "xml" else None
        self._json_writer = rules.json_writer() if self.text_format == "json" else None
        # The rule set's stage, once it has one (`_next_stage`), and its lazy `let`s: read
        # for every order, so kept here.
        self._stage: Stage | None = None
        self._lazy = rules.lazy

    def _next_stage(self) -> Stage | None:
        """The stage for the next order (`RuleSet.stage_for_next_order`), kept once there."""
        self._stage = self.rules.stage_for_next_order()
        return self._stage

    def with_rules(self, rules: RuleSet) -> BoundRuleSet:
        """The same tenant's settings and lookups over `rules` (a lean variant of its own)."""
        if rules is self.rules:
            return self
        return BoundRuleSet(rules, self.settings, self._base_scope["$lookups"])

    def writing(self, text_format: str | None) -> BoundRuleSet:
        """This target writing each payload's text in `text_format` ("xml", "json"; None:
        its own) — what a dry-run prints, so the payload is written once."""
        chosen = text_format or self._payload_format
        if self._payload_format is None or chosen == self.text_format:
            return self
        if chosen == "xml" and self._payload_format != "xml":
            raise json_only(self.rules)
        return BoundRuleSet(self.rules, self.settings, self._base_scope["$lookups"], chosen)

    def scope(self, document: dict[str, Any]) -> Scope:
        """What this rule set's rules read for one document, its time limit starting now;
        made once for both `not_sendable_reason` and `made` (`Pair.map`)."""
        deadline = monotonic() + ORDER_TIME_LIMIT
        return {**self._base_scope, **document, "$": document, "$deadline": deadline}

    def not_sendable_reason(
        self, document: dict[str, Any], order_id: str | None = None, scope: Scope | None = None
    ) -> str | None:
        """Why the order is not to be invoiced yet (its status), or None when it is.
        `scope`: the document's `scope`, when the caller has made it."""
        if self.rules.sendable is None:
            return None
        when, reason = self.rules.sendable
        if scope is None:
            scope = self.scope(document)
        try:
            return None if when(scope) else to_text(reason(scope))
        except MappingError as error:
            name_order(error, order_id)
            raise

    def apply(
        self,
        document: dict[str, Any],
        order_id: str | None = None,
        parts: dict[str, list[int]] | None = None,
    ) -> Any:
        """The output for one document, or a Rejection. Raises MappingError on bad input
        (and on a payload its format cannot carry). `parts`, when given, collects which list
        part made each element (for --explain)."""
        return self.apply_written(document, order_id, parts)[0]

    def apply_written(
        self,
        document: dict[str, Any],
        order_id: str | None = None,
        parts: dict[str, list[int]] | None = None,
    ) -> tuple[Any, str | None]:
        """`apply`, with `written`'s text of the output (None for a Rejection)."""
        output = self.made(document, order_id, parts)
        if isinstance(output, Rejection):
            return output, None
        return output, self.written(output, order_id)

    def made(
        self,
        document: dict[str, Any],
        order_id: str | None = None,
        parts: dict[str, list[int]] | None = None,
        scope: Scope | None = None,
    ) -> Any:
        """`apply`'s output, not yet looked over for what its format cannot carry (`written`
        does that). `scope`: the document's `scope`, when the caller has made it (and
        nothing ran in it but `not_sendable_reason`)."""
        rules = self.rules
        if scope is None:
            scope = self.scope(document)
        if parts is not None:
            scope["$parts"] = parts
            stage = None
        else:
            stage = self.generated and (self._stage or self._next_stage())
        try:
            if stage and (not self._lazy or self._lazy.isdisjoint(scope)):
                failed, output = stage(scope)
                return Rejection(order_id, tuple(failed)) if failed else output
            if rules.lazy and rules.lazy.isdisjoint(scope):
                pending: dict[str, Value] = {}
                scope[PENDING] = pending
                for name, value in rules.lets:
                    if name in rules.lazy:
                        pending[name] = value
                    else:
                        scope[name] = value(scope)
            else:  # a let named like a field of the document: all in order, as written
                for name, value in rules.lets:
                    scope[name] = value(scope)
            failures: list[CheckFailure] = []
            for check in self.rules.checks:
                _run(check, scope, failures)
            if failures:
                return Rejection(order_id, tuple(failures))
            return self.rules.output(scope)
        except MappingError as error:
            name_order(error, order_id)
            raise

    def written(self, output: Any, order_id: str | None = None) -> str | None:
        """The payload's text when the target's format is written to check it (XML: the
        elements of the payload; JSON: the payload without empty fields), else None. Raises
        MappingError when the payload holds what its format cannot carry."""
        if self._payload_format is None:
            return None
        try:
            return self._written(output)
        except MappingError as error:
            name_order(error, order_id)
            raise

    def _written(self, output: Any) -> str | None:
        """The payload's text, checked for what its format cannot carry: a quick look at the
        text (or the texts as they were written); only when that finds something is the
        payload walked, to name the field."""
        if self._body_writer is not None and type(output) is dict:  # (only when writing XML)
            text, suspect = self._body_writer(output)
            if suspect:
                _refuse_payload(output, xml=True)
            return text
        xml = self._payload_format == "xml"
        if self.text_format == "json":
            writer = self._json_writer if type(output) is dict else None
            text, suspect = writer(output) if writer is not None else (payload_json(output), xml)
            if xml and (suspect or json_cannot_carry_xml(text)):
                _refuse_payload(output, xml=True)
            elif not xml and cannot_carry(text, xml=False):
                _refuse_payload(output, xml=False)
            return text
        _refuse_payload(output, xml=True)
        return None


def json_only(rules: RuleSet) -> UsageError:
    """What asking a JSON target for XML gets."""
    return UsageError(f"{rules.name} payloads are JSON; use --format json")


def _refuse_payload(output: Any, *, xml: bool) -> None:
    problem = payload_problem(output, xml=xml)
    if problem is not None:
        raise MappingError(problem[1], field=problem[0])


def name_order(error: MappingError, order_id: str | None) -> None:
    """Name the order in `error`'s message, unless it names one already."""
    if error.order_id is None and order_id is not None:
        error.order_id = order_id
        error.args = (_mapping_message(error),)


def _mapping_message(error: MappingError) -> str:
    return str(
        MappingError(error.message, order_id=error.order_id, field=error.field, place=error.place)
    )


def _run(check: _Check, scope: Scope, failures: list[CheckFailure]) -> None:
    """Append the check's failures (one per element, for a check with `each`)."""
    if check.each is None:
        _run_one(check, scope, failures)
        return
    saved = scope.get(check.as_name, _MISSING)
    deadline = scope.get("$deadline", _NO_DEADLINE)
    try:
        for element in check.each(scope):
            scope[check.as_name] = element
            _run_one(check, scope, failures)
            if time.monotonic() > deadline:
                raise _out_of_time(check.place, f"checks {check.name}")
    finally:
        _restore(scope, check.as_name, saved)


def _run_one(check: _Check, scope: Scope, failures: list[CheckFailure]) -> None:
    if check.when is not None and not check.when(scope):
        return
    if check.assertion(scope):
        return
    resolution = to_text(check.resolution(scope)) if check.resolution else ""
    failures.append(
        CheckFailure(check.name, to_text(check.message(scope)), resolution, check.place)
    )


_MISSING = object()
_NO_DEADLINE = float("inf")


def _out_of_time(place: Place | None, path: str) -> MappingError:
    return MappingError(
        f"the rules took longer than {ORDER_TIME_LIMIT:g} s for this order (the time limit)",
        field=path,
        place=place,
    )


def _restore(scope: Scope, name: str, saved: object) -> None:
    if saved is _MISSING:
        scope.pop(name, None)
    else:
        scope[name] = saved


# -- loading and includes --------------------------------------------------------------------
def load_rule_files(mapping_file: Path) -> tuple[LocatedDict, list[Path]]:
    """mapping.yaml with its includes merged in: the file first, then its includes in order."""
    files: list[Path] = []
    roots = allowed_roots(mapping_file.parent)
    resolved = confined(mapping_file.name, mapping_file.parent, roots, None, "rule file")
    merged = _load_with_includes(resolved, files, (), roots)
    return merged, files


def _load_with_includes(
    path: Path, files: list[Path], chain: tuple[Path, ...], roots: tuple[Path, ...]
) -> LocatedDict:
    if path in chain:
        cycle = " → ".join(display_path(p) for p in (*chain, path))
        raise RuleError(f"include cycle: {cycle}", Place(display_path(path), 1))
    data = load_yaml(path, display_path(path), rule_file=True)
    if not isinstance(data, LocatedDict):
        raise RuleError("a rule file must be a mapping of sections", Place(display_path(path), 1))
    _validate(data, path)
    files.append(path)
    merged = LocatedDict({k: v for k, v in data.items() if k != "include"})
    merged.place, merged.places = data.place, dict(data.places)
    includes = data.get("include", [])
    for index, relative in enumerate(includes):
        target = confined(relative, path.parent, roots, includes.places[index], "included file")
        _merge(merged, _load_with_includes(target, files, (*chain, path), roots))
    return merged


def _merge(into: LocatedDict, other: LocatedDict) -> None:
    for key, value in other.items():
        if key in SECTIONS_MERGED and key in into:
            section = into[key]
            for name, item in value.items():
                if name in section:
                    raise RuleError(
                        f"{key}.{name} is defined twice (also at {section.places[name]})",
                        value.places[name],
                    )
                section[name] = item
                section.places[name] = value.places[name]
        elif key == "checks" and key in into:
            into[key].extend(value)
            into[key].places.extend(value.places)
        elif key in into and key not in ("name", "version"):
            raise RuleError(f"section {key!r} is set twice", other.places[key])
        else:
            into[key] = value
            into.places[key] = other.places[key]


def _validate(data: LocatedDict, path: Path) -> None:
    checked = (schema_text("mapping"), repr(data))  # a rule file's data: texts, numbers, lists
    if known_valid(*checked):
        return
    errors = sorted(
        schema_validator("mapping").iter_errors(data), key=lambda e: list(e.absolute_path)
    )
    if not errors:
        remember_valid(*checked)
        return
    from jsonschema.exceptions import best_match

    error = best_match(errors)
    where = _place_of(data, list(error.absolute_path)) or data.place
    rule_path = ".".join(str(p) for p in error.absolute_path)
    raise RuleError(f"not valid rule file: {error.message}", where, rule_path)


def _place_of(data: Any, path: list[Any]) -> Place | None:
    place = getattr(data, "place", None)
    for step in path:
        places = getattr(data, "places", None)
        if places is None:
            break
        place = places[step]
        data = data[step]
    return place


# -- compiling values -------------------------------------------------------------------------
MAX_COMPILED = 20_000  # rule strings whose compiled functions are kept (per process)
_COMPILED: dict[tuple[Any, ...], Value] = {}


class _Compiler:
    def __init__(self, functions: dict[str, Any], lazy: frozenset[str] = frozenset()) -> None:
        self.functions = functions
        self.lazy = lazy  # the lazy `let`s: their names read through `_let` (expressions.py)
        self.explain: dict[str, tuple[Place, str]] = {}
        # what the compiled functions depend on besides the string: the functions rules call
        self.namespace_key = tuple((name, id(f)) for name, f in sorted(functions.items()))

    def value(
        self, spec: Any, place: Place, path: str, *, many: bool = False, key: str | None = None
    ) -> Value:
        """Compile a value. `path` names the field in errors (`lines[].amount`); `key` names
        it for --explain, with the list part that made it (`lines[#0].amount`)."""
        key = path if key is None else key
        if isinstance(spec, LocatedDict):
            return self.object(spec, path, key)
        if isinstance(spec, LocatedList):
            return self.sequence(spec, path, key)
        if isinstance(spec, str):
            self.explain[key] = (place, spec)
            return self.text(spec, place, path, many=many)
        self.explain[key] = (place, json.dumps(spec))
        return constant(spec)

    def text(self, spec: str, place: Place, path: str, *, many: bool = False) -> Value:
        """A rule string compiled: a JSONPath, a Jinja expression or a literal. The same
        string at the same place compiles to the same function, so compiling a rule set's
        lean variant (`RuleSet.lean`) reuses what compiling the rule set made."""
        key = (spec, place, path, many, self.namespace_key, self.lazy)
        found = _COMPILED.get(key)
        if found is None:
            found = self._text(spec, place, path, many=many)
            if len(_COMPILED) >= MAX_COMPILED:
                _COMPILED.clear()
            _COMPILED[key] = found
        return found

    def _text(self, spec: str, place: Place, path: str, *, many: bool = False) -> Value:
        try:
            if spec.startswith("$"):
                return _guarded(compile_jsonpath(spec, many=many), place, path)
            if is_template(spec):
                converter = _error_converter(place, path)
                function, _ = compile_jinja(
                    spec, self.functions, FILTERS, converter, lazy=self.lazy
                )
                return function
            return constant(spec)
        except ExpressionError as error:
            line_place = Place(place.file, place.line + error.line - 1, place.column)
            raise RuleError(str(error), line_place, path) from None

    def object(self, spec: LocatedDict, path: str, key: str) -> Value:
        fields = [
            (
                name,
                self.value(
                    value,
                    spec.places[name],
                    f"{path}.{name}" if path else name,
                    key=f"{key}.{name}" if key else name,
                ),
                value,
            )
            for name, value in spec.items()
        ]
        return _object_builder(fields)

    def lets(self, spec: LocatedDict, path: str) -> list[tuple[str, Value]]:
        return [
            (name, self.value(value, spec.places[name], f"{path}{name}"))
            for name, value in spec.items()
        ]

    def sequence(self, spec: LocatedList, path: str, key: str) -> Value:
        parts = [self.part(part, path, key, i) for i, part in enumerate(spec)]

        def build(scope: Scope) -> list[Any]:
            result: list[Any] = []
            for part in parts:
                part(scope, result)
            return result

        return build

    def part(
        self, spec: LocatedDict, path: str, key: str, number: int
    ) -> Callable[[Scope, list[Any]], None]:
        item = self.value(spec["item"], spec.places["item"], f"{path}[]", key=f"{key}[#{number}]")
        when = (
            self.text(spec["when"], spec.places["when"], f"{path}[] when")
            if "when" in spec
            else None
        )
        lets = self.lets(spec["let"], f"{path}[] let ") if "let" in spec else []
        each = (
            self.text(spec["each"], spec.places["each"], f"{path}[] each", many=True)
            if "each" in spec
            else None
        )
        as_name = spec.get("as", "")
        names = [as_name, *(name for name, _ in lets)] if each else [name for name, _ in lets]
        each_place = spec.places.get("each")

        def add_one(scope: Scope, out: list[Any]) -> None:
            """A part of one element, without `let`s: its `when`, then its item."""
            try:
                if when is None or when(scope):
                    out.append(item(scope))
                    made = scope.get("$parts")  # for --explain only
                    if made is not None:
                        made.setdefault(key, []).append(number)
            except MappingError as error:
                _relabel(error, path, len(out))
                raise

        def add(scope: Scope, out: list[Any]) -> None:
            """Append this part's element(s) to `out`; the scope's names are restored after."""
            if each is None:
                elements: Any = (None,)
            else:
                elements = each(scope)
                if elements is None:
                    return
                if not isinstance(elements, list | tuple):
                    raise MappingError(
                        f"`each` must give a list, got {type(elements).__name__}",
                        field=f"{path}[]",
                        place=each_place,
                    )
            saved = [scope.get(n, _MISSING) for n in names]
            deadline = scope.get("$deadline", _NO_DEADLINE)
            made = scope.get("$parts")  # for --explain only: which part made each element
            append = out.append
            try:
                for element in elements:
                    if each is not None:
                        scope[as_name] = element
                        if monotonic() > deadline:
                            raise _out_of_time(each_place, f"{path}[]")
                    try:
                        for name, value in lets:
                            scope[name] = value(scope)
                        if when is None or when(scope):
                            append(item(scope))
                            if made is not None:
                                made.setdefault(key, []).append(number)
                    except MappingError as error:
                        _relabel(error, path, len(out))
                        raise
            finally:
                for name, old in zip(names, saved):
                    _restore(scope, name, old)

        return add_one if each is None and not lets else add

    def checks(self, spec: LocatedList) -> list[_Check]:
        compiled = []
        for index, check in enumerate(spec):
            path = f"checks[{index}]"

            def part(key: str, check: LocatedDict = check, path: str = path) -> Value | None:
                if key not in check:
                    return None
                return self.text(check[key], check.places[key], f"{path}.{key}", many=key == "each")

            assertion, message = part("assert"), part("message")
            assert assertion is not None and message is not None  # required by the schema
            compiled.append(
                _Check(
                    name=check["name"],
                    assertion=assertion,
                    message=message,
                    resolution=part("resolution"),
                    each=part("each"),
                    as_name=check.get("as", ""),
                    when=part("when"),
                    place=spec.places[index],
                )
            )
        return compiled


def _object_builder(fields: list[tuple[str, Value, Any]]) -> Value:
    """`_built_object(fields)`, generated the first time it is called: where the rule set
    runs as its generated stage (codegen.py), the interpreter's builders are never called, and
    compiling them all would only lengthen every command's start."""
    built: list[Value] = []

    def build(scope: Scope) -> Any:
        if not built:
            built.append(_built_object(fields))
        return built[0](scope)

    return build


def _built_object(fields: list[tuple[str, Value, Any]]) -> Value:
    """One generated function that builds the object: `{"a": <expression a>, "b": "literal",
    ...}` — the fields' expressions written in place, no call per field. Only when it fails
    are the fields run one by one, to find and name the field at fault."""
    namespace: dict[str, Any] = {"__builtins__": {}, "_MappingError": MappingError}
    entries = []
    for index, (name, value, spec) in enumerate(fields):
        literal = is_literal(spec)
        inline = INLINE.get(value)
        if literal:
            entries.append(f"{name!r}: {spec!r}")
        elif inline is not None and _compatible(namespace, inline[1]):
            namespace.update(inline[1])
            entries.append(f"{name!r}: {inline[0]}")
        else:
            namespace[f"_f{index}"] = value
            entries.append(f"{name!r}: _f{index}(s)")
    namespace["_fields"] = [value for _, value, _ in fields]
    source = (
        "def build(s):\n"
        "    try:\n"
        "        return {" + ", ".join(entries) + "}\n"
        "    except _Exception:\n"
        "        for field in _fields:\n"
        "            field(s)  # raises the field's own error, naming it\n"
        "        raise\n"
    )
    namespace.setdefault("_Exception", Exception)
    exec(compiled(source, "<object>"), namespace)  # noqa: S102 — built from field names
    builder: Value = namespace["build"]
    return builder


def _compatible(namespace: dict[str, Any], extra: dict[str, Any]) -> bool:
    """Two expressions' namespaces can be merged when no name means two things."""
    return all(
        namespace.get(name, obj) is obj
        for name, obj in extra.items()
        if name not in ("_rule", "_on_error", "__builtins__")
    )


def _relabel(error: MappingError, path: str, index: int) -> None:
    """`lines[].amount` → `lines[2].amount`: name the list element the error is about."""
    marker = f"{path}[]"
    if error.field.startswith(marker):
        error.field = f"{path}[{index}]{error.field[len(marker) :]}"
        error.args = (_mapping_message(error),)


def _guarded(function: Value, place: Place, path: str) -> Value:
    """Turn what can go wrong inside a JSONPath read into a MappingError naming the rule."""

    def run(scope: Scope) -> Any:
        try:
            return function(scope)
        except Exception as error:
            raise _mapping_error(error, place, path) from None

    return run


def _error_converter(place: Place, path: str) -> Callable[[Exception], BaseException]:
    def convert(error: Exception) -> BaseException:
        return _mapping_error(error, place, path)

    return convert


def _mapping_error(error: Exception, place: Place, path: str) -> BaseException:
    """What the user reads when an expression fails on an order; other errors pass unchanged."""
    if isinstance(error, MappingError):
        return error
    if isinstance(error, Undefined_ | MoneyFormatError | UndefinedError):
        message = str(error)  # UndefinedError: Jinja's filters, e.g. sum(attribute='no_such')
    elif isinstance(error, KeyError):
        message = f"{error.args[0]!r} is undefined"
    elif isinstance(error, SecurityError):
        message = f"refused by the sandbox: {error}"
    elif isinstance(error, RecursionError):
        message = "refused by the sandbox: a value nested too deeply for a rule"
    elif isinstance(error, decimal.DecimalException):
        message = _decimal_problem(error)
    elif isinstance(error, TypeError | ValueError | ArithmeticError | AttributeError):
        message = _plain(error)
    else:
        return error
    return MappingError(message, field=path, place=place)


def _decimal_problem(error: decimal.DecimalException) -> str:
    """Decimal's signals read as what went wrong, not `[<class 'decimal.InvalidOperation'>]`."""
    if isinstance(error, decimal.DivisionByZero | decimal.DivisionUndefined):
        return "division by zero"
    if isinstance(error, decimal.Overflow):
        return "a number out of range"
    return "an invalid decimal operation (a number out of range, or not a number)"


def _plain(error: Exception) -> str:
    text = str(error)
    if "unsupported operand" in text or "not supported between" in text:
        return f"{text} (is a field missing, or text where a number belongs? use | decimal)"
    return text or type(error).__name__


def _timed(elements: Any, deadline: float, where: tuple[Place | None, str]) -> Iterator[Any]:
    """`elements`, the order's deadline checked before each (a generated stage's long loop)."""
    for element in elements:
        if monotonic() > deadline:
            raise _out_of_time(*where)
        yield element


def _each_error(elements: Any, where: tuple[Place | None, str]) -> MappingError:
    return MappingError(
        f"`each` must give a list, got {type(elements).__name__}", field=where[1], place=where[0]
    )


_STAGE_HELPERS: dict[str, Any] = {
    "_me": lambda error, where: _mapping_error(error, where[0], where[1]),
    "_relabel": _relabel,
    "_oot": lambda where: _out_of_time(where[0], where[1]),
    "_timed": _timed,
    "_each_error": _each_error,
    "_CF": CheckFailure,
}

# -- the rule set ------------------------------------------------------------------------------
_READING_SECTIONS = ("let", "checks", "output", "lookups", "sendable")


def _functions() -> dict[str, Any]:
    functions = dict(FUNCTIONS)
    functions["lookup"] = lookup_function
    return functions


def compile_rule_set(folder: Path) -> RuleSet:
    """Load, validate and compile the rule set in `folder` (its mapping.yaml)."""
    mapping_file = folder / "mapping.yaml"
    if not mapping_file.is_file():
        raise RuleError(f"no mapping.yaml in {display_path(folder)}")
    data, files = load_rule_files(mapping_file)
    place = Place(display_path(mapping_file), 1)
    for required in ("name", "version", "kind", "output_schema", "output"):
        if required not in data:
            raise RuleError(f"mapping.yaml needs `{required}`", place)
    lazy = lazy_lets(data)
    compiler = _Compiler(_functions(), lazy)
    lookups = {
        name: Lookup.compile(
            name, spec, data["lookups"].places[name], compiler, mapping_file.parent
        )
        for name, spec in data.get("lookups", {}).items()
    }
    lets = compiler.lets(data["let"], "let ") if "let" in data else []
    checks = compiler.checks(data["checks"]) if "checks" in data else []
    output = compiler.value(data.get("output", LocatedDict()), place, "")
    order_id, order_number, order_date = (
        compiler.text(data[key], data.places[key], key) if key in data else None
        for key in ("order_id", "order_number", "order_date")
    )
    settings = data.get("settings", {})
    defaults = dict(settings.get("defaults", {}))
    if "defaults_file" in settings:
        defaults_path = confined(
            settings["defaults_file"],
            mapping_file.parent,
            allowed_roots(folder),
            settings.places["defaults_file"],
            "settings.defaults_file",
        )
        extra = load_yaml(defaults_path, display_path(defaults_path))
        defaults = {**extra, **defaults}
    sendable = None
    if "sendable" in data:
        spec = data["sendable"]
        sendable = (
            compiler.text(spec["when"], spec.places["when"], "sendable.when"),
            compiler.text(spec["reason"], spec.places["reason"], "sendable.reason"),
        )
    return RuleSet(
        name=data["name"],
        version=data["version"],
        kind=data["kind"],
        folder=folder,
        output_schema=data["output_schema"],
        format=dict(data.get("format", {"type": "json"})),
        settings_defaults=defaults,
        settings_schema=settings.get("schema"),
        lookups=lookups,
        lets=lets,
        checks=checks,
        output=output,
        order_id=order_id,
        order_number=order_number,
        order_date=order_date,
        sendable=sendable,
        explain=compiler.explain,
        files=files,
        data=data,
        lazy=lazy,
    )
