"""What the ledger keeps of why the rules turned an order away: the checks' names and where in
the rule files they are written (`vat_code @ mappings/yuki/mapping.yaml:170`), never a value
of the order. The dashboard's More info reads it back and explains those checks again."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import MappingError, Place

SEPARATOR = "; "
AT = " @ "


def rule_place(place: Place | None) -> str:
    """`mappings/yuki/mapping.yaml:170`: from `mappings/` on wherever the rules are installed
    (no home or site-packages folder), the line without the column."""
    if place is None:
        return ""
    file = place.file.replace("\\", "/")
    cut = file.rfind("mappings/")
    return f"{file[cut:] if cut >= 0 else file}:{place.line}"


def noted_checks(failures: Iterable[tuple[str, Place | None]]) -> str | None:
    """The text kept for (check name, place) pairs, each once; None for none."""
    found = dict.fromkeys(f"{name}{AT}{rule_place(place)}" for name, place in failures)
    return SEPARATOR.join(found) or None


def noted_error(error: MappingError) -> str | None:
    """The text kept for a rule that failed on the order (not a check): its field and place."""
    if error.place is None:
        return None
    return noted_checks([(error.field or "rule", error.place)])


def read_noted(text: str | None) -> list[tuple[str, str]]:
    """The (check name, `file:line`) pairs of a kept text."""
    pairs = []
    for part in (text or "").split(SEPARATOR):
        name, _, place = part.partition(AT)
        if name or place:
            pairs.append((name.strip(), place.strip()))
    return pairs
