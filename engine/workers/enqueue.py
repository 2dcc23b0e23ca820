"""`mapper enqueue`: jobs put on the queue, one task per shop, for the workers to run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from celery import Celery
from kombu.exceptions import OperationalError

from ..sync.config import Config
from .app import queue_of
from .errors import QueueUnavailable
from .tasks import JOBS, TASK, JobRequest

# Tries to reach the broker before the command gives up (exit 3).
CONNECT_TRIES = 3


@dataclass(frozen=True)
class Queued:
    shop: str
    job: str
    task_id: str


def enqueue(
    app: Celery,
    config: Config,
    config_path: Path,
    job: str,
    shop: str | None = None,
    *,
    since: dt.date | None = None,
    window_days: int = 7,
) -> list[Queued]:
    """Put `job` on the queue for `shop` (default: every configured shop)."""
    queue = queue_of(config, config_path)
    if job not in JOBS:
        raise ValueError(f"unknown job {job!r}")
    shops = [config.shop(shop)] if shop else config.shops
    requests = [
        JobRequest(job, entry.name, since.isoformat() if since else None, window_days)
        for entry in shops
    ]
    for request in requests:
        request.function()  # a backfill without its first day is refused before any is queued
    queued: list[Queued] = []
    with app.connection_for_write() as connection:
        errors = (OperationalError, *connection.connection_errors, *connection.channel_errors)
        try:
            connection.ensure_connection(max_retries=CONNECT_TRIES - 1, interval_start=0.2)
            for request in requests:
                kwargs = {"since": request.since, "window_days": request.window_days}
                result = app.send_task(
                    TASK,
                    args=(request.job, request.shop),
                    kwargs=kwargs if request.since else {},
                    connection=connection,
                    retry=False,
                )
                queued.append(Queued(request.shop, request.job, str(result.id)))
        except errors as error:
            raise QueueUnavailable(queue.label, error) from None
    return queued
