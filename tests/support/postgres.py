"""The test PostgreSQL server: one fresh schema per test, dropped afterwards.

The server is whatever MAPPER_TEST_POSTGRES_URL names (a `postgresql+psycopg://` URL of a
database the tests may create schemas in); tests/support/services.sh starts a throwaway one.
Each test gets its own schema through the connection option `search_path`, and its own
`application_name`, so that teardown can end every connection the test left open (a killed
child process, a leaked engine) before it drops the schema.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import NullPool

POSTGRES_VARIABLE = "MAPPER_TEST_POSTGRES_URL"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    """Skip the test, or fail it under CI=true: CI must not pass by leaving PostgreSQL out."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)", pytrace=False)
    pytest.skip(reason)


@dataclass
class PostgresServer:
    url: URL
    admin: Engine

    @contextmanager
    def fresh_schema(self) -> Iterator[str]:
        """A URL whose connections see only a new, empty schema."""
        schema = f"test_{uuid.uuid4().hex[:16]}"
        with self.admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = self.url.update_query_dict(
            {"options": f"-c search_path={schema}", "application_name": schema}
        )
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with self.admin.begin() as connection:
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": schema},
                )
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    raw = os.environ.get(POSTGRES_VARIABLE, "").strip()
    if not raw:
        unavailable(
            f"{POSTGRES_VARIABLE} is not set: no PostgreSQL server to test against "
            "(start one with tests/support/services.sh, as .ci/run does)"
        )
    url = make_url(raw)
    try:
        import psycopg  # noqa: F401 — the driver a `postgresql+psycopg://` ledger needs
    except ImportError:
        unavailable("psycopg is not installed: pip install -e '.[dev,postgres]'")
    admin = create_engine(url, poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 — any failure to reach it means the same
        admin.dispose()
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        unavailable(f"the PostgreSQL server of {POSTGRES_VARIABLE} cannot be reached: {reason}")
    try:
        yield PostgresServer(url, admin)
    finally:
        admin.dispose()
