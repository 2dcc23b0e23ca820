"""How `mapper check` shows its findings: one line per system per shop.

On a terminal a green ✓, a yellow ! (works, but not as the manual asks) or a red ✗ before
each line (rich); otherwise (a pipe, cron, tests) plain text: `ok:`, `warning:`, `failed:`.
The lines come from the engine (engine/sync/check.py); no credential is ever in them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

from rich.console import Console
from rich.text import Text

from ..connectors.adapters import CheckLine
from ..engine.sync.check import ShopCheck

MARKS = {"ok": ("✓", "green"), "warning": ("!", "yellow"), "failed": ("✗", "red")}


def verdict(line: CheckLine) -> str:
    """'ok', 'warning' or 'failed'."""
    if not line.ok:
        return "failed"
    return "warning" if line.warning else "ok"


def plain_line(shop: str, line: CheckLine) -> str:
    """`failed: shop demo: Yuki: access key refused (…)`."""
    return f"{verdict(line)}: shop {shop}: {line.system}: {line.message}"


def print_checks(
    checks: Iterable[ShopCheck],
    echo: Callable[[str], None],
    console: Console | None = None,
) -> list[str]:
    """Print every finding; return `shop S: System` of each that failed."""
    out = console or Console(file=sys.stdout, highlight=False, emoji=False, soft_wrap=True)
    failed: list[str] = []
    for check in checks:
        for line in check.lines:
            if not line.ok:
                failed.append(f"shop {check.shop}: {line.system}")
            if out.is_terminal:
                mark, colour = MARKS[verdict(line)]
                text = Text()
                text.append(f"{mark} ", style=f"bold {colour}")
                text.append(f"shop {check.shop}: {line.system}: ")
                text.append(line.message, style=colour if not line.ok else "")
                out.print(text)
            else:
                echo(plain_line(check.shop, line))
    return failed
