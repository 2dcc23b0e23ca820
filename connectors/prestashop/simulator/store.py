"""The simulator's tables: rows held as objects, or rebuilt on demand from generated batches.

A `Table` answers what a query needs — the ids in order, one row, one field of a row, rows by
an equality lookup, and rows ordered by an indexed field — without building every row: generated
orders live in an `OrderBatch` and only the page being answered is built. A row `put` into a table
overrides the generated one with the same id (that is how an order changes state).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from .catalog import JsonObject
from .data import OrderBatch
from .resources import ResourceSpec


class RowSource(Protocol):
    """Rows a table does not hold itself (a generated batch)."""

    def contains(self, row_id: int) -> bool: ...

    def exists(self, row_id: int) -> bool: ...

    def existing_ids(self) -> Iterable[int]: ...

    def get(self, row_id: int) -> JsonObject | None: ...

    def light_value(self, row_id: int, field: str) -> str | None: ...

    def lookup(self, field: str, value: str) -> list[int] | None: ...


class Table:
    """One resource's rows, by id."""

    def __init__(self, spec: ResourceSpec, *, indexed: Sequence[str] = ()) -> None:
        self.spec = spec
        self._rows: dict[int, JsonObject] = {}
        self._sources: list[RowSource] = []
        self._ranges: list[range] = []
        self._indexed = tuple(indexed)
        self._indexes: dict[str, list[tuple[str, int]]] = {}
        self._ids: list[int] | None = None
        self._lock = threading.RLock()

    # -- changing -------------------------------------------------------------------------
    def put(self, row: JsonObject) -> None:
        """Add `row`, or replace the row with its id (a generated one included)."""
        row_id = int(row["id"])
        with self._lock:
            exists = self.get(row_id) is not None
            for field in self._indexed:
                index = self._indexes.get(field)
                if index is None:
                    continue
                if exists:
                    old = (str(self.value(row_id, field)), row_id)
                    at = bisect.bisect_left(index, old)
                    if at < len(index) and index[at] == old:
                        del index[at]
                bisect.insort(index, (str(row.get(field, "")), row_id))
            self._rows[row_id] = row
            if not exists:
                self._ids = None

    def add_source(self, source: RowSource, ids: range) -> None:
        with self._lock:
            clash = any(i in ids for i in self._rows) or any(
                max(r.start, ids.start) < min(r.stop, ids.stop) for r in self._ranges
            )
            if clash:
                raise ValueError(
                    f"{self.spec.name}: ids {ids.start}–{ids.stop - 1} overlap ids already in use"
                )
            self._sources.append(source)
            self._ranges.append(ids)
            self._ids = None
            self._indexes.clear()

    # -- reading --------------------------------------------------------------------------
    def get(self, row_id: int) -> JsonObject | None:
        row = self._rows.get(row_id)
        if row is not None:
            return row
        for source in self._sources:
            if source.contains(row_id):
                return source.get(row_id)
        return None

    def ids(self) -> list[int]:
        """Every id, ascending."""
        with self._lock:
            if self._ids is None:
                ids = set(self._rows)
                for source in self._sources:
                    ids.update(source.existing_ids())
                self._ids = sorted(ids)
            return self._ids

    def exists(self, row_id: int) -> bool:
        """Whether row `row_id` exists, without building it."""
        if row_id in self._rows:
            return True
        return any(s.contains(row_id) and s.exists(row_id) for s in self._sources)

    def max_id(self) -> int:
        """The highest id in use or reserved by a generated batch (without listing them)."""
        return max([*self._rows, *(r.stop - 1 for r in self._ranges)], default=0)

    def value(self, row_id: int, field: str) -> Any:
        """One field of one row (None when the row or field does not exist)."""
        row = self._rows.get(row_id)
        if row is not None:
            return row["id"] if field == "id" else row.get(field)
        if field == "id":
            return row_id
        for source in self._sources:
            if source.contains(row_id):
                light = source.light_value(row_id, field)
                if light is not None:
                    return light
                full = source.get(row_id)
                return None if full is None else full.get(field)
        return None

    def lookup(self, field: str, values: Sequence[str]) -> list[int] | None:
        """Ids, ascending, among which are all rows whose `field` equals one of `values` (the
        caller still applies its filter) — or None when only a scan of every row can tell."""
        found: set[int] = set()
        for source in self._sources:
            for value in values:
                ids = source.lookup(field, value)
                if ids is None:
                    return None
                found.update(ids)
        found.update(self._rows)
        return sorted(found)

    def index(self, field: str) -> list[tuple[str, int]] | None:
        """(value, id) pairs of every row ordered by `field` then id, if `field` is indexed."""
        if field not in self._indexed:
            return None
        with self._lock:
            index = self._indexes.get(field)
            if index is None:
                index = sorted((str(self.value(i, field)), i) for i in self.ids())
                self._indexes[field] = index
            return index


class BatchOrders:
    """The orders of a generated batch, as a table's row source."""

    def __init__(self, batch: OrderBatch) -> None:
        self.batch = batch

    def contains(self, row_id: int) -> bool:
        return row_id in self.batch.order_ids

    def exists(self, row_id: int) -> bool:
        return self.contains(row_id)

    def existing_ids(self) -> Iterable[int]:
        return self.batch.order_ids

    def get(self, row_id: int) -> JsonObject | None:
        return self.batch.order(row_id)

    def light_value(self, row_id: int, field: str) -> str | None:
        return self.batch.light_value(row_id, field)

    def lookup(self, field: str, value: str) -> list[int] | None:
        return None


class BatchCustomers:
    def __init__(self, batch: OrderBatch) -> None:
        self.batch = batch

    def contains(self, row_id: int) -> bool:
        return row_id in self.batch.customer_ids

    def exists(self, row_id: int) -> bool:
        return self.contains(row_id)

    def existing_ids(self) -> Iterable[int]:
        return self.batch.customer_ids

    def get(self, row_id: int) -> JsonObject | None:
        return self.batch.customer(row_id)

    def light_value(self, row_id: int, field: str) -> str | None:
        return None

    def lookup(self, field: str, value: str) -> list[int] | None:
        return None


class BatchAddresses:
    def __init__(self, batch: OrderBatch) -> None:
        self.batch = batch

    def contains(self, row_id: int) -> bool:
        return row_id in self.batch.address_ids

    def exists(self, row_id: int) -> bool:
        return self.batch.address(row_id) is not None

    def existing_ids(self) -> Iterable[int]:
        for customer_id in self.batch.customer_ids:
            yield from self.batch.address_ids_of(customer_id)
        yield from self.batch.pickup_address_ids()

    def get(self, row_id: int) -> JsonObject | None:
        return self.batch.address(row_id)

    def light_value(self, row_id: int, field: str) -> str | None:
        if field != "id_customer":
            return None
        owner = self.batch.address_owner(row_id)
        return None if owner is None else str(owner)

    def lookup(self, field: str, value: str) -> list[int] | None:
        if field != "id_customer":
            return None
        if value.strip() == "0":
            return self.batch.pickup_address_ids()
        try:
            return self.batch.address_ids_of(int(value))
        except ValueError:
            return []
