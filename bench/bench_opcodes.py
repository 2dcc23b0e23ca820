"""Where mapper's time per order goes, counted in Python bytecode steps: the same figure on
any machine and in any run, where the time of `bench_dry_run` moves by half with the VM.

Usage: python -m bench.bench_opcodes [--orders 200] [--format xml|json] [--top 25]

Maps the same generated PrestaShop orders as `bench_dry_run` (after a warm-up over the same
orders, so caches hold what a long pass has in them), once with mapper and once with the
hand-written mapping, counting every bytecode step executed (`sys.settrace` with opcode
events) and the part of the code it ran in: the shop rule set's generated stage, the target's,
the generated writer, each library function. Steps are not time — a step that formats a
Decimal costs more than one that loads a local — but a change that takes steps away shows
here at once, without the hundreds of runs a 3 % time difference needs on a noisy machine.
Time is what `bench_dry_run` measures; its ratio is the one the issue asks for.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from mapper.bench.bench_dry_run import (
    PAIR,
    HandConfig,
    OrderGenerator,
    run_hand_written,
    run_mapper,
)
from mapper.engine.mapping import Pair


def counted(run: Callable[[], object], part_of: Callable[[FrameType], str]) -> Counter[str]:
    """Bytecode steps `run()` executes, by the part of the code `part_of(frame)` names."""
    steps: Counter[str] = Counter()

    def calling(frame: FrameType, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        part = part_of(frame)

        def stepping(frame: FrameType, event: str, arg: Any) -> Any:
            if event == "opcode":
                steps[part] += 1
            return stepping

        return stepping

    previous = sys.gettrace()  # (a debugger's or coverage's, given back after)
    sys.settrace(calling)
    try:
        run()
    finally:
        sys.settrace(previous)
    return steps


def parts_of(pair: Pair, fmt: str) -> Callable[[FrameType], str]:
    """Names a frame's part: the two rule sets' stages, generated code by its file name,
    the rest by module and function."""
    writing = pair.writing(fmt)
    stages = {}
    for side, bound in (("shop", writing.source), ("target", writing.target)):
        stage = bound.rules.stage()
        if stage is not None:
            stages[id(stage.__globals__)] = f"{side} stage ({bound.rules.name})"

    def part_of(frame: FrameType) -> str:
        code = frame.f_code
        stage = stages.get(id(frame.f_globals))
        if stage is not None:
            return stage
        if code.co_filename.startswith("<"):
            return code.co_filename
        return f"{code.co_filename.rsplit('/', 1)[-1]}:{code.co_name}"

    return part_of


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=200, help="orders counted (200)")
    parser.add_argument("--format", choices=["xml", "json"], default="xml")
    parser.add_argument("--top", type=int, default=25, help="parts listed (25)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    pair = Pair.load(PAIR, lean=True)
    config = HandConfig.from_settings(pair.source.settings, pair.target.settings)
    documents = OrderGenerator(args.seed).orders(args.orders)
    fmt, label = args.format, pair.rules
    # Warm-up: the rule sets' stages and writers made, the caches filled, on both sides.
    if run_mapper(pair, documents, fmt) != run_hand_written(documents, config, label, fmt):
        raise SystemExit("MISMATCH: mapper and the hand-written mapping differ (bench_dry_run)")

    ours = counted(lambda: run_mapper(pair, documents, fmt), parts_of(pair, fmt))
    theirs = counted(lambda: run_hand_written(documents, config, label, fmt), parts_of(pair, fmt))
    count = len(documents)
    mapper_steps, hand_steps = sum(ours.values()) / count, sum(theirs.values()) / count
    print(f"bytecode steps per order, {count} orders, {fmt.upper()} ({label})")
    print(f"mapper:       {mapper_steps:8.0f}")
    print(f"hand-written: {hand_steps:8.0f}")
    print(f"steps hand-written / mapper: {hand_steps / mapper_steps:.2f} (not the time ratio)")
    for title, steps in (("mapper", ours), ("hand-written", theirs)):
        print(f"-- {title}, by part (steps per order, share)")
        total = sum(steps.values())
        for part, number in steps.most_common(args.top):
            print(f"{number / count:8.0f}  {number / total:6.1%}  {part}")


if __name__ == "__main__":
    main()
