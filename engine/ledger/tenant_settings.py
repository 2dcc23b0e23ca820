"""Tenant settings saved in the dashboard, one version per save, never changed afterwards.

A version holds the dashboard's changes over the file's settings, one section per rule set
(`{"yuki": {"vat_codes": [...], "process": true}}`): what it leaves out keeps the value of the
settings file or mapper.yaml, so the file settings stay the defaults. Each version records who
saved it, when, and a short note ("saved", "VAT settings reset"); the newest is what the next
pass uses (engine/sync/config.py `with_stored`). Settings are configuration, not order data:
no customer data is ever kept here.

A save names the version it was based on: when someone else saved meanwhile, it is refused
(`SettingsConflict`) rather than silently undoing their change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from .database import reading, writing
from .errors import LedgerError
from .ledger import Ledger
from .tables import settings_versions
from .timestamps import Clock, utc_now

Sections = dict[str, dict[str, Any]]


class SettingsConflict(LedgerError):
    """Someone saved the shop's settings after the form being saved was opened."""


@dataclass(frozen=True)
class SettingsVersion:
    """One saved version of a shop's settings: the changes over the file's settings."""

    shop: str
    version: int
    settings: Sections
    changed_by: str
    created_at: datetime
    note: str


def _version(row: Any) -> SettingsVersion:
    data = json.loads(row.settings)
    return SettingsVersion(
        row.shop, int(row.version), data, row.changed_by, row.created_at, row.note
    )


class SettingsVersions:
    """The settings versions kept in a ledger's database."""

    def __init__(self, ledger: Ledger, *, clock: Clock = utc_now) -> None:
        # The ledger has already migrated its database, this table included.
        self._engine: Engine = ledger._engine
        self._clock = clock

    def newest(self, shop: str) -> SettingsVersion | None:
        """The version the next pass uses; None when the dashboard never saved any."""
        query = (
            select(settings_versions)
            .where(settings_versions.c.shop == shop)
            .order_by(settings_versions.c.version.desc())
            .limit(1)
        )
        with reading(self._engine) as connection:
            row = connection.execute(query).first()
        return _version(row) if row is not None else None

    def get(self, shop: str, version: int) -> SettingsVersion | None:
        query = select(settings_versions).where(
            settings_versions.c.shop == shop, settings_versions.c.version == version
        )
        with reading(self._engine) as connection:
            row = connection.execute(query).first()
        return _version(row) if row is not None else None

    def history(self, shop: str, limit: int = 20) -> list[SettingsVersion]:
        """The newest `limit` versions, newest first."""
        query = (
            select(settings_versions)
            .where(settings_versions.c.shop == shop)
            .order_by(settings_versions.c.version.desc())
            .limit(limit)
        )
        with reading(self._engine) as connection:
            return [_version(row) for row in connection.execute(query)]

    def save(
        self, shop: str, settings: Sections, changed_by: str, note: str, *, based_on: int
    ) -> SettingsVersion:
        """Store `settings` as the version after `based_on` (0: the file's settings alone).
        SettingsConflict when another version was saved since."""
        text = json.dumps(settings, ensure_ascii=False)
        now = self._clock()
        try:
            with writing(self._engine) as connection:
                found = connection.execute(
                    select(func.max(settings_versions.c.version)).where(
                        settings_versions.c.shop == shop
                    )
                ).scalar()
                newest = int(found or 0)
                if newest != based_on:
                    raise SettingsConflict(_conflict(shop, newest))
                connection.execute(
                    insert(settings_versions).values(
                        shop=shop,
                        version=newest + 1,
                        settings=text,
                        changed_by=changed_by,
                        created_at=now,
                        note=note,
                    )
                )
        except IntegrityError:  # two saves at once (PostgreSQL): the other one won
            raise SettingsConflict(_conflict(shop, based_on + 1)) from None
        return SettingsVersion(shop, based_on + 1, json.loads(text), changed_by, now, note)


def _conflict(shop: str, newest: int) -> str:
    return (
        f"the settings of shop {shop} were saved by someone else meanwhile (version {newest}): "
        "reload the page and make the change again"
    )


def newest_settings(ledger: Ledger, shop: str) -> Sections:
    """The changes of the newest version, or {} when the dashboard saved none."""
    found = SettingsVersions(ledger).newest(shop)
    return found.settings if found is not None else {}
