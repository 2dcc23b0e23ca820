"""Redis for the tests: the shared test server, and throwaway servers a test may kill.

`shared_redis_url()` is the server MAPPER_TEST_REDIS_URL names (tests/support/services.sh
starts one): tests use it as is, each on a queue name of its own, and never restart it.
`RedisServer` is a redis-server process of the test's own, on a free port, with its append-only
file in the test's folder so that a restart (after SIGKILL, too) keeps what was queued — for the
tests that kill or restart the broker. Without either, the test is skipped with the reason;
under CI=true it fails instead: CI must not pass by leaving Redis out.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

from support.postgres import unavailable

REDIS_VARIABLE = "MAPPER_TEST_REDIS_URL"
START_TIMEOUT = 10.0


def shared_redis_url() -> str:
    """The shared test server's URL (skipped, or failed under CI=true, when it is missing)."""
    url = os.environ.get(REDIS_VARIABLE, "").strip()
    if not url:
        unavailable(
            f"{REDIS_VARIABLE} is not set: no Redis server to test against "
            "(start one with tests/support/services.sh, as .ci/run does)"
        )
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        unavailable(f"the Redis server of {REDIS_VARIABLE} cannot be reached: {error}")
    return url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A redis-server of the test's own. `kill()` is SIGKILL; `start()` again keeps its port
    and its data (appendfsync always: nothing acknowledged is lost)."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server is not on PATH (tests/support/services.sh installs it)")
        self.binary = str(binary)
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=5)

    def start(self) -> RedisServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder),
        ]
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                self.client().ping()
                return self
            except redis.RedisError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start: see {self.folder}") from None
                time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()
