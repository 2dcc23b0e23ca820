"""The ledger's tables as the code queries them: the schema after the newest migration.

The migrations in `migrations.py` build this schema step by step; a test checks that a migrated
database and these definitions agree. Table names carry a `ledger_` prefix so the ledger can live
in a PostgreSQL database shared with other software.

Only bookkeeping is kept, as the manuals promise: shop, order id, number and date, state, target
reference, rule-set version, why it failed and what to do, attempts and timestamps. No order
contents (customers, addresses, lines, amounts) ever reach these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from .timestamps import UtcDateTime

SHOP_LENGTH = 100
ORDER_ID_LENGTH = 100
STATE_CHECK = "state IN ('open', 'sending', 'sent', 'failed', 'skipped')"
PREVIOUS_STATE_CHECK = "previous_state IS NULL OR previous_state IN ('open', 'failed')"

metadata = MetaData()

orders = Table(
    "ledger_orders",
    metadata,
    Column("shop", String(SHOP_LENGTH), primary_key=True),
    Column("order_id", String(ORDER_ID_LENGTH), primary_key=True),
    Column("number", String(100), nullable=False),
    Column("order_date", UtcDateTime(), nullable=False),
    Column("state", String(16), nullable=False),
    # The state a claim came from, so `release` can put the order back where it was.
    Column("previous_state", String(16), nullable=True),
    Column("reprocess_requested", Boolean(), nullable=False, default=False),
    Column("target_reference", String(200), nullable=True),
    Column("rule_version", String(100), nullable=True),
    Column("reason", Text(), nullable=True),
    Column("resolution", Text(), nullable=True),
    Column("attempts", Integer(), nullable=False, default=0),
    Column("first_seen_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    # When the order was last claimed, by the database's clock, and under which lock generation.
    Column("claimed_at", UtcDateTime(), nullable=True),
    Column("claim_generation", Integer(), nullable=True),
    # A failed order's checks and where they are written: `vat_code @ mappings/yuki/...:170`.
    Column("failed_check", Text(), nullable=True),
    CheckConstraint(STATE_CHECK, name="ck_ledger_orders_state"),
    CheckConstraint(PREVIOUS_STATE_CHECK, name="ck_ledger_orders_previous_state"),
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
Index("ix_ledger_orders_number", orders.c.shop, orders.c.number)
# Lists across shops or states, newest first, without sorting the table for every page.
Index("ix_ledger_orders_recent", orders.c.updated_at, orders.c.shop, orders.c.order_id)

shops = Table(
    "ledger_shops",
    metadata,
    Column("shop", String(SHOP_LENGTH), primary_key=True),
    Column("fetch_cursor", UtcDateTime(), nullable=True),
    Column("backfill_since", UtcDateTime(), nullable=True),
    Column("backfill_until", UtcDateTime(), nullable=True),
    Column("backfill_position", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    # The system failure last told to the shop's notify: channels, and when (engine/notify).
    Column("failure_told", Text(), nullable=True),
    Column("failure_told_at", UtcDateTime(), nullable=True),
)

shop_locks = Table(
    "ledger_shop_locks",
    metadata,
    Column("shop", String(SHOP_LENGTH), primary_key=True),
    Column("owner", String(200), nullable=False),
    # Unique per acquisition: two passes that give the same owner name still tell their locks apart.
    Column("token", String(64), nullable=False),
    Column("acquired_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    # The fencing token: one more on every acquisition or takeover (see locks.py).
    Column("generation", Integer(), nullable=False, server_default="0"),
)

# Tenant settings saved in the dashboard: one row per version (who, when, what), never edited.
settings_versions = Table(
    "ledger_settings_versions",
    metadata,
    Column("shop", String(SHOP_LENGTH), primary_key=True),
    Column("version", Integer(), primary_key=True, autoincrement=False),
    # JSON: {rule set: {setting: value}}, the dashboard's changes over the file's settings.
    Column("settings", Text(), nullable=False),
    Column("changed_by", String(254), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("note", String(200), nullable=False),
)

# Keys entered in the dashboard, Fernet-encrypted with $MAPPER_SECRET_KEY (secret_store.py).
stored_secrets = Table(
    "ledger_secrets",
    metadata,
    Column("shop", String(SHOP_LENGTH), primary_key=True),
    Column("side", String(16), primary_key=True),  # source | target
    Column("name", String(100), primary_key=True),  # the section's key: key, access_key, ...
    Column("ciphertext", Text(), nullable=False),
    Column("set_by", String(254), nullable=False),
    Column("set_at", UtcDateTime(), nullable=False),
)

# Tokens a connector renews itself (Exact Online's rotating OAuth tokens), Fernet-encrypted
# with $MAPPER_SECRET_KEY (connector_tokens.py). An empty ciphertext: the row exists, no token.
connector_tokens = Table(
    "ledger_connector_tokens",
    metadata,
    Column("shop", String(SHOP_LENGTH), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("ciphertext", Text(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# VIES's verdict of a VAT number on a day (vies_cache.py): a company's VAT number, the day,
# valid or invalid, and when it was asked. Never "unverified": an outage is asked again.
vies_checks = Table(
    "ledger_vies_checks",
    metadata,
    Column("number", String(20), primary_key=True),
    Column("day", Date(), primary_key=True),
    Column("outcome", String(8), nullable=False),
    Column("checked_at", UtcDateTime(), nullable=False),
    CheckConstraint("outcome IN ('valid', 'invalid')", name="ck_ledger_vies_checks_outcome"),
)
