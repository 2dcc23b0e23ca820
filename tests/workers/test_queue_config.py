"""`queue:` and `schedule:` in mapper.yaml, and the Celery app and beat schedule built from them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from celery.schedules import crontab
from mapper.engine.errors import ConfigError
from mapper.engine.sync.config import parse_config
from mapper.engine.workers.app import build_app
from mapper.engine.workers.errors import QueueNotConfigured
from mapper.engine.workers.tasks import TASK

ENV = {"PS_KEY": "ps-key", "YUKI_KEY": "yuki-key", "BROKER_URL": "redis://:s3cret@broker:6379/2"}


def shop(name: str, **extra: Any) -> dict[str, Any]:
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
        **extra,
    }


def parse(tmp_path: Path, **top: Any) -> Any:
    return parse_config({"shops": [shop("tea")], **top}, tmp_path, environ=ENV)


def test_without_queue_there_is_none_and_the_worker_commands_say_what_to_do(tmp_path: Path) -> None:
    config = parse(tmp_path)
    assert config.queue is None
    with pytest.raises(QueueNotConfigured) as refused:
        build_app(config, tmp_path / "mapper.yaml")
    assert str(refused.value) == (
        f"{tmp_path / 'mapper.yaml'}: no `queue:` configured: add the broker's URL "
        "(queue: redis://…) to run workers, or run the jobs in-process with `mapper schedule`"
    )


def test_a_broker_url_written_as_is(tmp_path: Path) -> None:
    queue = parse(tmp_path, queue="redis://localhost:6379/0").queue
    assert queue.url == "redis://localhost:6379/0"
    assert (queue.name, queue.label) == ("mapper", "the queue")
    assert queue.visibility_timeout == dt.timedelta(hours=1)
    assert queue.lock_ttl == dt.timedelta(minutes=10)


def test_a_broker_url_from_the_environment_is_never_shown(tmp_path: Path) -> None:
    queue = parse(
        tmp_path,
        queue={"url": {"env": "BROKER_URL"}, "name": "shops-eu", "visibility_timeout_seconds": 900,
               "lock_ttl_seconds": 120},
    ).queue
    assert queue.url == "redis://:s3cret@broker:6379/2"
    assert queue.label == "the queue URL from env BROKER_URL"
    assert "s3cret" not in repr(queue)
    assert (queue.name, queue.visibility_timeout, queue.lock_ttl) == (
        "shops-eu", dt.timedelta(seconds=900), dt.timedelta(seconds=120)
    )
    assert parse(tmp_path, queue={"env": "BROKER_URL"}).queue.origin == "env BROKER_URL"


@pytest.mark.parametrize(
    ("queue", "message"),
    [
        ({"env": "NO_SUCH"}, "mapper.yaml: queue: environment variable NO_SUCH is not set"),
        (
            "amqp://guest:s3cret@rabbit//",
            "mapper.yaml: queue: expected a redis:// URL, {env: NAME} or {secret: name}, or a "
            "section with url: and options",
        ),
        (
            {"url": "redis://localhost", "visibility_timeout": 60},
            "mapper.yaml: queue: unknown key 'visibility_timeout', did you mean "
            "'visibility_timeout_seconds'?",
        ),
    ],
)
def test_a_wrong_queue_is_one_line_without_its_value(
    tmp_path: Path, queue: Any, message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        parse(tmp_path, queue=queue)
    assert str(refused.value) == message


def test_a_url_from_the_environment_that_is_not_redis_is_refused_without_showing_it(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(
            {"shops": [shop("tea")], "queue": {"env": "BROKER_URL"}},
            tmp_path,
            environ={**ENV, "BROKER_URL": "amqp://guest:s3cret@rabbit//"},
        )
    assert str(refused.value) == (
        "mapper.yaml: queue: the queue URL from env BROKER_URL is not a redis:// URL"
    )


def test_schedule_sets_every_shops_default_and_a_shops_own_keys_win(tmp_path: Path) -> None:
    config = parse_config(
        {
            "schedule": {"sync_every_minutes": 15, "recheck_at": "23:30"},
            "shops": [shop("tea"), shop("coffee", sync_every_minutes=5, recheck_at="04:10")],
        },
        tmp_path,
        environ=ENV,
    )
    tea, coffee = config.shops
    assert (tea.sync_every, tea.recheck_at) == (dt.timedelta(minutes=15), dt.time(23, 30))
    assert (coffee.sync_every, coffee.recheck_at) == (dt.timedelta(minutes=5), dt.time(4, 10))


def test_the_app_acknowledges_late_and_takes_one_job_at_a_time(tmp_path: Path) -> None:
    config = parse(tmp_path, queue={"url": {"env": "BROKER_URL"}, "visibility_timeout_seconds": 900})
    app = build_app(config, tmp_path / "mapper.yaml")
    conf = app.conf
    assert (conf.task_acks_late, conf.task_reject_on_worker_lost) == (True, True)
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_default_queue == "mapper"
    assert conf.broker_transport_options["visibility_timeout"] == 900.0
    assert conf.broker_url == "redis://:s3cret@broker:6379/2"
    assert TASK in app.tasks


def test_beat_queues_an_hourly_sync_and_the_nightly_recheck_per_shop(tmp_path: Path) -> None:
    config = parse_config(
        {
            "queue": "redis://localhost:6379/0",
            "shops": [shop("tea"), shop("coffee", sync_every_minutes=30, recheck_at="23:45")],
        },
        tmp_path,
        environ=ENV,
    )
    schedule = build_app(config, tmp_path / "mapper.yaml").conf.beat_schedule
    assert schedule == {
        "sync tea": {
            "task": TASK,
            "schedule": dt.timedelta(hours=1),
            "args": ("sync", "tea"),
            "options": {"expires": 3600.0},
        },
        "recheck tea": {
            "task": TASK,
            "schedule": crontab(minute=0, hour=3),
            "args": ("recheck", "tea"),
            "options": {"expires": 43200},
        },
        "sync coffee": {
            "task": TASK,
            "schedule": dt.timedelta(minutes=30),
            "args": ("sync", "coffee"),
            "options": {"expires": 1800.0},
        },
        "recheck coffee": {
            "task": TASK,
            "schedule": crontab(minute=45, hour=23),
            "args": ("recheck", "coffee"),
            "options": {"expires": 43200},
        },
    }


def test_each_app_runs_the_shops_of_its_own_configuration(tmp_path: Path) -> None:
    # Two apps in one process (as the tests make them): each task runs its own app's shops,
    # not those of another app made before it (Celery shares tasks across apps unless told not
    # to, and then the first callable registered under the name answers for all of them).
    apps = {}
    for name in ("tea", "coffee"):
        folder = tmp_path / name
        folder.mkdir()
        config = parse_config(
            {"shops": [shop(name)], "queue": "redis://localhost:6379/0"}, folder, environ=ENV
        )
        apps[name] = build_app(config, folder / "mapper.yaml")
    tea, coffee = apps["tea"].tasks[TASK], apps["coffee"].tasks[TASK]
    assert coffee.run("sync", "tea")["failure"] == (
        "no shop 'tea' in the configuration (shops: coffee)"
    )
    assert tea.run("sync", "coffee")["failure"] == (
        "no shop 'coffee' in the configuration (shops: tea)"
    )
