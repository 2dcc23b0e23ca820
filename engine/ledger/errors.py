"""What the ledger reports when it cannot do what was asked.

Every message is one line a person can act on; none carries a database URL's password or order
contents (the ledger holds none).
"""

from __future__ import annotations

from datetime import datetime

from ..errors import MapperError


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


class LedgerError(MapperError):
    """Anything the ledger refuses or cannot do."""


class LedgerUnavailable(LedgerError):
    """The ledger database cannot be opened or stayed busy for longer than the busy timeout."""


class LedgerDamaged(LedgerError):
    """The ledger's file is damaged (truncated, overwritten) or is not a database at all."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        super().__init__(
            f"the ledger {where!r} is damaged or is not a mapper ledger ({reason}); mapper "
            "stopped without writing to it. Restore it from a backup, or move it aside: the next pass then starts a new "
            "ledger and first adopts what the accounting system already holds (see `mapper adopt`)"
        )


class NoLedger(LedgerError):
    """A read-only command was pointed at a place that holds no ledger; nothing was created."""

    def __init__(self, where: str) -> None:
        self.where = where
        super().__init__(
            f"no ledger at {where!r} (run `mapper sync` first, or check `ledger:` in mapper.yaml)"
        )


class SchemaTooNew(LedgerError):
    """The database was migrated by a newer mapper than this one; it is left untouched."""

    def __init__(self, found: int, supported: int) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            f"the ledger database has schema version {found}, but this mapper knows versions up to "
            f"{supported}; upgrade mapper (the database was not changed)"
        )


class MigrationFailed(LedgerError):
    """A schema migration step failed; the transaction was rolled back, nothing was changed."""


class UnknownOrder(LedgerError):
    """An order the ledger has never observed or claimed."""

    def __init__(self, shop: str, order_id: str) -> None:
        self.shop = shop
        self.order_id = order_id
        super().__init__(f"order {order_id} of shop {shop!r} is not in the ledger")


class InvalidTransition(LedgerError):
    """A state change the ledger refuses, e.g. marking an already sent order as failed."""

    def __init__(self, shop: str, order_id: str, state: str, action: str) -> None:
        self.shop = shop
        self.order_id = order_id
        self.state = state
        self.action = action
        super().__init__(f"order {order_id} of shop {shop!r} is {state}; cannot {action}")


class ShopLocked(LedgerError):
    """Another pass holds the shop's lock and its lease has not expired."""

    def __init__(self, shop: str, owner: str, since: datetime, expires_at: datetime) -> None:
        self.shop = shop
        self.owner = owner
        self.since = since
        self.expires_at = expires_at
        super().__init__(
            f"shop {shop!r} is locked by {owner!r} since {_when(since)} "
            f"(taken over after {_when(expires_at)} if not released)"
        )


class LockLost(LedgerError):
    """The lease ran out and another pass took the shop's lock over."""

    def __init__(self, shop: str, owner: str) -> None:
        self.shop = shop
        self.owner = owner
        super().__init__(
            f"the lock on shop {shop!r} held by {owner!r} expired "
            "and was taken over by another pass"
        )
