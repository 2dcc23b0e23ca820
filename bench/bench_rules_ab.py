"""Two versions of a pair's rule sets side by side: which maps faster, measured in one process.

Run from the repository root:

    python -m bench.bench_rules_ab OLD_SHOP OLD_TARGET NEW_SHOP NEW_TARGET [--format xml|json]

each a folder of rule files (a copy of mappings/prestashop as it was, say, next to the one you
changed; an included file such as ../common/… must sit next to the copy as well). Both pairs
map the bench's generated PrestaShop orders (bench/bench_dry_run.py); their output must be
byte-identical, or the figures compare nothing. The machine's speed drifts by a third through
the day, so a comparison of two runs says little; here both pairs and the hand-written mapping
take turns chunk by chunk on the same orders — fresh ones every round, the order of the turns
rotating, the VAT-number cache emptied before each turn (the first to meet a number would
otherwise pay for the second) — and the whole is done twice, the pairs compiled in either
order. Two copies of the same folders give 1.00 (± 0.01).
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from mapper.engine.library.vatnumber import check_vat_number
from mapper.engine.mapping import Pair
from mapper.engine.rules.compile import compile_rule_set

from .bench_dry_run import Document, HandConfig, OrderGenerator, run_hand_written, run_mapper

CHUNK = 100


def pair_of(shop: Path, target: Path, fmt: str) -> Pair:
    return Pair(compile_rule_set(shop).bind(), compile_rule_set(target).bind(), lean=True).writing(
        fmt
    )


def compare(
    folders: dict[str, tuple[Path, Path]], first: str, fmt: str, rounds: int, orders: int
) -> dict[str, float]:
    """CPU µs per order of each side ("old", "new", "hand"), the pairs compiled `first` first."""
    order = [first, *(name for name in folders if name != first)]
    pairs = {name: pair_of(*folders[name], fmt) for name in order}
    generator = OrderGenerator(42)
    check = generator.orders(300, 10**6)
    if run_mapper(pairs["old"], check, fmt) != run_mapper(pairs["new"], check, fmt):
        raise SystemExit("the two versions map the orders differently: nothing to compare")
    old = pairs["old"]
    config = HandConfig.from_settings(old.source.settings, old.target.settings)
    seconds = dict.fromkeys(("old", "new", "hand"), 0.0)
    for round_number in range(rounds):
        documents = generator.orders(orders, orders * round_number)
        gc.collect()
        gc.freeze()
        for start in range(0, orders, CHUNK):
            piece = documents[start : start + CHUNK]
            sides = _sides(pairs, piece, config, fmt)
            turn = (start // CHUNK + round_number) % len(sides)
            for name, run in sides[turn:] + sides[:turn]:
                check_vat_number.cache_clear()
                began = time.process_time()
                run()
                seconds[name] += time.process_time() - began
        gc.unfreeze()
    return {name: total / (rounds * orders) * 1e6 for name, total in seconds.items()}


def _sides(
    pairs: dict[str, Pair], piece: Sequence[Document], config: HandConfig, fmt: str
) -> list[tuple[str, Callable[[], object]]]:
    return [
        ("old", lambda: run_mapper(pairs["old"], piece, fmt)),
        ("new", lambda: run_mapper(pairs["new"], piece, fmt)),
        ("hand", lambda: run_hand_written(piece, config, pairs["old"].rules, fmt)),
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    for name in ("old_shop", "old_target", "new_shop", "new_target"):
        parser.add_argument(name, type=Path)
    parser.add_argument("--format", default="xml", choices=["xml", "json"])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of fresh orders (5)")
    parser.add_argument("--orders", type=int, default=3000, help="orders a round (3000)")
    args = parser.parse_args(argv)
    os.environ.setdefault("MAPPER_CACHE_DIR", "off")  # both compiled now, not read back
    folders = {
        "old": (args.old_shop, args.old_target),
        "new": (args.new_shop, args.new_target),
    }
    print(f"{args.format}: µs per order (CPU), {args.rounds} rounds of {args.orders} orders")
    ratios = []
    for first in ("old", "new"):
        figures = compare(folders, first, args.format, args.rounds, args.orders)
        ratios.append(figures["new"] / figures["old"])
        print(
            f"  compiled {first} first: old {figures['old']:.1f}, new {figures['new']:.1f}, "
            f"hand-written {figures['hand']:.1f}; new / old {ratios[-1]:.3f}; "
            f"ratio to hand-written old {figures['hand'] / figures['old']:.3f}, "
            f"new {figures['hand'] / figures['new']:.3f}"
        )
    print(f"new / old: {sum(ratios) / len(ratios):.3f} (below 1: the new version is faster)")


if __name__ == "__main__":
    main()
