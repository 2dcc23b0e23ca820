"""Fixtures shared by the whole suite: a ledger database on SQLite and on PostgreSQL.

`ledger_url` runs a test twice: on a fresh SQLite file, and on a fresh schema of the PostgreSQL
server named by MAPPER_TEST_POSTGRES_URL (`.ci/run` starts one; by hand see
tests/support/services.sh). Without that variable the PostgreSQL cases are skipped with the
reason, except under CI=true, where they fail: CI must never pass by not testing PostgreSQL.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest
from support.postgres import PostgresServer, postgres_server

_DATABASE_ID = re.compile(r"[\[-](sqlite|postgresql)[\]-]")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: runs against the test PostgreSQL server")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say plainly which ledger databases the run tested: a skipped PostgreSQL half shows."""
    outcomes: Counter[tuple[str, str]] = Counter()
    for reports in terminalreporter.stats.values():
        for report in reports:
            nodeid, when = getattr(report, "nodeid", ""), getattr(report, "when", "")
            found = _DATABASE_ID.search(nodeid)
            if "postgresql" in getattr(report, "keywords", {}):
                database = "postgresql"  # the parametrised cases and the PostgreSQL-only tests
            elif found is not None:
                database = found.group(1)
            else:
                continue
            if when == "call" or (when == "setup" and report.outcome != "passed"):
                outcomes[(database, report.outcome)] += 1
    if not outcomes:
        return
    terminalreporter.write_sep("-", "ledger databases")
    for database in ("sqlite", "postgresql"):
        counted = ", ".join(
            f"{n} {outcome}" for (name, outcome), n in sorted(outcomes.items()) if name == database
        )
        terminalreporter.write_line(f"{database}: {counted or 'none'}")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The test PostgreSQL server (skipped, or failed under CI=true, when none is configured)."""
    with postgres_server() as server:
        yield server


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)],
)
def ledger_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A ledger URL nobody used before: a new SQLite file, or a new PostgreSQL schema that is
    dropped (with every connection still using it) when the test ends."""
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("ledger")
        yield f"sqlite:///{folder / 'ledger.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    with server.fresh_schema() as url:
        yield url

