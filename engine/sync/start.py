"""Where a sync pass begins to fetch, and what `start:` in mapper.yaml does.

`start:` is where a shop's history in mapper begins: it is read by the shop's first pass
only, the one that finds no cursor in the ledger.

- First pass: orders changed since `start:` (00:00 UTC), or the last 7 days without it.
- While `start:` is still ahead (a go-live date), a pass fetches nothing and leaves no cursor:
  nothing before that date is ever invoiced by a sync pass.
- Every later pass: since the cursor (minus the overlap). The cursor is never moved back, so
  changing `start:` after the first pass changes nothing: a later date does not skip orders
  already fetched; an earlier date does not fetch the orders before the first pass (that
  would book a whole history by an edit of one line). Orders from before are loaded on
  purpose, with `mapper backfill --shop S --since DATE`.

The ledger does not keep the `start:` of the first pass, so a pass cannot tell an edited
`start:` from an unchanged one: the rule is said once here, in the README and in the
configuration schema, not on every pass.
"""

from __future__ import annotations

import datetime as dt

from .config import ShopConfig

DEFAULT_HISTORY = dt.timedelta(days=7)


def start_moment(start: dt.date) -> dt.datetime:
    """`start: 2026-01-01` as the moment it begins (UTC)."""
    return dt.datetime.combine(start, dt.time(), dt.UTC)


def pass_since(
    config: ShopConfig, cursor: dt.datetime | None, started: dt.datetime
) -> tuple[dt.datetime | None, str | None]:
    """(where this pass fetches from, a line for the pass's report). The moment is None
    when `start:` is still ahead: the pass fetches nothing and must not set a cursor."""
    if cursor is not None:
        return cursor - config.overlap, None
    if config.start is None:
        return started - DEFAULT_HISTORY, None
    since = start_moment(config.start)
    if since > started:
        return None, (
            f"start: {config.start.isoformat()} is still ahead: nothing is fetched before it, "
            "the first pass will begin there"
        )
    return since, None
