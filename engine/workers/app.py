"""The Celery app of one mapper.yaml: broker, delivery guarantees, the task and the schedule.

Delivery is at least once, by design: a task is acknowledged only when its job is over
(`task_acks_late`), a task whose worker process died is put back (`task_reject_on_worker_lost`),
and one a killed worker had taken is handed out again once the broker's visibility timeout has
passed. A job done twice is harmless: the ledger claims each order before it is posted, and the
shop's lock keeps two passes of one shop apart. Each worker process takes one task at a time
(`worker_prefetch_multiplier=1`), so nothing waits behind a long pass on a busy worker.
"""

from __future__ import annotations

from pathlib import Path

from celery import Celery

from ..sync.config import Config, QueueConfig
from .beat import beat_schedule
from .errors import QueueNotConfigured
from .tasks import register_tasks

# Seconds between the sweeps that hand out again what a killed worker had taken: short next to
# the visibility timeout, so a job is redone soon after that timeout rather than minutes later.
RESTORE_SWEEP_SECONDS = 5


def queue_of(config: Config, config_path: Path) -> QueueConfig:
    if config.queue is None:
        raise QueueNotConfigured(str(config_path))
    return config.queue


def build_app(config: Config, config_path: Path) -> Celery:
    """The app for `config` (read from `config_path`: named in messages). A worker's processes
    are forked from the one that built it: each opens its own ledger connection."""
    queue = queue_of(config, config_path)
    visibility = queue.visibility_timeout.total_seconds()
    app = Celery("mapper", broker=queue.url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=queue.name,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,  # a job's outcome is in the ledger and the worker's log
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a restarting broker is waited for
        broker_transport_options={
            "visibility_timeout": visibility,
            "unacked_restore_interval": min(RESTORE_SWEEP_SECONDS, visibility),
            "unacked_restore_throttle": 1,
            # A worker killed while it held the sweep's mutex does not stop sweeps for long.
            "unacked_mutex_expire": min(300.0, visibility),
        },
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_hijack_root_logger=False,
        enable_utc=False,  # beat's nightly re-check is at `recheck_at` local time
        beat_schedule=beat_schedule(config),
    )
    register_tasks(app, config)
    return app
