"""A worker's liveness for container probes: `GET /healthz` on a port of its own.

The worker's main process serves it from a thread: 200 with `{"status": "ok", ...}` once the
worker is consuming and the broker answers; 503 with `"starting"`, `"stopping"` or
`"broker unreachable"` otherwise. A probe can call it with anything that speaks HTTP
(`curl -f`, a Kubernetes httpGet, `python -c 'import urllib.request; …'`). It shows no URL and
no credential: only the worker's name and its state.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from celery import Celery
from celery.signals import worker_ready, worker_shutting_down

log = logging.getLogger(__name__)

PATH = "/healthz"
# Seconds a probe waits for the broker before it answers 503.
BROKER_TIMEOUT = 2.0


class Health:
    """The state a probe reads: set by the worker's signals, checked against the broker."""

    def __init__(self, app: Celery, name: str) -> None:
        self.app = app
        self.name = name
        self.ready = threading.Event()
        self.stopping = threading.Event()

    def watch_worker(self) -> None:
        """Follow this process's worker: ready once it consumes, stopping once it shuts down."""
        worker_ready.connect(lambda **_: self.ready.set(), weak=False)
        worker_shutting_down.connect(lambda **_: self.stopping.set(), weak=False)

    def check(self) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) of one probe."""
        body: dict[str, Any] = {"worker": self.name}
        if self.stopping.is_set():
            return 503, {**body, "status": "stopping"}
        if not self.ready.is_set():
            return 503, {**body, "status": "starting"}
        try:
            with self.app.connection_for_read() as connection:
                connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
        except Exception:  # noqa: BLE001 — whatever the broker's failure, the answer is the same
            return 503, {**body, "status": "broker unreachable"}
        return 200, {**body, "status": "ok"}


class HealthServer:
    """`GET /healthz` on host:port, served from a daemon thread until `stop()`."""

    def __init__(self, health: Health, host: str = "127.0.0.1", port: int = 0) -> None:
        self.health = health
        self._server = ThreadingHTTPServer((host, port), _handler(health))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="mapper-healthz", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(health: Health) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 — http.server's name
            if self.path.split("?")[0] != PATH:
                self._answer(404, {"status": "not found"})
                return
            self._answer(*health.check())

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            log.debug("healthz: " + format, *args)

    return Handler
