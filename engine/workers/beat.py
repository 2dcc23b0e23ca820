"""What `mapper beat` puts on the queue: per shop a sync pass every `sync_every` (hourly by
default) and the re-check of open orders every night at `recheck_at`, local time.

A sync task not started before the next one is due expires: a worker that was down for a day
does one pass when it returns, not twenty-four.
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from ..sync.config import Config
from .tasks import TASK

RECHECK_EXPIRES = 12 * 3600  # seconds: a night's re-check not started by noon waits a day


def beat_schedule(config: Config) -> dict[str, dict[str, Any]]:
    """Celery's `beat_schedule`: two entries per shop, named after the job and the shop."""
    schedule: dict[str, dict[str, Any]] = {}
    for shop in config.shops:
        schedule[f"sync {shop.name}"] = {
            "task": TASK,
            "schedule": shop.sync_every,
            "args": ("sync", shop.name),
            "options": {"expires": shop.sync_every.total_seconds()},
        }
        schedule[f"recheck {shop.name}"] = {
            "task": TASK,
            "schedule": crontab(minute=shop.recheck_at.minute, hour=shop.recheck_at.hour),
            "args": ("recheck", shop.name),
            "options": {"expires": RECHECK_EXPIRES},
        }
    return schedule
