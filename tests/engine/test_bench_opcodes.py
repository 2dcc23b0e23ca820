"""bench/bench_opcodes.py: steps counted where they ran, the same count every time."""

from __future__ import annotations

from types import FrameType

from mapper.bench.bench_dry_run import PAIR, OrderGenerator, run_mapper
from mapper.bench.bench_opcodes import counted, parts_of
from mapper.engine.mapping import Pair


def _summing(count: int) -> int:
    total = 0
    for number in range(count):
        total += number
    return total


def _by_function(frame: FrameType) -> str:
    return frame.f_code.co_name


def test_each_loop_turn_counts_the_same_steps_in_its_own_function() -> None:
    def steps(count: int) -> int:
        return counted(lambda: _summing(count), _by_function)["_summing"]

    one, ten, nineteen = steps(1), steps(10), steps(19)
    assert ten > one > 0
    assert nineteen - ten == ten - one  # nine turns more, the same steps more
    assert steps(10) == ten  # and the same count again


def test_the_pair_s_stages_and_writer_are_parts_of_their_own() -> None:
    pair = Pair.load(PAIR, lean=True)
    documents = OrderGenerator(3).orders(3)
    run_mapper(pair, documents, "xml")  # the stages made before they are counted

    steps = counted(lambda: run_mapper(pair, documents, "xml"), parts_of(pair, "xml"))

    assert {"shop stage (prestashop)", "target stage (yuki)", "<xml writer>"} <= set(steps)
    assert steps["shop stage (prestashop)"] > 0
    assert steps["mapping.py:map"] > 0
