"""How the CLI shows a running job: on a terminal a live line per shop (rich) with the orders
seen, sent and put in Errors so far; otherwise (cron, a pipe, tests) nothing until a shop is
done, then its plain summary line. The engine tells through its `Progress` callbacks; only
this module draws."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from ..engine.sync.pipeline import PassReport, Progress


def counts(report: PassReport) -> str:
    """The running counts of a job, short enough for one terminal line."""
    return f"{report.seen} seen, {report.sent} sent, {report.failed} to Errors, {report.open} open"


class PassDisplay(Progress):
    """The engine's Progress drawn for a person. `done` prints a finished shop's report (its
    summary and problems); it is called as each shop finishes, so a long run of many shops
    shows each result when it is there, not all at the end.

    `console` defaults to stderr; the live display is drawn only if it is a terminal.
    Use as a context manager around the job.
    """

    def __init__(
        self,
        done: Callable[[PassReport], None],
        *,
        console: Console | None = None,
        days: int | None = None,
    ) -> None:
        self.done = done
        self.console = console or Console(stderr=True)
        self.live = self.console.is_terminal
        self.days = days  # backfill: the length of the history, for a bar
        self._bar = RichProgress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
            disable=not self.live,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> PassDisplay:
        self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._bar.stop()

    # -- the engine's callbacks -------------------------------------------------------------------
    def started(self, shop: str, job: str) -> None:
        self._tasks[shop] = self._bar.add_task(
            f"{shop}: {job}", total=self.days, counts="connecting…"
        )

    def advanced(self, report: PassReport) -> None:
        task = self._tasks.get(report.shop)
        if task is not None:
            self._bar.update(task, counts=counts(report))

    def finished(self, report: PassReport) -> None:
        task = self._tasks.pop(report.shop, None)
        if task is not None:
            self._bar.remove_task(task)
        self.done(report)

    def window(self, first: dt.datetime, done_until: dt.datetime) -> None:
        """Backfill: history loaded from `first` up to `done_until`."""
        for task in self._tasks.values():
            self._bar.update(task, completed=(done_until.date() - first.date()).days)
