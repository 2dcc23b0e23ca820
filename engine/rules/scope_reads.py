"""Fields of the scope a generated function reads more than once, read once.

In a stage's fast form (engine/rules/codegen.py) a field read is a chain of plain subscripts
from the scope: `order.billing_address.city` is `s['order']['billing_address']['city']`. A
function that reads several fields of `order.billing_address` would walk the same two
subscripts for each. Here the object a chain's last step reads from is written as a marker
while the function is written (`read`); once it is whole (`finish`), an object read from two
places or more is read into a local at the function's start, and the markers become that
local or the plain chain.

A local is read field by field from plain dicts: when the chain does not lead to a dict's
field (a field missing, a list where an object was expected) it is `_U`, which no subscript
or attribute can read: the fast form raises where it would have raised anyway, and the
guarded form runs as before. Only the object read from is kept, never a field's value
itself, so what a fast form tests or passes on is always what the chain reads.
"""

from __future__ import annotations

import re

Chain = tuple[str, ...]

_MARKER = re.compile("\x00([0-9]+)\x00")  # repr() writes no NUL: no rule text holds one


def chain_source(chain: Chain, start: str = "s") -> str:
    """`chain` as plain subscripts from `start`."""
    return start + "".join(f"[{step!r}]" for step in chain)


class ScopeReads:
    """The scope chains one generated function reads from, while it is written."""

    def __init__(self) -> None:
        self.markers: dict[Chain, int] = {}
        self.uses: dict[Chain, int] = {}

    def read(self, chain: Chain) -> str:
        """The marker standing for the object `chain` leads to (see `finish`)."""
        number = self.markers.setdefault(chain, len(self.markers))
        self.uses[chain] = self.uses.get(chain, 0) + 1
        return f"\x00{number}\x00"

    def finish(self, body: list[str], ind: str = "    ") -> tuple[list[str], list[str]]:
        """The lines reading into locals the objects read from twice or more (for the
        function's start), and `body` with its markers replaced."""
        local = {chain: f"_c{n}" for chain, n in self.markers.items() if self.uses[chain] > 1}

        def start(chain: Chain) -> tuple[str, Chain]:  # the longest chain before it kept
            for cut in range(len(chain) - 1, 0, -1):
                if chain[:cut] in local:
                    return local[chain[:cut]], chain[cut:]
            return "s", chain

        def source(chain: Chain) -> str:
            first, steps = start(chain)
            return chain_source(steps, first)

        head: list[str] = []
        for chain in sorted(local, key=len):  # a chain's own start first
            # read without raising: an exception costs more than the reads it would save
            name = local[chain]
            source_of_step, steps = start(chain)
            for step in steps:
                read = f"{source_of_step}.get({step!r}, _U)"
                if source_of_step != "s":  # the scope is a dict; what it holds may be none
                    read += f" if _type({source_of_step}) is _dict else _U"
                head.append(f"{ind}{name} = {read}")
                source_of_step = name
        written = {n: local.get(chain) or source(chain) for chain, n in self.markers.items()}
        return head, [_MARKER.sub(lambda m: written[int(m.group(1))], line) for line in body]
