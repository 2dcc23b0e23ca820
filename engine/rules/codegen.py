"""One generated Python function per stage: a compiled rule set written out as code.

The interpreter (engine/rules/compile.py) runs a rule set as a tree of small closures: a call
per expression, the scope saved and restored around every list part, a lazy `let` fetched
through the scope's pending table. Here the same rule set becomes one function `stage(s)`:

- each top-level `let` is a slot of a per-order list `V` (computed in order, or — a lazy let —
  by its own function the first time it is read; where a let can reach itself through other
  lets, a busy flag makes it undefined while it is being made, as in the interpreter); within
  one function, a let that a statement already run has read wherever it runs (not in a branch
  Python may skip) is read from a local (`L<slot>`) from then on; in the main function such a
  let, when no function called before may have made it, is made in place just before the
  statement (`hoist`), without a call;
- each `each` is a `for` loop, its `as:` and `let:` names plain local variables; `when` an `if`;
- each check an `if` appending its CheckFailure; the output an inline dict / list display.

Expressions are translated by the same translator as the interpreter's (engine/rules/
expressions.py: the sandbox's accessors, the size limits, names starting with `_` refused),
only with names resolved to where they live. Each is written twice: with fields read by plain
subscripts, tried first, and in the guarded form, run only when the first raises (a field
missing, a list where an object was expected), so what the user reads is the guarded form's.
Nothing of a rule file enters the generated source except through that translator or as a
`repr`'d constant. Every expression keeps its
own try/except (free in Python 3.11 until something fails), which turns what failed into the
MappingError naming the rule's place and field; list parts name the element, as
`_relabel` does; loops check the per-order deadline as they start, and a list longer than
SHORT_LOOP before each element (`timed`).

`generate_stage` returns None for what it does not write (a part `let` reading a later one of
the same part, Python's own nesting limits, very large rule sets): that rule set keeps the
interpreter. Both paths give the same output (tests/engine/test_engine_codegen.py).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from ..errors import MappingError, Place
from ..library.functions import FILTERS
from .demand import names_read
from .disk_cache import compiled
from .expressions import (
    _Translator,
    compile_jsonpath,
    is_computed,
    is_template,
    template_body,
    to_text,
)
from .load import LocatedDict, LocatedList
from .scope_reads import Chain, ScopeReads

Stage = Callable[[dict[str, Any]], tuple[list[Any], Any]]

MAX_SOURCE = 400_000  # characters of generated source; past it, the interpreter runs the rules
SHORT_LOOP = 32  # elements a loop runs without reading the clock before each
_NAME_ONLY = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def _is_name(spec: Any, name: str) -> bool:
    """Whether the rule string `spec` is `{{ name }}` and nothing else."""
    found = _NAME_ONLY.fullmatch(spec) if name and isinstance(spec, str) else None
    return found is not None and found.group(1) == name


class Unsupported(Exception):
    """A construct this generator does not write; the rule set keeps the interpreter."""


_UNSET: Any = type("_Unset", (), {"__repr__": lambda self: "<unset>"})()


class _Env:
    """Where names live at one point of the generated code (lexical, innermost first)."""

    def __init__(self, parent: _Env | None = None) -> None:
        self.parent = parent
        self.names: dict[str, tuple[str, str]] = {}

    def find(self, name: str) -> tuple[str, str] | None:
        env: _Env | None = self
        while env is not None:
            found = env.names.get(name)
            if found is not None:
                return found
            env = env.parent
        return None


class _Generator:
    def __init__(
        self,
        functions: dict[str, Any],
        lets: LocatedDict,
        lazy: frozenset[str],
        helpers: dict[str, Any],
    ) -> None:
        self.translator = _Translator(functions, FILTERS, frozenset())
        self.namespace = self.translator.namespace
        self.namespace.update(helpers)
        self.namespace.update(
            {
                "_U": _UNSET,
                "_MappingError": MappingError,
                "_mono": time.monotonic,
                "_isinstance": isinstance,
                "_list": list,
                "_sequence": (list, tuple),
                "_len": len,
                "_KeyError": KeyError,
                "_inf": float("inf"),
                "_text": to_text,
            }
        )
        self.places: list[tuple[Place | None, str]] = []
        self.namespace["_P"] = self.places
        self.counter = 0
        self.lets = lets
        self.lazy = lazy
        self.slots = {name: index for index, name in enumerate(lets)}
        self.functions: list[str] = []
        # Lets kept in locals (`L<slot>`) within the function being written: `kept` maps a
        # let to how the function reads it; `available` holds those a statement already run
        # has certainly read (its local is set); `reading` those the statement being written
        # reads wherever it runs (not in a branch that may be skipped).
        self.kept: dict[str, tuple[str, str]] = {}
        self.available: set[str] = set()
        self.reading: set[str] = set()
        self.reads_deadline = False  # whether the function being written checks the deadline
        # Within a loop, a let read where Python may skip it (or again on the next element)
        # is kept in its local once made: `loops` counts the loops around the code being
        # written; `unset` the locals that start unset (`_U`) in the function being written.
        self.loops = 0
        self.unset: set[str] = set()
        # Writing the main function, lazy lets that a statement reads wherever it runs are
        # made in place just before it (`hoist`) instead of by a call to their function;
        # `first_reads` collects them, in the order read, while a statement is looked over.
        self.function_env: _Env | None = None
        self.first_reads: list[str] | None = None
        self.not_inlined: set[str] = set()  # lets that may read themselves: by their function
        # Lets the code written so far may have made by calling a function (a let's, or one
        # reading it through others): hoisting one of them could make it twice.
        self.maybe_made: set[str] = set()
        self.reached: dict[str, set[str]] = {}  # a let → the lets its function may make
        # The scope's objects the function being written reads fields of (read once each).
        self.scope_reads = ScopeReads()

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def place(self, place: Place | None, path: str) -> int:
        self.places.append((place, path))
        return len(self.places) - 1

    # -- expressions ---------------------------------------------------------------------
    def expression(self, spec: Any, env: _Env, many: bool = False) -> str:
        """Python source of a rule string or literal."""
        if not isinstance(spec, str):
            if isinstance(spec, dict | list):
                raise Unsupported("a structured value where a string belongs")
            return repr(spec)
        if spec.startswith("$"):
            key = self.fresh("_J")
            self.namespace[key] = compile_jsonpath(spec, many=many)
            return f"{key}(s)"
        if is_template(spec):
            self.translator.resolve = lambda name: self.resolve(env, name)
            self.translator.scope_chain = lambda chain: self.scope_chain(env, chain)
            self.translator.conditional = 0
            try:
                return template_body(spec, self.translator)
            finally:
                self.translator.resolve = self.translator.scope_chain = None
        return repr(spec)

    def resolve(self, env: _Env, name: str) -> tuple[str, str] | None:
        """How the expression being written reads `name`: a let a statement before has read
        is its local; a let read first here, outside a branch, is read into its local."""
        found = env.find(name)
        if found is None or self.kept.get(name) is not found:
            return found
        local = f"L{self.slots[name]}"
        if name in self.available:
            return local, found[1]
        if self.first_reads is None:  # written as read: its function may run
            self.maybe_made |= self.reached.get(name, set())
        if self.loops and self.first_reads is None:
            self.unset.add(local)
            return f"({local} if {local} is not _U else ({local} := {found[0]}))", found[1]
        if self.translator.conditional:
            return found
        hoistable = name not in self.not_inlined
        if self.first_reads is not None and hoistable and name not in self.first_reads:
            self.first_reads.append(name)
        self.reading.add(name)
        return f"({local} := {found[0]})", found[1]

    def scope_chain(self, env: _Env, chain: Chain) -> str | None:
        """How a fast form reads the object `chain` leads to: from the scope (the function's
        `scope_reads`) unless its first name is a let or a local here."""
        if env.find(chain[0]) is not None or chain[0] in self.translator.lazy:
            return None
        return self.scope_reads.read(chain)

    def hoist(self, spec: Any, lines: list[str], ind: str) -> None:
        """Before a statement of the main function (not in a block): the lazy lets it reads
        wherever it runs (and, through them, the lets those read so) made in place, in the
        order read — what the statement would make by calling their functions, without the
        calls. Only which of two failing parts of one statement fails first may differ."""
        if self.function_env is None or not is_template(spec):
            return
        reading, self.reading, self.first_reads = self.reading, set(), []
        try:
            self.expression(spec, self.function_env)
            found = self.first_reads
        finally:
            self.reading, self.first_reads = reading, None
        for name in found:
            if name in self.available:
                continue  # made by an earlier one's own hoisting
            slot = self.slots[name]
            if name not in self.maybe_made:
                self.make(name, slot, lines, ind)
            else:  # a function called before may have made it: made here only if not
                lines += [f"{ind}if V[{slot}] is not _U:", f"{ind}    L{slot} = V[{slot}]"]
                lines.append(f"{ind}else:")
                available = set(self.available)
                self.make(name, slot, lines, ind + "    ")
                # what it read is read on this path only: maybe made, for what comes after
                self.maybe_made |= self.available - available
                self.available = available
            self.available.add(name)

    def make(self, name: str, slot: int, lines: list[str], ind: str) -> None:
        """The let `name` made into its local and slot, in place."""
        assert self.function_env is not None
        place = self.lets.places[name]
        env = self.function_env
        self.value(f"L{slot}", self.lets[name], place, f"let {name}", env, lines, ind)
        lines.append(f"{ind}V[{slot}] = L{slot}")

    def timed(self, each: str, where: int) -> str:
        """What a loop over the list `each` iterates: the list itself while the order's
        deadline `dl` (read by the function) has not passed and the list is short; else the
        list with the deadline checked before each element. A short loop's body checks no
        clock of its own but the loops in it do as they start, so a rule set cannot run on
        for more than SHORT_LOOP bounded steps unchecked."""
        self.reads_deadline = True
        return (
            f"({each} if _type({each}) is _list and "
            f"(not {each} or _len({each}) <= {SHORT_LOOP} and _mono() <= dl) "
            f"else _timed({each}, dl, _P[{where}]))"
        )

    @contextmanager
    def block(self) -> Iterator[None]:
        """Writing a block Python may skip or leave early (a loop's body, an `if`): what its
        statements read is available inside it only, and no let is hoisted in it (a loop
        would make it again for every element; a later block, again)."""
        available, function_env = set(self.available), self.function_env
        self.function_env = None
        try:
            yield
        finally:
            self.available, self.function_env = available, function_env

    @contextmanager
    def looping(self, loop: bool = True) -> Iterator[None]:
        """Writing a loop's body (when `loop`)."""
        self.loops += loop
        try:
            yield
        finally:
            self.loops -= loop

    def assign(
        self,
        target: str,
        spec: Any,
        place: Place | None,
        path: str,
        env: _Env,
        lines: list[str],
        ind: str,
        many: bool = False,
    ) -> None:
        """`target = <spec>`, what fails turned into the rule's MappingError."""
        self.hoist(spec, lines, ind)
        with self.statement():
            body = self.expression(spec, env, many)
            if not is_computed(spec):
                lines.append(f"{ind}{target} = {body}")
                return
            index = self.place(place, path)
            guarded = [
                f"{ind}try:",
                f"{ind}    {target} = {body}",
                f"{ind}except _Exception as e:",
                f"{ind}    raise _me(e, _P[{index}]) from None",
            ]
            fast = None if spec.startswith("$") else self.fast_expression(spec, env)
            if fast is None or fast == body:
                lines += guarded
                return
            # Plain subscripts first; when they raise (a field missing, a list where a dict was
            # expected), the guarded form runs again from the start and says what failed. An
            # error already located (a let's, the deadline) is not run twice.
            lines += [
                f"{ind}try:",
                f"{ind}    {target} = {fast}",
                f"{ind}except _MappingError:",
                f"{ind}    raise",
                f"{ind}except _Exception:",
                *("    " + line for line in guarded),
            ]

    @contextmanager
    def statement(self) -> Iterator[None]:
        """Writing one statement: the lets it reads wherever it runs are available after it."""
        self.reading = set()
        try:
            yield
        finally:
            self.available |= self.reading
            self.reading = set()

    def fast_expression(self, spec: str, env: _Env) -> str:
        """The template `spec` with fields read by plain subscripts."""
        self.translator.fast = True
        try:
            return self.expression(spec, env)
        finally:
            self.translator.fast = False

    # -- values --------------------------------------------------------------------------
    def value(
        self,
        target: str,
        spec: Any,
        place: Place | None,
        path: str,
        env: _Env,
        lines: list[str],
        ind: str,
    ) -> None:
        if isinstance(spec, LocatedDict):
            entries = []
            for name, child in spec.items():
                if not isinstance(name, str):
                    raise Unsupported("a field name that is no text")
                child_path = f"{path}.{name}" if path else name
                if isinstance(child, LocatedDict | LocatedList) or is_computed(child):
                    temp = self.fresh("T")
                    self.value(temp, child, spec.places[name], child_path, env, lines, ind)
                    entries.append(f"{name!r}: {temp}")
                else:
                    entries.append(f"{name!r}: {child!r}")
            lines.append(f"{ind}{target} = {{{', '.join(entries)}}}")
            return
        if isinstance(spec, LocatedList):
            lines.append(f"{ind}{target} = []")
            for part in spec:
                self.part(target, part, path, env, lines, ind)
            return
        self.assign(target, spec, place, path, env, lines, ind)

    def part(self, out: str, spec: Any, path: str, env: _Env, lines: list[str], ind: str) -> None:
        if not isinstance(spec, LocatedDict) or "item" not in spec:
            raise Unsupported("a list part without item")
        lets = spec.get("let") or LocatedDict()
        as_name = spec.get("as", "")
        own = [name for name in lets]
        for position, name in enumerate(own):  # a part let reading a later one (or itself)
            later = set(own[position:])
            if names_read(lets[name]) & later:
                raise Unsupported("a part let read before it is made")
        inner = _Env(env)
        body: list[str] = []
        if "each" in spec:
            each = self.fresh("E")
            self.assign(
                each, spec["each"], spec.places["each"], f"{path}[] each", env, lines, ind, True
            )
            element = self.fresh("A")
            if as_name:
                inner.names[as_name] = (element, "True")
            each_place = self.place(spec.places.get("each"), f"{path}[]")
            lines += [
                f"{ind}if {each} is not None:",
                f"{ind}    if _type({each}) is not _list and not _isinstance({each}, _sequence):",
                f"{ind}        raise _each_error({each}, _P[{each_place}])",
            ]
            if not own and "when" not in spec and _is_name(spec["item"], as_name):
                # `item: "{{ line }}"`: the list's own elements, as they are.
                lines.append(f"{ind}    {out}.extend({self.timed(each, each_place)})")
                return
            lines.append(f"{ind}    for {element} in {self.timed(each, each_place)}:")
            loop = ind + "        "
        else:
            loop = ind
        tind = loop + "    "
        with self.block(), self.looping("each" in spec):  # in the order it runs: lets, when, item
            for name in own:
                local = self.fresh("A")
                self.value(
                    local, lets[name], lets.places[name], f"{path}[] let {name}", inner, body, tind
                )
                inner.names[name] = (local, "True")
            item_ind = tind
            if "when" in spec:
                when = self.fresh("W")
                self.assign(
                    when, spec["when"], spec.places["when"], f"{path}[] when", inner, body, tind
                )
                body.append(f"{tind}if {when}:")
                item_ind = tind + "    "
            temp = self.fresh("T")
            self.value(temp, spec["item"], spec.places["item"], f"{path}[]", inner, body, item_ind)
            body.append(f"{item_ind}{out}.append({temp})")
        path_key = self.fresh("_path")
        self.namespace[path_key] = path
        lines.append(f"{loop}try:")
        lines += body
        lines += [
            f"{loop}except _MappingError as error:",
            f"{loop}    _relabel(error, {path_key}, _len({out}))",
            f"{loop}    raise",
        ]

    # -- checks --------------------------------------------------------------------------
    def checks(self, spec: LocatedList, env: _Env, lines: list[str], ind: str) -> None:
        for index, check in enumerate(spec):
            path = f"checks[{index}]"
            name = self.fresh("_name")
            self.namespace[name] = check["name"]
            place = self.fresh("_place")
            self.namespace[place] = spec.places[index]
            inner = _Env(env)
            cind = ind
            if "each" in check:
                each = self.fresh("E")
                self.assign(
                    each,
                    check["each"],
                    check.places["each"],
                    f"{path}.each",
                    env,
                    lines,
                    ind,
                    True,
                )
                element = self.fresh("A")
                if check.get("as", ""):
                    inner.names[check["as"]] = (element, "True")
                where = self.place(spec.places[index], f"checks {check['name']}")
                lines.append(f"{ind}for {element} in {self.timed(each, where)}:")
                cind = ind + "    "
            if "each" in check:
                with self.block(), self.looping():  # the loop's body
                    self.check(check, path, inner, lines, cind, name, place)
            else:
                self.check(check, path, inner, lines, cind, name, place)

    def check(
        self,
        check: LocatedDict,
        path: str,
        env: _Env,
        body: list[str],
        ind: str,
        name: str,
        place: str,
    ) -> None:
        """One check's `when`, `assert` and, when it fails, its CheckFailure. Without `when`
        the assert runs wherever the check does, so its lets may be hoisted."""
        guarded = "when" in check
        if guarded:
            when = self.fresh("W")
            self.assign(when, check["when"], check.places["when"], f"{path}.when", env, body, ind)
            body.append(f"{ind}if {when}:")
            ind += "    "
        with self.block() if guarded else nullcontext():
            ok = self.fresh("W")
            self.assign(
                ok, check["assert"], check.places["assert"], f"{path}.assert", env, body, ind
            )
            body.append(f"{ind}if not {ok}:")
            fail = ind + "    "
            with self.block():
                resolution = self.fresh("T")
                if "resolution" in check:
                    self.assign(
                        resolution,
                        check["resolution"],
                        check.places["resolution"],
                        f"{path}.resolution",
                        env,
                        body,
                        fail,
                    )
                    body.append(f"{fail}{resolution} = _text({resolution})")
                else:
                    body.append(f"{fail}{resolution} = ''")
                message = self.fresh("T")
                self.assign(
                    message,
                    check["message"],
                    check.places["message"],
                    f"{path}.message",
                    env,
                    body,
                    fail,
                )
                body.append(f"{fail}F.append(_CF({name}, _text({message}), {resolution}, {place}))")

    # -- the stage -----------------------------------------------------------------------
    def unset_locals(self) -> list[str]:
        """The statement setting the function's `unset` locals to `_U` (none: no statement)."""
        if not self.unset:
            return []
        return [f"    {' = '.join(sorted(self.unset))} = _U"]

    def reaches(self) -> dict[str, set[str]]:
        """Each lazy let with the lazy lets its function may make (itself included), through
        other lets or directly."""
        reads = {name: names_read(spec) & self.lazy for name, spec in self.lets.items()}
        reached: dict[str, set[str]] = {}
        for start in self.lazy & set(reads):
            seen = {start}
            pending = list(reads[start])
            while pending:
                name = pending.pop()
                if name not in seen:
                    seen.add(name)
                    pending.extend(reads.get(name, ()))
            reached[start] = seen
        return reached

    def circular(self) -> set[str]:
        """The lazy lets that may read themselves, through other lets or directly."""
        reads = {name: names_read(spec) & self.lazy for name, spec in self.lets.items()}
        return {
            name
            for name, reached in self.reached.items()
            if any(name in self.reached.get(read, ()) for read in reads[name])
        }

    def stage(self, checks: LocatedList, output: Any, root: Place) -> str:
        count = len(self.slots)
        top = _Env()  # the main function, as lets are made in order
        lazy_env = _Env()  # inside a lazy let's function: any let may be made or not yet
        for name, slot in self.slots.items():
            if name in self.lazy:
                read = f"(V[{slot}] if V[{slot}] is not _U else _G{slot}(s, V))"
                both = (read, f"(not V[{count + slot}])")
                top.names[name] = both
                lazy_env.names[name] = both
            else:
                lazy_env.names[name] = (
                    f"(V[{slot}] if V[{slot}] is not _U else s[{name!r}])",
                    f"(V[{slot}] is not _U or {name!r} in s)",
                )
        self.reached = self.reaches()
        circular = self.circular()
        self.not_inlined = circular
        for name, slot in self.slots.items():
            if name not in self.lazy:
                continue
            body: list[str] = []
            ind = "        " if name in circular else "    "
            self.kept, self.available = dict(lazy_env.names), set()  # a function of its own
            self.reads_deadline, self.unset = False, set()
            self.scope_reads = ScopeReads()
            self.value(
                "R", self.lets[name], self.lets.places[name], f"let {name}", lazy_env, body, ind
            )
            reads, body = self.scope_reads.finish(body)
            lines = [f"def _G{slot}(s, V):", *self.unset_locals(), *reads]
            if self.reads_deadline:  # a loop checks the order's deadline
                lines.append("    dl = s.get('$deadline', _inf)")
            if name in circular:  # it may read itself: then it is undefined, as in order
                lines += [
                    f"    if V[{count + slot}]:",
                    f"        raise _KeyError({name!r})",
                    f"    V[{count + slot}] = True",
                    "    try:",
                    *body,
                    "    finally:",
                    f"        V[{count + slot}] = False",
                ]
            else:
                lines += body
            lines += [f"    V[{slot}] = R", "    return R"]
            self.functions.append("\n".join(lines))
        main: list[str] = []  # its body; the head, once the body says which locals start unset
        self.kept = {name: top.names[name] for name in self.lazy if name in top.names}
        self.available, self.unset = set(), set()
        self.function_env, self.maybe_made = top, set()
        self.scope_reads = ScopeReads()
        for name, slot in self.slots.items():
            if name in self.lazy:
                continue
            temp = self.fresh("T")
            self.value(
                temp, self.lets[name], self.lets.places[name], f"let {name}", top, main, "    "
            )
            main.append(f"    V[{slot}] = {temp}")
            top.names[name] = (temp, "True")  # made in order: its local from here on
        main.append("    F = []")
        self.checks(checks, top, main, "    ")
        main.append("    if F:")
        main.append("        return F, None")
        self.value("O", output, root, "", top, main, "    ")
        main.append("    return F, O")
        reads, main = self.scope_reads.finish(main)
        head = ["def stage(s):", "    V = _INIT[:]", *self.unset_locals(), *reads]
        main = [*head, "    dl = s.get('$deadline', _inf)", *main]
        self.function_env = None
        self.namespace["_INIT"] = [_UNSET] * count + [False] * count
        return "\n\n".join([*self.functions, "\n".join(main)]) + "\n"


def generate_stage(
    functions: dict[str, Any],
    lets: LocatedDict,
    lazy: frozenset[str],
    checks: LocatedList,
    output: Any,
    root: Place,
    helpers: dict[str, Any],
) -> tuple[Stage, str] | None:
    """The stage function of a rule set (its `let`s — only those given —, checks and output)
    and its source; None when the interpreter is to run it (see `Unsupported`)."""
    generator = _Generator(functions, lets, lazy, helpers)
    try:
        source = generator.stage(checks, output, root)
        if len(source) > MAX_SOURCE:
            return None
        code = compiled(source, "<stage>")
    except (Unsupported, SyntaxError, RecursionError, MemoryError, ValueError, KeyError):
        return None
    except Exception:  # noqa: BLE001 — anything the translator refuses: the interpreter runs it
        return None
    namespace = generator.namespace
    exec(code, namespace)  # noqa: S102 — source built above from the translator and reprs
    stage: Stage = namespace["stage"]
    return stage, source
