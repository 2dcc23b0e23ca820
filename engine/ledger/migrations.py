"""Schema migrations: ordered steps applied on open, recorded in `ledger_schema_version`.

Each step is frozen once released: it builds the schema as it was at its version, never from
`tables.py` (which follows the newest version), so an old database always takes the same path.
All pending steps run in one transaction: either the database reaches the newest version or it is
left as it was. A database at a version newer than any step here is refused untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DatabaseError

from .database import ledger_place, reading, writing
from .errors import LedgerDamaged, MigrationFailed, SchemaTooNew
from .timestamps import Clock, UtcDateTime, utc_now

# Any constant works; it only has to be the same in every process migrating the same database.
_POSTGRES_MIGRATION_LOCK = 0x6D617070  # "mapp"

_version_metadata = MetaData()
schema_version = Table(
    "ledger_schema_version",
    _version_metadata,
    Column("version", Integer(), primary_key=True, autoincrement=False),
    Column("description", String(200), nullable=False),
    Column("applied_at", UtcDateTime(), nullable=False),
)


@dataclass(frozen=True)
class Migration:
    """One step from `version - 1` to `version`."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _create_initial_schema(connection: Connection) -> None:
    snapshot = MetaData()
    orders = Table(
        "ledger_orders",
        snapshot,
        Column("shop", String(100), primary_key=True),
        Column("order_id", String(100), primary_key=True),
        Column("number", String(100), nullable=False),
        Column("order_date", UtcDateTime(), nullable=False),
        Column("state", String(16), nullable=False),
        Column("previous_state", String(16), nullable=True),
        Column("reprocess_requested", Boolean(), nullable=False),
        Column("target_reference", String(200), nullable=True),
        Column("rule_version", String(100), nullable=True),
        Column("reason", Text(), nullable=True),
        Column("resolution", Text(), nullable=True),
        Column("attempts", Integer(), nullable=False),
        Column("first_seen_at", UtcDateTime(), nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
        Column("sent_at", UtcDateTime(), nullable=True),
        CheckConstraint(
            "state IN ('open', 'sending', 'sent', 'failed', 'skipped')",
            name="ck_ledger_orders_state",
        ),
        CheckConstraint(
            "previous_state IS NULL OR previous_state IN ('open', 'failed')",
            name="ck_ledger_orders_previous_state",
        ),
        CheckConstraint("attempts >= 0", name="ck_ledger_orders_attempts"),
    )
    Index(
        "ix_ledger_orders_listing",
        orders.c.shop,
        orders.c.state,
        orders.c.updated_at,
        orders.c.order_id,
    )
    Index("ix_ledger_orders_state_ids", orders.c.shop, orders.c.state, orders.c.order_id)
    Index("ix_ledger_orders_recent", orders.c.updated_at, orders.c.shop, orders.c.order_id)
    Table(
        "ledger_shops",
        snapshot,
        Column("shop", String(100), primary_key=True),
        Column("fetch_cursor", UtcDateTime(), nullable=True),
        Column("backfill_since", UtcDateTime(), nullable=True),
        Column("backfill_until", UtcDateTime(), nullable=True),
        Column("backfill_position", UtcDateTime(), nullable=True),
        Column("updated_at", UtcDateTime(), nullable=False),
    )
    Table(
        "ledger_shop_locks",
        snapshot,
        Column("shop", String(100), primary_key=True),
        Column("owner", String(200), nullable=False),
        Column("token", String(64), nullable=False),
        Column("acquired_at", UtcDateTime(), nullable=False),
        Column("expires_at", UtcDateTime(), nullable=False),
    )
    # checkfirst=False: a leftover table of the same name is an error, not something to adopt.
    snapshot.create_all(connection, checkfirst=False)


def _add_fencing_and_claim_times(connection: Connection) -> None:
    """Version 2: each shop lock carries a generation (the fencing token, one more on every
    acquisition or takeover); each order keeps when it was claimed by the database's clock and
    under which lock generation, so the settle time after a post without an answer is measured
    on one clock whatever the workers' clocks say."""
    connection.execute(
        text("ALTER TABLE ledger_shop_locks ADD COLUMN generation INTEGER NOT NULL DEFAULT 0")
    )
    timestamp = "TIMESTAMP WITH TIME ZONE" if connection.dialect.name == "postgresql" else "DATETIME"
    connection.execute(text(f"ALTER TABLE ledger_orders ADD COLUMN claimed_at {timestamp}"))
    connection.execute(text("ALTER TABLE ledger_orders ADD COLUMN claim_generation INTEGER"))


def _create_dashboard_accounts(connection: Connection) -> None:
    snapshot = MetaData()
    Table(
        "ledger_users",
        snapshot,
        Column("email", String(254), primary_key=True),
        Column("password_hash", String(200), nullable=False),
        Column("admin", Boolean(), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
    )
    Table(
        "ledger_user_shops",
        snapshot,
        Column("email", String(254), primary_key=True),
        Column("shop", String(100), primary_key=True),
    )
    snapshot.create_all(connection, checkfirst=False)


def _index_order_numbers(connection: Connection) -> None:
    """Version 4: orders found by their number (`reprocess N201`, the dashboard's search)
    without reading the whole shop."""
    connection.execute(
        text("CREATE INDEX ix_ledger_orders_number ON ledger_orders (shop, number)")
    )


def _create_settings_versions_and_secrets(connection: Connection) -> None:
    """Tenant settings saved in the dashboard (one row per version: who, when,
    what) and the keys entered there, encrypted."""
    snapshot = MetaData()
    Table(
        "ledger_settings_versions",
        snapshot,
        Column("shop", String(100), primary_key=True),
        Column("version", Integer(), primary_key=True, autoincrement=False),
        Column("settings", Text(), nullable=False),
        Column("changed_by", String(254), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("note", String(200), nullable=False),
    )
    Table(
        "ledger_secrets",
        snapshot,
        Column("shop", String(100), primary_key=True),
        Column("side", String(16), primary_key=True),
        Column("name", String(100), primary_key=True),
        Column("ciphertext", Text(), nullable=False),
        Column("set_by", String(254), nullable=False),
        Column("set_at", UtcDateTime(), nullable=False),
    )
    snapshot.create_all(connection, checkfirst=False)


def _create_connector_tokens(connection: Connection) -> None:
    """Tokens a connector renews itself (Exact Online's rotating OAuth refresh token), kept
    encrypted so every pass and worker continues the same chain."""
    snapshot = MetaData()
    Table(
        "ledger_connector_tokens",
        snapshot,
        Column("shop", String(100), primary_key=True),
        Column("name", String(100), primary_key=True),
        Column("ciphertext", Text(), nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
    )
    snapshot.create_all(connection, checkfirst=False)


def _create_vies_checks(connection: Connection) -> None:
    """VIES's verdicts per VAT number per day (valid or invalid only; an outage is never
    kept), so every pass and process of the day asks VIES once per number."""
    snapshot = MetaData()
    Table(
        "ledger_vies_checks",
        snapshot,
        Column("number", String(20), primary_key=True),
        Column("day", Date(), primary_key=True),
        Column("outcome", String(8), nullable=False),
        Column("checked_at", UtcDateTime(), nullable=False),
        CheckConstraint("outcome IN ('valid', 'invalid')", name="ck_ledger_vies_checks_outcome"),
    )
    snapshot.create_all(connection, checkfirst=False)


def _add_failed_checks(connection: Connection) -> None:
    """Version 8: a failed order's checks and their rule file:line (`vat_code @
    mappings/yuki/mapping.yaml:170`), for the dashboard's More info; never an order's value."""
    connection.execute(text("ALTER TABLE ledger_orders ADD COLUMN failed_check TEXT"))


def _add_failure_told(connection: Connection) -> None:
    """Version 9: the system failure last told to a shop's notification channels, and when, so
    one that goes on is told once (and once a day), not after every job it stops."""
    timestamp = "TIMESTAMP WITH TIME ZONE" if connection.dialect.name == "postgresql" else "DATETIME"
    connection.execute(text("ALTER TABLE ledger_shops ADD COLUMN failure_told TEXT"))
    connection.execute(text(f"ALTER TABLE ledger_shops ADD COLUMN failure_told_at {timestamp}"))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "orders, shop cursors and backfill progress, shop locks", _create_initial_schema),
    Migration(2, "lock generations (fencing) and claim times", _add_fencing_and_claim_times),
    Migration(3, "dashboard accounts and their shops", _create_dashboard_accounts),
    Migration(4, "orders by number", _index_order_numbers),
    Migration(5, "dashboard settings versions and stored keys", _create_settings_versions_and_secrets),
    Migration(6, "connector tokens (rotating OAuth tokens, encrypted)", _create_connector_tokens),
    Migration(7, "VIES verdicts per VAT number per day", _create_vies_checks),
    Migration(8, "the checks that turned a failed order away", _add_failed_checks),
    Migration(9, "the system failure last told to a shop", _add_failure_told),
)

LATEST_VERSION = MIGRATIONS[-1].version


def _check_sequence(steps: Sequence[Migration]) -> None:
    expected = list(range(1, len(steps) + 1))
    if [step.version for step in steps] != expected:
        raise ValueError(f"migration versions must run 1..{len(steps)} in order")


def _current(connection: Connection) -> int:
    version = connection.execute(select(func.max(schema_version.c.version))).scalar()
    return int(version or 0)


def _has_ledger_tables(connection: Connection) -> bool:
    names = set(connection.dialect.get_table_names(connection))
    return bool(names & {"ledger_orders", "ledger_shops", "ledger_shop_locks"})


def current_version(engine: Engine) -> int:
    """The schema version of the database: 0 when the ledger was never created there."""
    with reading(engine) as connection:
        if not engine.dialect.has_table(connection, schema_version.name):
            return 0
        return _current(connection)


def migrate(
    engine: Engine, steps: Sequence[Migration] = MIGRATIONS, *, clock: Clock = utc_now
) -> int:
    """Bring the database to the newest version of `steps`; return the version it is at."""
    _check_sequence(steps)
    latest = steps[-1].version if steps else 0
    with writing(engine) as connection:
        if connection.dialect.name == "postgresql":
            # Two workers opening a fresh database at once would both try to create the tables.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRES_MIGRATION_LOCK}
            )
        schema_version.create(connection, checkfirst=True)
        found = _current(connection)
        if found > latest:
            raise SchemaTooNew(found, latest)
        if found == 0 and _has_ledger_tables(connection):
            # Ledger tables without the record of their version: a damaged or half-restored
            # file, or another program's database. Building on it would fail half-way.
            raise LedgerDamaged(
                ledger_place(engine), "it has ledger tables but no record of their schema version"
            )
        for step in steps[found:]:
            try:
                step.apply(connection)
            except DatabaseError as exc:
                raise MigrationFailed(
                    f"ledger schema migration {step.version} ({step.description}) failed: "
                    f"{exc.orig}; the database was left at version {found}"
                ) from exc
            connection.execute(
                insert(schema_version).values(
                    version=step.version, description=step.description, applied_at=clock()
                )
            )
        return max(found, latest)
