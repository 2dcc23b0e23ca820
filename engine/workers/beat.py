"""What `mapper beat` puts on the queue: per shop a sync pass every `sync_every` (hourly by
default) and the re-check of open orders every night at `recheck_at`, local time; and for a
shop with `notify: {digest: true}` its daily digest at `digest_at`.

A sync task not started before the next one is due expires: a worker that was down for a day
does one pass when it returns, not twenty-four.
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from ..notify.digest import digest_time
from ..sync.config import Config
from .tasks import TASK

RECHECK_EXPIRES = 12 * 3600  # seconds: a night's re-check not started by noon waits a day
DIGEST_EXPIRES = 12 * 3600  # a digest half a day late is not sent: the next one is due soon


def beat_schedule(config: Config) -> dict[str, dict[str, Any]]:
    """Celery's `beat_schedule`: two entries per shop (three with a digest), named after the
    job and the shop."""
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
        at = digest_time(shop)
        if at is not None:
            schedule[f"digest {shop.name}"] = {
                "task": TASK,
                "schedule": crontab(minute=at.minute, hour=at.hour),
                "args": ("digest", shop.name),
                "options": {"expires": DIGEST_EXPIRES},
            }
    return schedule
