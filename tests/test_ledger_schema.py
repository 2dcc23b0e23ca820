"""The ledger's database: migrations, what its tables may hold, SQLite settings, safe messages."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mapper.engine.errors import MapperError
from mapper.engine.ledger import (
    LATEST_VERSION,
    Ledger,
    LedgerDamaged,
    LedgerError,
    LedgerUnavailable,
    MigrationFailed,
    SchemaTooNew,
    ShopLocked,
    migrations,
    tables,
)
from mapper.engine.ledger.database import connect, parse_url, safe_url
from mapper.engine.ledger.migrations import MIGRATIONS, Migration, current_version, migrate
from sqlalchemy import Column, Engine, Integer, MetaData, Table, create_mock_engine, inspect, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import CreateIndex

ORDER_DATE = datetime(2024, 3, 14, 9, 30, tzinfo=UTC)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


@pytest.fixture
def engine(ledger_url: str) -> Iterator[Engine]:
    """An empty database: a new SQLite file, then a new PostgreSQL schema (tests/conftest.py)."""
    created = connect(parse_url(ledger_url), busy_timeout=timedelta(seconds=5))
    yield created
    created.dispose()


def versions(database: Path | Engine) -> list[tuple[int, str]]:
    """The rows of the version table, read past the ledger's own code (a SQLite file raw)."""
    query = "SELECT version, description FROM ledger_schema_version ORDER BY 1"
    if isinstance(database, Engine):
        with database.connect() as connection:
            return [(int(v), str(d)) for v, d in connection.execute(text(query))]
    with sqlite3.connect(database) as raw:
        return [(int(v), str(d)) for v, d in raw.execute(query)]


def table_names(database: Path | Engine) -> set[str]:
    if isinstance(database, Engine):
        return set(inspect(database).get_table_names())
    with sqlite3.connect(database) as raw:
        rows = raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {str(name) for (name,) in rows}


# migrations ----------------------------------------------------------------------------------


def test_opening_an_empty_file_creates_the_newest_schema(path: Path) -> None:
    with Ledger.open(f"sqlite:///{path}"):
        pass
    assert table_names(path) == {
        "ledger_schema_version",
        "ledger_orders",
        "ledger_shops",
        "ledger_shop_locks",
        "ledger_users",
        "ledger_user_shops",
        "ledger_settings_versions",
        "ledger_secrets",
        "ledger_connector_tokens",
        "ledger_vies_checks",
    }
    assert [version for version, _ in versions(path)] == list(range(1, LATEST_VERSION + 1))


def test_reopening_changes_nothing(path: Path) -> None:
    with Ledger.open(f"sqlite:///{path}") as ledger:
        ledger.observe("shop", "1", "N1", ORDER_DATE, sendable=False)
    recorded = versions(path)
    for _ in range(3):
        with Ledger.open(f"sqlite:///{path}") as ledger:
            assert ledger.get_order("shop", "1") is not None
    assert versions(path) == recorded


def test_a_bare_path_means_a_sqlite_file_and_missing_folders_are_made(tmp_path: Path) -> None:
    path = tmp_path / "state" / "mapper" / "ledger.db"
    with Ledger.open(str(path)) as ledger:
        assert ledger.url == f"sqlite:///{path}"
    assert path.exists()


def test_a_newer_schema_is_refused_untouched(path: Path) -> None:
    with Ledger.open(f"sqlite:///{path}"):
        pass
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO ledger_schema_version VALUES (?, 'from the future', '2030-01-01')",
            (LATEST_VERSION + 1,),
        )
    before = versions(path)
    with pytest.raises(SchemaTooNew) as refused:
        Ledger.open(f"sqlite:///{path}")
    assert str(refused.value) == (
        f"the ledger database has schema version {LATEST_VERSION + 1}, but this mapper knows "
        f"versions up to {LATEST_VERSION}; upgrade mapper (the database was not changed)"
    )
    assert isinstance(refused.value, MapperError)
    assert versions(path) == before


def _add_notes(connection: Connection) -> None:
    notes = Table("ledger_notes", MetaData(), Column("id", Integer(), primary_key=True))
    notes.create(connection)


def _add_tags_then_fail(connection: Connection) -> None:
    tags = Table("ledger_tags", MetaData(), Column("id", Integer(), primary_key=True))
    tags.create(connection)
    connection.execute(text("ALTER TABLE no_such_table ADD COLUMN x INTEGER"))


def test_pending_steps_run_in_order_once(engine: Engine) -> None:
    assert current_version(engine) == 0
    n = LATEST_VERSION
    assert migrate(engine) == n
    applied: list[int] = []

    def step(version: int) -> Migration:
        return Migration(version, f"step {version}", lambda c: applied.append(version))

    steps = [*MIGRATIONS, Migration(n + 1, "notes", _add_notes), step(n + 2), step(n + 3)]
    assert migrate(engine, steps) == n + 3
    assert applied == [n + 2, n + 3]
    assert "ledger_notes" in table_names(engine)
    assert migrate(engine, steps) == n + 3
    assert applied == [n + 2, n + 3]
    assert [v for v, _ in versions(engine)] == list(range(1, n + 4))


def test_a_failing_step_leaves_the_database_as_it_was(engine: Engine) -> None:
    migrate(engine)
    n = LATEST_VERSION
    steps = [
        *MIGRATIONS,
        Migration(n + 1, "notes", _add_notes),
        Migration(n + 2, "tags", _add_tags_then_fail),
    ]
    failed = rf"migration {n + 2} \(tags\) failed: .*left at version {n}"
    with pytest.raises(MigrationFailed, match=failed):
        migrate(engine, steps)
    # Steps 2 and 3 ran in the same transaction: the DDL of both was rolled back.
    assert "ledger_notes" not in table_names(engine)
    assert "ledger_tags" not in table_names(engine)
    assert current_version(engine) == n


def test_migration_steps_must_be_numbered_in_order(engine: Engine) -> None:
    with pytest.raises(ValueError, match="must run 1..2 in order"):
        migrate(engine, [MIGRATIONS[0], Migration(3, "gap", _add_notes)])


def test_a_foreign_table_of_the_same_name_is_not_adopted(path: Path) -> None:
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE ledger_orders (anything TEXT)")
    with pytest.raises(LedgerDamaged) as refused:
        Ledger.open(f"sqlite:///{path}")
    assert str(refused.value).startswith(
        f"the ledger {str(path)!r} is damaged or is not a mapper ledger (it has ledger tables but "
        "no record of their schema version); mapper stopped without writing to it."
    )
    assert "ledger_schema_version" not in table_names(path)


def test_tables_py_matches_the_migrated_database(engine: Engine) -> None:
    migrate(engine)
    inspector = inspect(engine)
    for table in tables.metadata.sorted_tables:
        found = {column["name"]: column for column in inspector.get_columns(table.name)}
        assert list(found) == [column.name for column in table.columns], table.name
        for column in table.columns:
            assert found[column.name]["nullable"] == column.nullable, (table.name, column.name)
        primary = inspector.get_pk_constraint(table.name)["constrained_columns"]
        assert primary == [column.name for column in table.primary_key.columns]
        indexes = {
            index["name"]: index["column_names"] for index in inspector.get_indexes(table.name)
        }
        assert indexes == {index.name: [c.name for c in index.columns] for index in table.indexes}
        checks = {check["name"] for check in inspector.get_check_constraints(table.name)}
        assert checks == {
            constraint.name
            for constraint in table.constraints
            if constraint.__class__.__name__ == "CheckConstraint"
        }


def test_no_column_holds_order_contents(engine: Engine) -> None:
    """The manuals promise only number and date are kept of an order: exactly these columns."""
    migrate(engine)
    inspector = inspect(engine)
    columns = {
        name: [c["name"] for c in inspector.get_columns(name)]
        for name in inspector.get_table_names()
    }
    assert columns == {
        "ledger_orders": [
            "shop",
            "order_id",
            "number",
            "order_date",
            "state",
            "previous_state",
            "reprocess_requested",
            "target_reference",
            "rule_version",
            "reason",
            "resolution",
            "attempts",
            "first_seen_at",
            "updated_at",
            "sent_at",
            "claimed_at",
            "claim_generation",
            # a failed order's checks and their rule file:line, never a value of the order
            "failed_check",
        ],
        "ledger_shops": [
            "shop",
            "fetch_cursor",
            "backfill_since",
            "backfill_until",
            "backfill_position",
            "updated_at",
            # the system failure last told to the shop's channels, and when (no order data)
            "failure_told",
            "failure_told_at",
        ],
        "ledger_shop_locks": [
            "shop", "owner", "token", "acquired_at", "expires_at", "generation"
        ],
        "ledger_schema_version": ["version", "description", "applied_at"],
        # The dashboard's accounts: the shop owner's own login, not a customer's.
        "ledger_users": ["email", "password_hash", "admin", "created_at", "updated_at"],
        "ledger_user_shops": ["email", "shop"],
        # Settings saved in the dashboard (configuration, not order data) and keys, encrypted.
        "ledger_settings_versions": [
            "shop", "version", "settings", "changed_by", "created_at", "note"
        ],
        "ledger_secrets": ["shop", "side", "name", "ciphertext", "set_by", "set_at"],
        # Tokens a connector renews itself (Exact Online's), encrypted.
        "ledger_connector_tokens": ["shop", "name", "ciphertext", "updated_at"],
        # VIES's verdicts of a day: a company's VAT number, never an order's or a customer's.
        "ledger_vies_checks": ["number", "day", "outcome", "checked_at"],
    }


def test_the_state_column_only_takes_known_states(engine: Engine) -> None:
    migrate(engine)
    with (
        pytest.raises(IntegrityError, match="CHECK constraint failed|violates check constraint"),
        engine.begin() as connection,
    ):
        connection.execute(
            text(
                "INSERT INTO ledger_orders (shop, order_id, number, order_date, state,"
                " reprocess_requested, attempts, first_seen_at, updated_at)"
                " VALUES ('s', '1', 'N', '2024-01-01', 'lost', FALSE, 0, '2024-01-01', '2024-01-01')"
            )
        )


# portability ---------------------------------------------------------------------------------


_LATER_COLUMNS = {
    "claimed_at", "claim_generation", "generation", "failed_check", "failure_told", "failure_told_at"
}  # migrations 2, 8, 9
_LATER_INDEXES = {"ix_ledger_orders_number"}  # migration 4


def test_the_schema_compiles_for_postgresql() -> None:
    statements: list[str] = []

    def record(sql: Any, *args: Any, **kwargs: Any) -> None:
        statements.append(str(sql.compile(dialect=mock.dialect)))

    mock = create_mock_engine("postgresql://", record)
    migrations._create_initial_schema(mock)  # type: ignore[arg-type]
    created = "\n".join(statements)
    initial = {"ledger_orders", "ledger_shops", "ledger_shop_locks"}
    assert "order_date TIMESTAMP WITH TIME ZONE NOT NULL" in created
    assert "reprocess_requested BOOLEAN NOT NULL" in created
    assert created.count("CREATE TABLE") == 3 and created.count("CREATE INDEX") == 3
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    for table in tables.metadata.sorted_tables:
        if table.name not in initial:
            continue
        # Columns added by later steps (ALTER TABLE) are not in the first CREATE TABLE.
        for column in table.columns:
            if column.name not in _LATER_COLUMNS:
                assert f"\t{column.name} {column.type.compile(dialect=dialect)}" in created
        for index in table.indexes:
            if index.name not in _LATER_INDEXES:
                assert str(CreateIndex(index).compile(dialect=dialect)) in created


# SQLite settings and errors ------------------------------------------------------------------


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(path: Path) -> None:
    engine = connect(parse_url(f"sqlite:///{path}"), busy_timeout=timedelta(seconds=7))
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA busy_timeout").scalar() == 7000
            assert pragma("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        engine.dispose()
    with sqlite3.connect(path) as raw:  # WAL is a property of the file, kept for every client
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_writer_waits_then_reports_a_busy_database(path: Path) -> None:
    with Ledger.open(f"sqlite:///{path}", busy_timeout=timedelta(milliseconds=50)) as ledger:
        blocker = sqlite3.connect(path, isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")
            with pytest.raises(LedgerUnavailable, match="unavailable: database is locked"):
                ledger.observe("shop", "1", "N1", ORDER_DATE, sendable=False)
            # Readers are not blocked by a writer in WAL mode.
            assert ledger.get_order("shop", "1") is None
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert ledger.observe("shop", "1", "N1", ORDER_DATE, sendable=False).number == "N1"


def test_an_unopenable_ledger_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(LedgerUnavailable, match="cannot create the folder"):
        Ledger.open(f"sqlite:///{tmp_path / 'a-file' / 'ledger.db'}")
    (tmp_path / "a-folder.db").mkdir()
    with pytest.raises(LedgerUnavailable, match="unable to open database file"):
        Ledger.open(f"sqlite:///{tmp_path / 'a-folder.db'}")


def test_passwords_never_show(tmp_path: Path) -> None:
    secret = "s3cret-pa55"
    assert secret not in safe_url(f"postgresql://mapper:{secret}@db.example/ledger")
    assert "***" in safe_url(f"postgresql://mapper:{secret}@db.example/ledger")
    for url in [
        f"postgresql://mapper:{secret}@db.example:notaport/ledger",
        f"nosuchdb://mapper:{secret}@db.example/ledger",
        f"postgresql://mapper:{secret}@db.invalid/ledger",  # no driver, or no such host
    ]:
        with pytest.raises(LedgerError) as refused:
            Ledger.open(url)
        assert secret not in str(refused.value)
        assert secret not in repr(refused.value)
    with Ledger.open(f"sqlite:///{tmp_path / 'l.db'}") as ledger:
        assert repr(ledger) == f"Ledger('sqlite:///{tmp_path / 'l.db'}')"


def test_ledger_errors_are_mapper_errors() -> None:
    assert issubclass(LedgerError, MapperError)
    assert issubclass(ShopLocked, LedgerError)


def test_orders_are_indexed_by_number_after_the_migrations(path: Path) -> None:
    """`reprocess N201` and the dashboard's search find an order without reading the shop."""
    with Ledger.open(f"sqlite:///{path}"):
        pass
    engine = connect(parse_url(f"sqlite:///{path}"), busy_timeout=timedelta(seconds=1))
    try:
        indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("ledger_orders")}
    finally:
        engine.dispose()
    assert indexes["ix_ledger_orders_number"] == ["shop", "number"]
