"""Opening the ledger database and running short transactions on it, portably.

SQLite is the default: one file shared by a scheduler and CLI runs, so it is put in WAL mode
(readers never block the writer) with a busy timeout (a writer waits for the other instead of
failing), and every writing transaction starts with `BEGIN IMMEDIATE` so it holds the write
lock from its first statement and a read-then-write inside it cannot be overtaken. Everything
SQLite-specific is in this module and only applied when the URL is a SQLite one; other databases
get plain transactions and rely on the conditional UPDATEs and primary keys the ledger's
statements are built on.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, create_engine, event, insert
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
)

from .errors import LedgerDamaged, LedgerUnavailable, NoLedger

_READ_ONLY = "mapper_ledger_read_only"


def parse_url(url: str) -> URL:
    """The database URL; a bare path (no `scheme://`) means a SQLite file at that path."""
    if "://" not in url:
        return make_url(f"sqlite:///{url}")
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        # The text may hold a password: say what is wrong without echoing it.
        raise LedgerUnavailable("the ledger URL is not a valid database URL") from None


def safe_url(url: URL | str) -> str:
    """The URL as it may be shown to a person: the password masked."""
    parsed = url if isinstance(url, URL) else parse_url(url)
    return parsed.render_as_string(hide_password=True)


def is_sqlite_file(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite ledger URL (None for other databases, memory and `file:` URIs)."""
    if is_sqlite_file(url) and url.database and not url.database.startswith("file:"):
        return Path(url.database)
    return None


def connect(url: URL, *, busy_timeout: timedelta, create: bool = True) -> Engine:
    """An Engine for the ledger at `url`, set up for sharing between processes.

    `create=False` (read-only commands): a SQLite file that does not exist is refused with
    `NoLedger`, and neither it nor its folder is created.
    """
    path = sqlite_path(url)
    if path is not None and not create and not path.is_file():
        raise NoLedger(str(path))
    if path is not None and create:
        folder = path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LedgerUnavailable(
                f"cannot create the folder {str(folder)!r} for the ledger: {exc.strerror}"
            ) from exc
    try:
        engine = create_engine(url)
    except (NoSuchModuleError, ModuleNotFoundError, ImportError) as exc:
        raise LedgerUnavailable(
            f"no database driver for {url.get_backend_name()!r} ledgers is installed ({exc})"
        ) from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, busy_timeout, wal=create)
    elif engine.dialect.name == "postgresql":
        _configure_postgresql(engine, busy_timeout)
    return engine


def _configure_postgresql(engine: Engine, busy_timeout: timedelta) -> None:
    """`lock_timeout` = the busy timeout: a statement waiting for a row another transaction holds
    (a worker hung mid-transaction) fails after that long, as on SQLite, instead of for ever.
    Added to the connection's `options`, keeping any the URL gives (e.g. a search_path)."""
    milliseconds = max(1, int(busy_timeout.total_seconds() * 1000))

    @event.listens_for(engine, "do_connect")
    def _on_connect(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        options = str(params.get("options") or "")
        params["options"] = f"{options} -c lock_timeout={milliseconds}".strip()


def _configure_sqlite(engine: Engine, busy_timeout: timedelta, *, wal: bool = True) -> None:
    """Busy timeout, durability and BEGIN IMMEDIATE on every connection; WAL mode unless
    `wal=False` (a read-only open: WAL is a lasting setting of a file mapper created, and an
    unrelated file is left unchanged)."""
    milliseconds = max(0, int(busy_timeout.total_seconds() * 1000))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit BEGIN is turned off; `_on_begin` emits the right one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {milliseconds}")
            if wal:
                _enter_wal(cursor, busy_timeout)
            # FULL: a committed claim survives a power cut, so an order that was posted is never
            # found unclaimed afterwards (NORMAL would only survive a process crash).
            cursor.execute("PRAGMA synchronous = FULL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(_READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _enter_wal(cursor: Any, busy_timeout: timedelta) -> None:
    """WAL mode for the file (a lasting setting: most connections find it set). Switching a
    new file to it takes a lock SQLite does not wait for — several processes opening a new
    ledger at once get "database is locked" — so the switch is tried again until the busy
    timeout has passed."""
    deadline = time.monotonic() + busy_timeout.total_seconds()
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One committed-or-rolled-back transaction that may write."""
    with _translated_errors(engine), engine.connect() as connection, connection.begin():
        yield connection


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """One read-only transaction: a consistent snapshot that never blocks a writer."""
    with _translated_errors(engine), engine.connect() as connection:
        connection.execution_options(**{_READ_ONLY: True})
        if connection.dialect.name == "postgresql":
            # READ COMMITTED would take a new snapshot per statement; a read-only REPEATABLE
            # READ transaction keeps one and never fails to serialise.
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with connection.begin():
            yield connection


@contextmanager
def _translated_errors(engine: Engine) -> Iterator[None]:
    """The driver's errors as one line a person can act on: busy or unreachable (retry later),
    a full disk, or a file that is damaged or no database at all (restore or move it aside)."""
    try:
        yield
    except OperationalError as exc:
        # `exc.orig` is the driver's one-line reason; the full text would add the SQL statement.
        reason = str(exc.orig)
        full = next((cause for cause in _causes(exc) if _is_full(cause)), None)
        if full is not None:
            raise LedgerUnavailable(
                f"the disk holding the ledger {ledger_place(engine)!r} is full "
                f"({getattr(full, 'orig', None) or full}): free some "
                "space, then run the pass again; what was not recorded was not sent"
            ) from exc
        if _is_damage(reason):
            raise LedgerDamaged(ledger_place(engine), reason) from exc
        raise LedgerUnavailable(f"the ledger database is unavailable: {reason}") from exc
    except DatabaseError as exc:
        # SQLite's "file is not a database" and "database disk image is malformed".
        raise LedgerDamaged(ledger_place(engine), str(exc.orig)) from exc


def _causes(error: BaseException) -> list[BaseException]:
    """`error` and what it happened while handling: after SQLITE_FULL, SQLite has rolled the
    transaction back itself, so the driver's last word is about a savepoint that is gone."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _is_full(error: BaseException) -> bool:
    text = str(error)
    return "disk is full" in text or "No space left" in text


def _is_damage(reason: str) -> bool:
    return any(sign in reason for sign in ("malformed", "not a database", "disk I/O error"))


def ledger_place(engine: Engine) -> str:
    """The ledger as a person finds it: the SQLite file, or the URL without its password."""
    path = sqlite_path(engine.url)
    return str(path) if path is not None else safe_url(engine.url)


def insert_if_absent(connection: Connection, table: Table, values: Mapping[str, Any]) -> bool:
    """Insert the row unless its primary key exists; True if this call inserted it.

    The savepoint keeps the surrounding transaction usable after a duplicate key, which
    PostgreSQL would otherwise abort; under SQLite's BEGIN IMMEDIATE no duplicate can appear
    between the caller's check and this insert, so the except branch is for other databases.
    """
    try:
        with connection.begin_nested():
            connection.execute(insert(table).values(**values))
    except IntegrityError:
        return False
    return True
