"""The accounts tables: made by their migration as accounts.py queries them; what they keep."""

from __future__ import annotations

from pathlib import Path

from mapper.engine.ledger import Ledger
from mapper.engine.ledger import accounts as accounts_module
from mapper.engine.ledger.accounts import Accounts
from mapper.engine.ledger.migrations import MIGRATIONS
from sqlalchemy import create_engine, inspect


def test_the_migration_makes_the_tables_accounts_py_queries(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with Ledger.open(url):
        pass
    assert "dashboard accounts and their shops" in [step.description for step in MIGRATIONS]
    inspector = inspect(create_engine(url))
    for table in accounts_module.metadata.sorted_tables:
        found = {column["name"]: column for column in inspector.get_columns(table.name)}
        assert list(found) == [column.name for column in table.columns], table.name
        for column in table.columns:
            assert found[column.name]["nullable"] == column.nullable, (table.name, column.name)
        primary = inspector.get_pk_constraint(table.name)["constrained_columns"]
        assert primary == [column.name for column in table.primary_key.columns]
    assert [c["name"] for c in inspector.get_columns("ledger_users")] == [
        "email",
        "password_hash",
        "admin",
        "created_at",
        "updated_at",
    ]


def test_adding_again_replaces_password_and_shops(tmp_path: Path) -> None:
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        accounts = Accounts(ledger)
        accounts.add("ann@example.com", "first password", ["alpha", "beta"])
        again = accounts.add("ANN@example.com ", "second password", ["beta"])
        assert again.shops == ("beta",)
        assert accounts.authenticate("ann@example.com", "first password") is None
        found = accounts.authenticate("Ann@Example.com", "second password")
        assert found is not None and found.shops == ("beta",)
        assert found.may_see("beta") and not found.may_see("alpha")
