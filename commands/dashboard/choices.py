"""The drop-downs of the Configuration form: what the accounting system lists (Yuki: its active
VAT codes), asked through the target's `setting_choices` where it has one.

The answer is kept for a few minutes per shop, so opening the tab does not call the accounting
system every time. A system that cannot be reached gives no lists and a line saying so: the
fields are then text fields, and the form still works.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ...connectors.errors import ConnectorError
from ...engine.errors import MapperError
from ...engine.ledger import Ledger
from ...engine.mapping import Pair
from ...engine.sync.check import CHECK_RETRY
from ...engine.sync.config import ShopConfig, with_stored
from ...engine.sync.systems import open_target

ChoiceList = dict[str, list[tuple[str, str]]]
ChoiceSource = Callable[[ShopConfig, Ledger], tuple[ChoiceList, str]]
KEEP_SECONDS = 300.0


def target_choices(config: ShopConfig, ledger: Ledger) -> tuple[ChoiceList, str]:
    """(the lists, a note for the page) from the shop's accounting system."""
    try:
        shop = with_stored(config, ledger)
        pair = Pair.load(shop.mapping, shop.settings, f"shop {shop.name} settings")
        target = open_target(shop, pair, CHECK_RETRY, ledger)
    except MapperError as error:
        return {}, f"The lists of the accounting system could not be read: {error}"
    try:
        ask = getattr(target, "setting_choices", None)
        if ask is None:
            return {}, ""
        found: ChoiceList = ask()
        return found, ""
    except ConnectorError as error:
        return {}, f"The lists of the accounting system could not be read: {error.message}"
    finally:
        target.close()


@dataclass
class CachedChoices:
    """`source` asked at most once per KEEP_SECONDS per shop."""

    source: ChoiceSource = target_choices
    keep: float = KEEP_SECONDS
    _found: dict[str, tuple[float, ChoiceList, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, config: ShopConfig, ledger: Ledger) -> tuple[ChoiceList, str]:
        now = time.monotonic()
        with self._lock:
            kept = self._found.get(config.name)
        if kept is not None and now - kept[0] < self.keep:
            return kept[1], kept[2]
        lists, note = self.source(config, ledger)
        if not note:  # a failure is asked again next time
            with self._lock:
                self._found[config.name] = (now, lists, note)
        return lists, note

    def forget(self, shop: str) -> None:
        """After new keys are stored: the next page asks again."""
        with self._lock:
            self._found.pop(shop, None)
