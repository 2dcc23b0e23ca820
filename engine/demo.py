"""`mapper demo`: the shipped sample orders through the real rule sets, shown as a table.

Until the sync pipeline lands this is a dry run: the PrestaShop sample orders (the fixtures of
mappings/prestashop-yuki) are mapped to Yuki sales invoices, nothing is sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from engine.compile import Rejection
from engine.errors import MappingError
from engine.mapping import Pair, Skipped
from engine.money import money, to_decimal
from engine.paths import mappings_dir
from engine.settings import load_settings_file

PAIR = "prestashop-yuki"


def run_demo(echo: Callable[[str], None]) -> None:
    fixtures = sorted((mappings_dir() / PAIR / "fixtures").glob("*.input.json"))
    echo(f"mapper demo: {len(fixtures)} PrestaShop sample orders → Yuki sales invoices (dry run)")
    echo("")
    header = f"{'order':>6}  {'number':<11} {'scheme':<8} {'total':>9} {'lines':>5}  result"
    echo(header)
    echo("-" * len(header))
    sent = turned_away = 0
    for path in fixtures:
        settings_file = path.with_name(path.name.replace(".input.json", ".settings.yaml"))
        settings = load_settings_file(settings_file) if settings_file.exists() else {}
        pair = Pair.load(PAIR, settings)
        document = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
        try:
            outcome = pair.map(document)
        except MappingError as error:
            echo(f"{'?':>6}  error: {error}")
            continue
        if isinstance(outcome, Skipped):
            echo(f"{outcome.order_id:>6}  {'':<11} {'':<8} {'':>9} {'':>5}  open: {outcome.reason}")
            continue
        if isinstance(outcome, Rejection):
            turned_away += 1
            order = document["order"]
            reason = outcome.failures[0]
            echo(
                f"{order['id']:>6}  {order['reference']:<11} {'':<8} {'':>9} {'':>5}  "
                f"turned away: {reason.check}: {reason.message[:70]}"
            )
            continue
        sent += 1
        canonical = outcome.canonical
        lines = outcome.body["InvoiceLines"]["InvoiceLine"]
        total = sum(
            (
                money(
                    to_decimal(line["ProductQuantity"]) * to_decimal(line["Product"]["SalesPrice"])
                )
                for line in lines
            ),
            Decimal("0.00"),
        )
        echo(
            f"{outcome.order_id:>6}  {outcome.order_number:<11} {canonical['vat_scheme']:<8} "
            f"{total:>9} {len(lines):>5}  invoice ({'processed' if outcome.body['Process'] else 'concept'})"
        )
    echo("")
    echo(f"{sent} invoices made, {turned_away} orders turned away by checks (with their reasons).")
    echo(
        f"Try: mapper dry-run mappings/{PAIR}/fixtures/01_domestic_two_rates_discount.input.json "
        f"--mapping {PAIR} --explain"
    )
