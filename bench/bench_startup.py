"""Start-up of the `mapper` command next to what its three libraries take to import.

Run from the repository root: `python bench/bench_startup.py [--repeat N]`.

Times, each in a fresh interpreter (best of N, wall clock): `import click, jinja2, yaml` (the
yardstick), `mapper --help`, and `mapper dry-run` of one fixture order; prints each and its
ratio to the yardstick (the bar: at most 2×).

The commands run as an installed mapper runs from the second time on: Python keeps its modules'
bytecode (`PYTHONDONTWRITEBYTECODE` is dropped for the runs, as pip's install compiles them)
and mapper its start-up cache (engine/rules/disk_cache.py: rule files found valid, Jinja trees,
compiled stage code), here in a temporary folder. The dry-run's very first run, before anything
is kept, is printed too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORDER = (
    ROOT / "mappings" / "prestashop-yuki" / "fixtures" / "01_domestic_two_rates_discount.input.json"
)

RUN_CLI = "import sys; from mapper.cli import main; sys.argv = ['mapper', *sys.argv[1:]]; main()"

COMMANDS: dict[str, list[str]] = {
    "import click, jinja2, yaml": ["-c", "import click, jinja2, yaml"],
    "mapper --help": ["-c", RUN_CLI, "--help"],
    "mapper dry-run (one order)": [
        "-c",
        RUN_CLI,
        "dry-run",
        str(ORDER),
        "--mapping",
        "prestashop-yuki",
    ],
}


def best_time(arguments: list[str], repeat: int, environment: dict[str, str]) -> float:
    best = float("inf")
    with open(os.devnull, "w") as sink:
        for _ in range(repeat):
            began = time.perf_counter()
            done = subprocess.run(
                [sys.executable, *arguments],
                stdout=sink,
                stderr=subprocess.PIPE,
                env=environment,
            )
            best = min(best, time.perf_counter() - began)
            if done.returncode not in (0, 1):
                raise SystemExit(
                    f"{arguments}: exit {done.returncode}: {done.stderr.decode()[-400:]}"
                )
    return best


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=10, help="runs of each; best counts (10)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mapper-startup-") as cache:
        environment = {**os.environ, "MAPPER_CACHE_DIR": cache}
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        dry_run = COMMANDS["mapper dry-run (one order)"]
        first = {"mapper dry-run, first run": best_time(dry_run, 1, environment)}
        figures = {
            name: best_time(arguments, args.repeat, environment)
            for name, arguments in COMMANDS.items()
        }
    figures.update(first)
    base = figures["import click, jinja2, yaml"]
    for name, seconds in figures.items():
        print(f"{name:28} {seconds * 1000:7.0f} ms  ({seconds / base:4.2f}× the imports; bar 2×)")


if __name__ == "__main__":
    main()
