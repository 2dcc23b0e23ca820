"""bench/bench_dry_run.py's end-to-end run: both sides read the same JSON Lines file and make
the same text, chunk by chunk, to its last order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mapper.bench.bench_dry_run import (
    PAIR,
    HandConfig,
    OrderGenerator,
    end_to_end,
    orders_file,
    run_hand_written,
)
from mapper.engine.mapping import Pair


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_both_sides_read_the_file_to_its_end_and_write_the_same(tmp_path: Path, fmt: str) -> None:
    pair = Pair.load(PAIR, lean=True)
    config = HandConfig.from_settings(pair.source.settings, pair.target.settings)
    documents = OrderGenerator().orders(60)
    path = orders_file(documents, tmp_path, 0)
    assert [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] == documents
    mapper_times, hand_times = end_to_end(pair, [path], config, pair.rules, fmt, chunk=25)
    assert len(mapper_times) == len(hand_times) == 1
    assert mapper_times[0] > 0 and hand_times[0] > 0


def test_a_difference_between_the_sides_stops_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mapper.bench import bench_dry_run

    pair = Pair.load(PAIR, lean=True)
    config = HandConfig.from_settings(pair.source.settings, pair.target.settings)
    path = orders_file(OrderGenerator().orders(10), tmp_path, 0)
    monkeypatch.setattr(
        bench_dry_run,
        "run_hand_written",
        lambda *a: run_hand_written(*a).replace("Bestelling", "?"),
    )
    with pytest.raises(SystemExit, match="MISMATCH in the end-to-end xml run"):
        end_to_end(pair, [path], config, pair.rules, "xml", chunk=25)
