"""Compute only what is read: which canonical fields a target reads, and which `let`s a
shop's rules need to make them.

Both answers come from the rule files' text, once per pair (never per order):
- `target_reads(spec)` walks every Jinja expression of a target rule set and collects the
  attribute chains rooted at `order` (`order.billing_address.city`). A chain that ends in
  anything else (`order.lines` given to a function, `order` on its own) reads that value whole.
- `prune(output, reads)` keeps of a shop's `output:` only the fields some chain reaches;
- `names_read(spec)` over-approximates the names a value reads, so `needed_lets` keeps every
  `let` that any kept value, check or other `let` may read.

An over-approximation only keeps more; nothing read is ever left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import nodes

from . import expressions
from .disk_cache import StoredTable, source_digest
from .expressions import ExpressionError, is_template, parse_template
from .load import LocatedDict

WHOLE: dict[str, Any] = {}  # a trie leaf: the value is read whole
Reads = dict[str, Any]  # field → Reads (some of its fields) or WHOLE


def _texts(spec: Any) -> Iterator[str]:
    """Every string of a rule value (templates, JSONPaths and literals alike)."""
    if isinstance(spec, str):
        yield spec
    elif isinstance(spec, dict):
        for value in spec.values():
            yield from _texts(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _texts(value)


def _parse(text: str) -> nodes.Node | None:
    if not is_template(text):
        return None
    try:
        return parse_template(text)
    except ExpressionError:  # the compiler has already refused what does not parse
        return None


def names_read(spec: Any) -> set[str]:
    """The names the Jinja expressions in `spec` read; `$` when a JSONPath reads the input."""
    names: set[str] = set()
    for text in _texts(spec):
        names |= _names_in(text)
    return names


@lru_cache(maxsize=4096)
def _names_in(text: str) -> frozenset[str]:
    """One rule string's names (the analyses ask for the same strings many times; walking a
    rule set's trees for them is a tenth of a command's start-up, so they are kept on disk)."""
    if text.startswith("$"):
        return frozenset({"$"})
    if not is_template(text):
        return frozenset()
    kept = _NAMES.get(text)
    if isinstance(kept, frozenset):
        return kept
    tree = _parse(text)
    names = frozenset() if tree is None else frozenset(n.name for n in tree.find_all(nodes.Name))
    _NAMES.put(text, names)
    return names


# A rule string's names depend on the text, the Jinja that parses it and the code that reads
# them (this module and the one that configures the parser).
_NAMES = StoredTable(
    "names",
    jinja2.__version__,
    source_digest(__file__),
    expressions.SOURCE_DIGEST,
)


def _chain(node: nodes.Node, root: str) -> list[str] | None:
    """`order.a.b` (or `order['a'].b`) → ['a', 'b']; None when `node` is no such chain."""
    if isinstance(node, nodes.Name):
        return [] if node.name == root else None
    if isinstance(node, nodes.Getattr):
        head = _chain(node.node, root)
        return None if head is None else [*head, node.attr]
    if (
        isinstance(node, nodes.Getitem)
        and isinstance(node.arg, nodes.Const)
        and isinstance(node.arg.value, str)
    ):
        head = _chain(node.node, root)
        return None if head is None else [*head, node.arg.value]
    return None


def _collect(node: nodes.Node, root: str, found: list[list[str]]) -> None:
    chain = _chain(node, root)
    if chain is not None:
        found.append(chain)
        return
    for child in node.iter_child_nodes():
        _collect(child, root, found)


def target_reads(spec: Any, root: str = "order") -> Reads | None:
    """The fields of `root` the rule set reads, as a trie; None when it reads `root` whole
    (or reads the input by JSONPath, which this does not follow)."""
    reads: Reads = {}
    for text in _texts(spec):
        if text.startswith("$"):
            return None
        tree = _parse(text)
        if tree is None:
            continue
        chains: list[list[str]] = []
        _collect(tree, root, chains)
        for chain in chains:
            if not chain:
                return None
            _add(reads, chain)
    return reads


def _add(reads: Reads, chain: list[str]) -> None:
    node = reads
    for step in chain[:-1]:
        child = node.get(step)
        if child is WHOLE:
            return
        node = node.setdefault(step, {})
    node[chain[-1]] = WHOLE


def prune(output: LocatedDict, reads: Reads, keep: Iterable[str] = ()) -> LocatedDict:
    """`output` with only the fields `reads` reaches (and the top-level ones in `keep`)."""
    kept = LocatedDict()
    kept.place, kept.places = output.place, {}
    for name, value in output.items():
        wanted = reads.get(name)
        if wanted is None and name not in keep:
            continue
        if wanted is not None and wanted is not WHOLE and isinstance(value, LocatedDict):
            value = prune(value, wanted)
        kept[name] = value
        kept.places[name] = output.places[name]
    return kept


def needed_lets(lets: LocatedDict, wanted: set[str]) -> set[str]:
    """The `let` names that the values reading `wanted` need, directly or through other lets."""
    needed: set[str] = set()
    pending = [name for name in wanted if name in lets]
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        needed.add(name)
        pending.extend(n for n in names_read(lets[name]) if n in lets and n not in needed)
    return needed


# -- lets computed when first read ---------------------------------------------------------
def bound_names(spec: Any) -> set[str]:
    """Every name a list part binds for its elements (`as:` and the part's `let:` names), and
    every check's `as:`, anywhere in `spec`: the names that may stand for something else
    inside a loop than at the top level."""
    names: set[str] = set()
    if isinstance(spec, dict):
        if isinstance(spec.get("as"), str):
            names.add(spec["as"])
        if "item" in spec and isinstance(spec.get("let"), dict):
            names.update(spec["let"])
        for value in spec.values():
            names |= bound_names(value)
    elif isinstance(spec, list):
        for value in spec:
            names |= bound_names(value)
    return names


def free_names(spec: Any) -> set[str]:
    """The names `spec` reads from around it: `names_read`, less what its own list parts bind
    for their elements (an `each` is read outside its part, so counts in full)."""
    if isinstance(spec, list) and all(isinstance(p, dict) and "item" in p for p in spec):
        names: set[str] = set()
        for part in spec:
            own = ({part["as"]} if isinstance(part.get("as"), str) else set()) | set(
                part.get("let") or {}
            )
            names |= names_read(part.get("each", ""))
            inner = [part.get(key) for key in ("item", "when")] + list(
                (part.get("let") or {}).values()
            )
            names |= free_names(inner) - own
        return names
    if isinstance(spec, dict):
        return set().union(*(free_names(value) for value in spec.values()))
    if isinstance(spec, list):
        return set().union(*(free_names(value) for value in spec))
    return names_read(spec)


def lazy_lets(data: Any) -> frozenset[str]:
    """The top-level `let`s that may be computed when first read rather than in order: those
    that read no name a loop binds (a let first read inside a loop is computed there, so what
    it reads must mean the same there as at the top level). A let's own list parts may bind
    names for their elements. Computing a let only when read leaves out the ones an order never
    needs (a credit note's lets on an invoice)."""
    lets = data.get("let") if isinstance(data, dict) else None
    if not isinstance(lets, dict):
        return frozenset()
    sections = [data.get(key) for key in ("let", "checks", "output", "sendable")]
    loop_names = bound_names(sections)
    return frozenset(
        name
        for name, spec in lets.items()
        if name not in loop_names and not free_names(spec) & loop_names
    )
