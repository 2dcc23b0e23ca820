"""The ledger of the sync pipeline: per shop and order, where the order stands.

Open it with `Ledger.open("sqlite:///path/ledger.db")`; see `engine.ledger.ledger` for the API.
"""

from .errors import (
    InvalidTransition,
    LedgerDamaged,
    LedgerError,
    LedgerUnavailable,
    LockLost,
    MigrationFailed,
    NoLedger,
    SchemaTooNew,
    ShopLocked,
    UnknownOrder,
)
from .ledger import DEFAULT_BUSY_TIMEOUT, DEFAULT_LOCK_TTL, Ledger
from .locks import ShopLock
from .migrations import LATEST_VERSION
from .records import BackfillProgress, Claim, FailureTold, OrderRecord, OrderState

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "DEFAULT_LOCK_TTL",
    "LATEST_VERSION",
    "BackfillProgress",
    "Claim",
    "FailureTold",
    "InvalidTransition",
    "Ledger",
    "LedgerError",
    "LedgerDamaged",
    "LedgerUnavailable",
    "LockLost",
    "MigrationFailed",
    "NoLedger",
    "OrderRecord",
    "OrderState",
    "SchemaTooNew",
    "ShopLock",
    "ShopLocked",
    "UnknownOrder",
]
