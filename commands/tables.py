"""The manual's lists drawn as tables that fit the terminal (rich), for `mapper status`.

The width is the terminal's; where the output is not a terminal (a pipe, a file, cron's mail)
it is $COLUMNS when set, else 100. Free text (the reason, the shop state) wraps within its
column; short fields that still do not fit end in an ellipsis. No line is wider than the width.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable
from typing import TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..engine.sync.lists import OrderList, fit_widths

NOT_A_TERMINAL_WIDTH = 100


def output_width(stream: TextIO) -> int:
    """$COLUMNS if it is a number, else the terminal's width, else 100."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if stream.isatty():
        return shutil.get_terminal_size((NOT_A_TERMINAL_WIDTH, 24)).columns
    return NOT_A_TERMINAL_WIDTH


def console() -> Console:
    """A console on the current stdout (so CliRunner captures it), colours only on a terminal."""
    stream = sys.stdout
    return Console(
        file=stream,
        width=output_width(stream),
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )


def table(order_list: OrderList, width: int) -> Table:
    """One list as a rich table `width` wide at most: wrapping columns (the reason, the shop
    state, the reference) continue on the next lines, the others end in an ellipsis."""
    grid = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
        header_style="bold",
    )
    for name, column_width in zip(order_list.columns, fit_widths(order_list, width), strict=True):
        if name in order_list.wrapping:
            grid.add_column(name, width=column_width, overflow="fold")
        else:
            grid.add_column(name, width=column_width, no_wrap=True, overflow="ellipsis")
    for row in order_list.rows:
        grid.add_row(*(Text(cell) for cell in row))  # Text: a `[` in a reason is no markup
    return grid


def print_lists(order_lists: Iterable[OrderList], out: Console | None = None) -> None:
    """Each list: its heading ("… (showing 12 of 28)"), its table or "(none)", an empty line."""
    out = out or console()
    for order_list in order_lists:
        out.print(Text(order_list.heading, style="bold"))
        if order_list.rows:
            out.print(table(order_list, out.width))
        else:
            out.print("(none)")
        out.print()
