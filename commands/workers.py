"""The CLI's side of the task queue: `mapper worker`, `mapper beat`, `mapper enqueue`.

Celery is imported here, when one of these commands runs, never when `mapper --help` does.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from pathlib import Path

from ..engine.sync.config import load_config
from ..engine.workers.app import build_app
from ..engine.workers.enqueue import Queued, enqueue
from ..engine.workers.health import Health, HealthServer

Echo = Callable[[str], None]


def worker_name() -> str:
    """`mapper@host-pid`: several workers of one host (or containers of one image) differ."""
    return f"mapper@{socket.gethostname()}-{os.getpid()}"


def run_worker(
    config_path: Path,
    *,
    concurrency: int,
    health_host: str,
    health_port: int | None,
    loglevel: str,
    echo: Echo,
) -> int:
    """Run a worker until it is stopped (SIGTERM: warm shutdown, the running jobs finish);
    its exit code."""
    config = load_config(config_path)
    app = build_app(config, config_path)
    quiet_http_logs()
    name = worker_name()
    server: HealthServer | None = None
    if health_port is not None:
        health = Health(app, name)
        health.watch_worker()
        server = HealthServer(health, health_host, health_port).start()
        echo(f"mapper worker: liveness on http://{health_host}:{server.port}/healthz")
    echo(f"mapper worker {name}: {len(config.shops)} shop(s), {concurrency} process(es)")
    worker = app.Worker(
        hostname=name,
        concurrency=concurrency,
        loglevel=loglevel,
        without_mingle=True,
        without_gossip=True,
        quiet=True,
    )
    try:
        worker.start()
    finally:
        if server is not None:
            server.stop()
    return int(worker.exitcode or 0)


def quiet_http_logs() -> None:
    """A worker logs each job's summary, not every request its clients make."""
    for name in ("httpx", "httpcore", "zeep"):
        logging.getLogger(name).setLevel(logging.WARNING)


def run_beat(config_path: Path, *, schedule_file: Path, loglevel: str, echo: Echo) -> None:
    """Put the shops' jobs on the queue when due, until stopped. Run one beat per queue."""
    config = load_config(config_path)
    app = build_app(config, config_path)
    echo(
        f"mapper beat: {len(config.shops)} shop(s); sync passes and nightly re-checks "
        f"go to queue {app.conf.task_default_queue!r}"
    )
    app.Beat(schedule=str(schedule_file), loglevel=loglevel, quiet=True).run()


def enqueue_jobs(
    config_path: Path,
    job: str,
    shop: str | None,
    *,
    since: dt.date | None,
    window_days: int,
) -> list[Queued]:
    config = load_config(config_path)
    app = build_app(config, config_path)
    return enqueue(app, config, config_path, job, shop, since=since, window_days=window_days)
