"""`mapper enqueue` on a real Redis (the shared test server, a queue of the test's own), the
message a worker receives, the broker being down, and the worker's `/healthz`."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
import redis
import yaml
from click.testing import CliRunner
from mapper.cli import main
from mapper.engine.sync.config import load_config
from mapper.engine.workers.app import build_app
from mapper.engine.workers.health import Health, HealthServer
from support.redis import free_port, shared_redis_url

ENV = {"PS_KEY": "ps-key-value", "YUKI_KEY": "yuki-key-value"}


def shop(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "mapping": "prestashop-yuki",
        "source": {"type": "prestashop", "url": "https://shop.example.nl", "key": {"env": "PS_KEY"}},
        "target": {
            "type": "yuki",
            "url": "https://api.yukiworks.nl",
            "access_key": {"env": "YUKI_KEY"},
            "administration_id": "8f1a4c2e-0000-4000-8000-000000000001",
        },
    }


def write_config(folder: Path, queue_name: str) -> Path:
    data = {
        "queue": {"url": {"env": "BROKER_URL"}, "name": queue_name},
        "shops": [shop("tea"), shop("coffee")],
    }
    path = folder / "mapper.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture()
def queue_name() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture()
def shared_redis(queue_name: str) -> Any:
    url = shared_redis_url()
    client = redis.Redis.from_url(url)
    yield url, client
    client.delete(queue_name)


def messages(client: redis.Redis, queue_name: str) -> list[tuple[str, list[Any], dict[str, Any]]]:
    """(task, args, kwargs) of the queued messages, oldest first (kombu LPUSHes, workers RPOP)."""
    found = []
    for raw in reversed(client.lrange(queue_name, 0, -1)):
        message = json.loads(raw)
        args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        found.append((message["headers"]["task"], args, kwargs))
    return found


def enqueue(config: Path, env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(main, ["enqueue", *args, "--config", str(config)], env=env)


def test_enqueue_puts_one_job_per_shop_on_the_configured_queue(
    tmp_path: Path, queue_name: str, shared_redis: Any
) -> None:
    url, client = shared_redis
    config = write_config(tmp_path, queue_name)
    result = enqueue(config, {**ENV, "BROKER_URL": url}, "sync")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split(" (task ")[0] for line in lines] == ["tea: sync queued", "coffee: sync queued"]
    assert messages(client, queue_name) == [
        ("mapper.job", ["sync", "tea"], {}),
        ("mapper.job", ["sync", "coffee"], {}),
    ]


def test_a_backfill_carries_its_first_day_and_window(
    tmp_path: Path, queue_name: str, shared_redis: Any
) -> None:
    url, client = shared_redis
    config = write_config(tmp_path, queue_name)
    env = {**ENV, "BROKER_URL": url}
    refused = enqueue(config, env, "backfill", "--shop", "tea")
    assert refused.exit_code == 2
    assert "backfill needs --since (the first day)" in refused.stderr
    result = enqueue(config, env, "backfill", "--shop", "tea", "--since", "2026-01-01",
                     "--window-days", "3")
    assert result.exit_code == 0, result.output
    assert messages(client, queue_name) == [
        ("mapper.job", ["backfill", "tea"], {"since": "2026-01-01", "window_days": 3}),
    ]


def test_a_broker_that_does_not_answer_is_exit_3_in_one_line_without_the_password(
    tmp_path: Path, queue_name: str
) -> None:
    port = free_port()  # nothing listens there
    config = write_config(tmp_path, queue_name)
    result = enqueue(config, {**ENV, "BROKER_URL": f"redis://:s3cret@127.0.0.1:{port}/0"}, "sync")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == (
        f"mapper: cannot reach the queue URL from env BROKER_URL: Error 111 connecting to "
        f"127.0.0.1:{port}. Connection refused. (is the Redis broker running?)\n"
    )


def test_worker_commands_without_a_queue_say_so(tmp_path: Path) -> None:
    path = tmp_path / "mapper.yaml"
    path.write_text(yaml.safe_dump({"shops": [shop("tea")]}), encoding="utf-8")
    for command in (["enqueue", "sync"], ["worker"], ["beat"]):
        result = CliRunner().invoke(main, [*command, "--config", str(path)], env=ENV)
        assert result.exit_code == 2, command
        assert result.stderr == (
            f"mapper: {path}: no `queue:` configured: add the broker's URL (queue: redis://…) "
            "to run workers, or run the jobs in-process with `mapper schedule`\n"
        )


def get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urlopen(url, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except HTTPError as error:
        return error.code, json.loads(error.read())


def test_healthz_answers_ok_once_the_worker_consumes_and_the_broker_answers(
    tmp_path: Path, queue_name: str, shared_redis: Any
) -> None:
    url, _client = shared_redis
    config_path = write_config(tmp_path, queue_name)
    app = build_app(load_config(config_path, {**ENV, "BROKER_URL": url}), config_path)
    health = Health(app, "mapper@box-1")
    server = HealthServer(health).start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        assert get(f"{base}/healthz") == (503, {"worker": "mapper@box-1", "status": "starting"})
        health.ready.set()
        assert get(f"{base}/healthz") == (200, {"worker": "mapper@box-1", "status": "ok"})
        assert get(f"{base}/other") == (404, {"status": "not found"})
        health.stopping.set()
        assert get(f"{base}/healthz") == (503, {"worker": "mapper@box-1", "status": "stopping"})
    finally:
        server.stop()


def test_healthz_is_503_when_the_broker_is_gone(tmp_path: Path, queue_name: str) -> None:
    config_path = write_config(tmp_path, queue_name)
    broker = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    app = build_app(load_config(config_path, {**ENV, "BROKER_URL": broker}), config_path)
    health = Health(app, "mapper@box-1")
    health.ready.set()
    server = HealthServer(health).start()
    try:
        status, body = get(f"http://127.0.0.1:{server.port}/healthz")
    finally:
        server.stop()
    assert (status, body) == (503, {"worker": "mapper@box-1", "status": "broker unreachable"})
