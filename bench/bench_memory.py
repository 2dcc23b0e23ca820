"""Peak memory of `mapper dry-run` at 1k, 10k and 100k orders: flat when input is streamed.

Run from the repository root: `python bench/bench_memory.py [--sizes 1000,10000,100000]
[--format jsonl|array|both]`.

Writes the orders of bench/bench_dry_run.py's generator to a temporary file (JSON Lines, or
one JSON array), runs `mapper dry-run` on it in a subprocess with stdout to /dev/null, and
reads the child's peak RSS (`ru_maxrss` of RUSAGE_CHILDREN, one child per measurement). The
figures are printed with the spread against the smallest run; the bar is 10 %.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_dry_run import PAIR, OrderGenerator  # noqa: E402

TEMPLATE_COUNT = 500  # distinct generated orders, repeated with new ids up to the size


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(type(value).__name__)


def write_orders(path: Path, count: int, kind: str, templates: list[str]) -> None:
    """`count` orders: the templates again and again, each with its own order id."""
    with path.open("w", encoding="utf-8") as out:
        if kind == "array":
            out.write("[\n")
        for n in range(count):
            text = templates[n % len(templates)].replace('"id": "ORDER-ID"', f'"id": "{n + 1}"', 1)
            if kind == "array":
                out.write(text + (",\n" if n + 1 < count else "\n"))
            else:
                out.write(text + "\n")
        if kind == "array":
            out.write("]\n")


def templates() -> list[str]:
    texts = []
    for document in OrderGenerator(7).orders(TEMPLATE_COUNT):
        order = dict(document["order"])
        order["id"] = "ORDER-ID"
        texts.append(json.dumps({**document, "order": order}, default=_default))
    return texts


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--format", choices=["jsonl", "array", "both"], default="both")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    kinds = ["jsonl", "array"] if args.format == "both" else [args.format]
    texts = templates()
    with tempfile.TemporaryDirectory() as folder:
        for kind in kinds:
            # Each measurement in its own child process (ru_maxrss of RUSAGE_CHILDREN is the
            # largest child so far, so sizes run small to large and each is read as it ends).
            figures = []
            for size in sizes:
                path = Path(folder) / f"orders-{size}.{kind}"
                write_orders(path, size, kind, texts)
                rss, seconds = _measure(path)
                figures.append(rss)
                megabytes = path.stat().st_size / 1e6
                print(
                    f"{kind:5} {size:>7} orders ({megabytes:6.1f} MB): peak RSS {rss:6.1f} MiB "
                    f"({seconds:5.1f} s)"
                )
                path.unlink()
            spread = (max(figures) / min(figures) - 1) * 100
            verdict = "flat" if spread <= 10 else "NOT flat"
            print(
                f"{kind:5} spread: {spread:.1f} % between the smallest and largest ({verdict}; bar 10 %)"
            )


def _measure(path: Path) -> tuple[float, float]:
    script = (
        "import resource, sys\n"
        "from mapper.cli import main\n"
        "sys.argv = ['mapper', 'dry-run', sys.argv[1], '--mapping', sys.argv[2]]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write('RSS %d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    began = time.perf_counter()
    with open(os.devnull, "w") as sink:
        done = subprocess.run(
            [sys.executable, "-c", script, str(path), PAIR],
            stdout=sink,
            stderr=subprocess.PIPE,
            check=False,
        )
    seconds = time.perf_counter() - began
    lines = [line for line in done.stderr.decode().splitlines() if line.startswith("RSS ")]
    if not lines:
        raise SystemExit(f"dry-run failed: {done.stderr.decode()[-500:]}")
    return int(lines[-1].split()[1]) / 1024, seconds


if __name__ == "__main__":
    main()
