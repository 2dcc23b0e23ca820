"""Fixtures shared by the whole suite: a ledger database on SQLite and on PostgreSQL; and a
start-up cache of its own (engine/rules/disk_cache.py), so the suite writes nothing under the
user's home and starts from nothing kept.

`ledger_url` runs a test twice: on a fresh SQLite file, and on a fresh schema of the PostgreSQL
server named by MAPPER_TEST_POSTGRES_URL (`.ci/run` starts one; by hand see
tests/support/services.sh). Without that variable the PostgreSQL cases are skipped with the
reason, except under CI=true, where they fail: CI must never pass by not testing PostgreSQL.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator

import pytest
from support.no_secrets import found_in, watched_processes
from support.postgres import PostgresServer, postgres_server

if "MAPPER_CACHE_DIR" not in os.environ:  # set before any mapper module reads it
    _CACHE = tempfile.mkdtemp(prefix="mapper-test-cache-")
    os.environ["MAPPER_CACHE_DIR"] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

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


@pytest.fixture(autouse=True)
def _generated_from_the_first_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """In this process a rule set maps with its generated stage from the first order on, as
    a long run does after its first orders (engine/rules/compile.py GENERATE_AFTER): what is
    tested is the generated code. The interpreter, which maps a run's first orders, is tested
    against it (tests/engine/test_engine_codegen.py), and so is the change-over."""
    from mapper.engine.rules import compile as rules_compile

    monkeypatch.setattr(rules_compile, "GENERATE_AFTER", 0)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Keep what the processes a test runs print, for the secrets check below."""
    with watched_processes() as outputs:
        yield
    item.stash[_PROCESS_OUTPUTS] = outputs


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Fail a test whose output — printed, logged, or of a process it ran — holds a secret."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if report.when != "call" or report.failed:
        return
    texts = [
        ("its captured stdout", report.capstdout),
        ("its captured stderr", report.capstderr),
        ("its captured log", report.caplog),
        *item.stash.get(_PROCESS_OUTPUTS, []),
    ]
    places = found_in(texts)
    if places:
        report.outcome = "failed"
        report.longrepr = f"a secret showed in the output of this test: {'; '.join(places)}"


_PROCESS_OUTPUTS = pytest.StashKey[list[tuple[str, str]]]()


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

