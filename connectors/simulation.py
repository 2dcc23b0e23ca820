"""The shared machinery of every simulator: a real HTTP server on loopback, latency, faults.

A simulator subclasses `Simulator` and implements `handle(request) -> Reply`. The base class
serves it on a free port in a background thread (or in the foreground for `mapper simulate`),
adds the configured latency, and injects faults — 500s, 429s with Retry-After, hung requests and
truncated bodies — from a seeded random generator so that a test run is repeatable.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import parse_qsl, urlsplit

FAULT_KINDS = ("500", "429", "timeout", "truncated")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Faults:
    """Which share of requests fails, and how. `rate` 0.2 = one request in five fails."""

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    seed: int = 0
    retry_after: float = 1.0
    hang_seconds: float = 2.0

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    def draw(self) -> str | None:
        """The fault for the next request, or None for a normal answer."""
        if self.rate <= 0:
            return None
        with self._lock:
            if self._random.random() >= self.rate:
                return None
            return self._random.choice(self.kinds)


class Simulator:
    """Base class: serve `handle` over HTTP on 127.0.0.1 with latency and fault injection."""

    name = "simulator"

    def __init__(
        self, *, port: int = 0, latency: float = 0.0, faults: Faults | None = None
    ) -> None:
        self.port = port
        self.latency = latency
        self.faults = faults or Faults()
        self.requests_served = 0
        self._count_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- to implement -------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def fault_reply(self, kind: str) -> Reply:
        """The system's own way of answering an injected 500 or 429; subclasses may refine."""
        if kind == "429":
            return Reply(429, b"Too Many Requests", {"Retry-After": f"{self.faults.retry_after:g}"})
        return Reply(500, b"Internal Server Error", {"Content-Type": "text/plain"})

    # -- serving ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{self.name} simulator is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._server = _Server(("127.0.0.1", self.port), _handler_for(self))
        self._thread = threading.Thread(
            # A short poll interval: stop() waits for it, and tests start and stop many servers.
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.name}-sim",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def serve_forever(self) -> None:
        """Serve in the foreground until interrupted (used by `mapper simulate`)."""
        self._server = _Server(("127.0.0.1", self.port), _handler_for(self))
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def __enter__(self) -> Self:  # a subclass's own type: `with ExactSimulator() as books:`
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _count(self) -> None:
        with self._count_lock:
            self.requests_served += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def _handler_for(simulator: Simulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; with Nagle on, a keep-alive client waits
        # for the delayed ACK (~40 ms) on every request.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Simulators are quiet; tests read their state instead of their logs."""

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = Request(
                method=self.command,
                path=parts.path,
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            simulator._count()
            if simulator.latency:
                time.sleep(simulator.latency)
            fault = simulator.faults.draw()
            if fault == "timeout":
                time.sleep(simulator.faults.hang_seconds)
                self.close_connection = True
                return
            if fault in (None, "truncated"):
                reply = simulator.handle(request)
            else:
                reply = simulator.fault_reply(fault)
            payload = reply.body
            declared = len(payload)
            if fault == "truncated":
                payload = payload[: max(1, len(payload) // 2)]
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(declared))
            if fault == "truncated":
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve

    return Handler


# Made-up customers for the generated shops of the REST simulators (WooCommerce, Shopify): name
# parts, (city, postcode, country) and a company VAT number per country that passes its checksum.
FIRST_NAMES = ("Emma", "Daan", "Julia", "Sem", "Tess", "Lucas", "Fleur", "Finn", "Noor", "Bram")
LAST_NAMES = ("Jansen", "de Jong", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos")
PLACES = (("Amsterdam", "1012 AB", "NL"), ("Utrecht", "3511 LN", "NL"), ("Zwolle", "8011 CW",
          "NL"), ("Antwerpen", "2000", "BE"), ("Köln", "50667", "DE"), ("Oslo", "0150", "NO"))
COMPANY_VAT_NUMBERS = {"BE": "BE0403019261", "DE": "DE136695976"}
