"""The mapping core: a fetched order document → canonical order → payload, or a rejection.

`Pair.map(document)` is pure (no I/O): the same call serves dry-run, fixtures and the sync
pipeline, which simply stops before or after the sender.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import MappingError, UsageError
from .paths import mappings_dir, written_as_path
from .rules.compile import (
    BoundRuleSet,
    Rejection,
    RuleSet,
    compile_rule_set,
    json_only,
    name_order,
)
from .rules.expressions import to_text
from .rules.render import XmlDocumentWriter, json_ready, json_string, json_text, xml_document


@dataclass(slots=True)
class Payload:
    """What is sent for one order, with the canonical order it came from. Treat as read-only
    (not `frozen`: a frozen dataclass's __init__ alone costs ~1 % of mapping an order)."""

    order_id: str
    order_number: str
    body: dict[str, Any]
    canonical: dict[str, Any]
    rules: str
    # The body as the target's format writes it (`text_format`), when mapping wrote it to
    # check it: the writer then uses it as it is.
    text: str | None = field(default=None, compare=False, repr=False)
    text_format: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Skipped:
    """An order not (yet) in a status that makes an invoice: it stays Open."""

    order_id: str | None
    reason: str


Outcome = Payload | Rejection | Skipped


@lru_cache(maxsize=64)
def _compiled(folder: Path) -> RuleSet:
    return compile_rule_set(folder)


def load_rule_set(name_or_path: str | Path) -> RuleSet:
    """A rule set by name (shipped, in mappings/) or by path; compiled once per process.

    A `Path`, or text written as a path (`./prestashop`, `mappings/yuki`), is that folder;
    any other text is the name of a shipped rule set (see `rule_set_folder`).
    """
    folder = rule_set_folder(name_or_path)
    return _compiled(folder.resolve())


def rule_set_folder(name_or_path: str | Path, *, pairs: bool = False) -> Path:
    """The folder a rule-set argument means; `UsageError` when there is none.

    Text not written as a path (see `paths.written_as_path`) is looked up among the shipped
    rule sets only, so a folder `prestashop/` in the working directory never replaces the
    shipped `prestashop`. `pairs=True` also accepts a shipped pair's folder of fixtures
    (`prestashop-yuki`) and, given a path, any folder (`mapper test` checks for fixtures).
    """
    if isinstance(name_or_path, Path) or written_as_path(name_or_path):
        folder = Path(name_or_path).expanduser()
        if not folder.is_dir():
            raise UsageError(f"{name_or_path}: no such folder of rule files")
        if not pairs and not (folder / "mapping.yaml").is_file():
            raise UsageError(f"{name_or_path}: not a rule set (no mapping.yaml in it)")
        return folder
    known = available_rule_sets(pairs=pairs)
    if name_or_path not in known:
        raise UsageError(
            f"unknown rule set {name_or_path!r} (known: {', '.join(known) or 'none'}; "
            f"a folder of your own is given as a path, like ./{name_or_path})"
        )
    return mappings_dir() / name_or_path


def available_rule_sets(*, pairs: bool = False) -> list[str]:
    """The shipped rule sets' names, sorted; with `pairs`, also the pairs' fixture folders."""
    root = mappings_dir()
    names = {p.parent.name for p in root.glob("*/mapping.yaml")}
    if pairs:
        names |= {p.parent.name for p in root.glob("*/fixtures") if p.is_dir()}
    return sorted(names)


def split_pair_name(name: str) -> tuple[str, str]:
    """`prestashop-yuki` → ('prestashop', 'yuki'): any shop rule set with any target."""
    source, dash, target = name.partition("-")
    if not dash or not source or not target:
        raise UsageError(f"--mapping takes SHOP-TARGET, like prestashop-yuki; got {name!r}")
    return source, target


class Pair:
    """A shop's rule set bound to a target's, each with its tenant settings."""

    def __init__(self, source: BoundRuleSet, target: BoundRuleSet, *, lean: bool = False) -> None:
        """`lean`: the canonical order holds only what the target reads (and id, number), and
        the shop's rules compute nothing else — for dry-run and sync; not for --explain."""
        if source.rules.kind != "source":
            raise UsageError(f"{source.rules.name} is a {source.rules.kind} rule set, not a shop")
        if target.rules.kind != "target":
            raise UsageError(f"{target.rules.name} is a {target.rules.kind} rule set, not a target")
        if lean:
            source = source.with_rules(source.rules.lean(target.rules.reads()))
        self.source = source
        self.target = target
        self.rules = f"{source.rules.label} > {target.rules.label}"

    @classmethod
    def load(
        cls,
        name: str,
        settings: dict[str, Any] | None = None,
        source: str = "settings",
        *,
        lean: bool = False,
    ) -> Pair:
        shop, target = split_pair_name(name)
        settings = settings or {}
        return cls(
            load_rule_set(shop).bind(settings.get(shop), source),
            load_rule_set(target).bind(settings.get(target), source),
            lean=lean,
        )

    def order_id(self, document: dict[str, Any]) -> str | None:
        return self._header(self.source.rules.order_id, {"$": document, **document})

    def header(self, document: dict[str, Any]) -> tuple[str | None, str, str]:
        """(order id, order number, order date) as the shop gives them, for the ledger's lists;
        what cannot be read is None / ''."""
        rules = self.source.rules
        scope = {"$": document, **document}
        return (
            self._header(rules.order_id, scope),
            self._header(rules.order_number, scope) or "",
            self._header(rules.order_date, scope) or "",
        )

    @staticmethod
    def _header(reader: Any, scope: dict[str, Any]) -> str | None:
        if reader is None:
            return None
        try:
            value = reader(scope)
        except MappingError:
            return None
        return None if value is None else to_text(value)

    def map(self, document: dict[str, Any], order_id: str | None = None) -> Outcome:
        """The payload for one document, or why there is none; raises MappingError on bad
        input. `order_id`, when the caller has already read it, is not read again."""
        # The order's id is read from the document only when something must be named by it
        # (a skip, a rejection, an error, a canonical order without id).
        try:
            scope = self.source.scope(document)
            reason = self.source.not_sendable_reason(document, order_id, scope)
            if reason is not None:
                return Skipped(order_id or self.order_id(document), reason)
            canonical = self.source.made(document, order_id, scope=scope)
            if isinstance(canonical, Rejection):
                return self._named(canonical, document)
            body, text = self.target.apply_written({"order": canonical}, order_id)
        except MappingError as error:
            if order_id is None:
                name_order(error, self.order_id(document))
            raise
        if isinstance(body, Rejection):
            return self._named(body, document)
        found_id = canonical.get("id")
        return Payload(
            order_id=to_text(
                (order_id or self.order_id(document)) if found_id is None else found_id
            ),
            order_number=to_text(canonical.get("number", "")),
            body=body,
            canonical=canonical,
            rules=self.rules,
            text=text,
            text_format=None if text is None else self.target.text_format,
        )

    def _named(self, rejection: Rejection, document: dict[str, Any]) -> Rejection:
        if rejection.order_id is not None:
            return rejection
        return Rejection(self.order_id(document), rejection.failures)

    def render(self, payloads: Iterable[Payload], output_format: str | None = None) -> str:
        """XML: one document holding every payload; JSON: one line per payload."""
        writer = self.writer(output_format)
        return "".join(writer.write(p) for p in payloads) + writer.end()

    def writer(self, output_format: str | None = None) -> PayloadWriter:
        """A writer that turns payloads into text one by one (streamed, nothing kept)."""
        return payload_writer(self.target.rules, output_format)

    def writing(self, output_format: str | None) -> Pair:
        """This pair making each payload's text in `output_format` as it maps it (None: the
        target's own), so that `writer(output_format)` only puts it in place."""
        target = self.target.writing(output_format)
        if target is self.target:
            return self
        pair = copy.copy(self)
        pair.target = target
        return pair


def payload_writer(target: RuleSet, output_format: str | None = None) -> PayloadWriter:
    """The writer of a target rule set's payloads: its own format unless another is asked."""
    fmt = target.format
    chosen = output_format or fmt.get("type", "json")
    if chosen == "xml":
        if fmt.get("type") != "xml":
            raise json_only(target)
        if "root" not in fmt:  # each payload is a document of its own (UBL)
            return XmlDocumentsWriter()
        return XmlPayloadWriter(
            XmlDocumentWriter(fmt["root"], fmt.get("namespace", ""), fmt["item"])
        )
    return JsonLinesWriter()


class PayloadWriter:
    def write(self, payload: Payload) -> str:
        raise NotImplementedError

    def end(self) -> str:
        return ""


class XmlPayloadWriter(PayloadWriter):
    def __init__(self, document: XmlDocumentWriter) -> None:
        self.document = document

    def write(self, payload: Payload) -> str:
        comment = f"order {payload.order_id} by mapper: {payload.rules}"
        if payload.text is not None and payload.text_format == "xml":
            return self.document.element_text(payload.text, comment)
        return self.document.element(payload.body, comment)

    def end(self) -> str:
        return self.document.end()


class XmlDocumentsWriter(PayloadWriter):
    """One whole XML document per payload (a format without `root`: UBL's Invoice)."""

    def write(self, payload: Payload) -> str:
        return xml_document(payload.body, f"order {payload.order_id} by mapper: {payload.rules}")


class JsonLinesWriter(PayloadWriter):
    def write(self, payload: Payload) -> str:
        if payload.text is not None and payload.text_format == "json":
            # json.dumps' own layout of {"order": …, "rules": …, "payload": …}, composed
            order, rules = json_string(payload.order_id), json_string(payload.rules)
            return f'{{"order": {order}, "rules": {rules}, "payload": {payload.text}}}\n'
        # An XML target's payload as JSON: made JSON-ready in one pass (no call back per
        # amount), written by one json.dumps.
        line = {
            "order": payload.order_id,
            "rules": payload.rules,
            "payload": json_ready(payload.body),
        }
        return json_text(line) + "\n"
