"""`mapper demo --shop S --target T` runs any shop into any accounting system, as a person runs
it: real simulators over sockets, exit 0, the three lists printed, and every order the shop
paid booked once in the target — never a credential on the screen."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from mapper.connectors.factuursturen.simulator import DEMO_API_KEY
from mapper.connectors.lightspeed.simulator import DEMO_KEY as LIGHTSPEED_KEY
from mapper.connectors.lightspeed.simulator import DEMO_SECRET as LIGHTSPEED_SECRET
from mapper.connectors.moneybird.simulator import DEMO_TOKEN as MONEYBIRD_TOKEN
from mapper.connectors.shopify.simulator import DEMO_TOKEN as SHOPIFY_TOKEN
from mapper.connectors.woocommerce.simulator import DEMO_KEY as WOO_KEY
from mapper.connectors.woocommerce.simulator import DEMO_SECRET as WOO_SECRET

PAIRS = {
    ("woocommerce", "factuursturen"): (WOO_KEY, WOO_SECRET, DEMO_API_KEY),
    ("shopify", "moneybird"): (SHOPIFY_TOKEN, MONEYBIRD_TOKEN),
    ("lightspeed", "peppol"): (LIGHTSPEED_KEY, LIGHTSPEED_SECRET),
}
SENT = re.compile(r"demo-shop: (?:sync|recheck): \d+ orders seen, (\d+) sent, (\d+) to Errors")


def _mapper(cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from mapper.cli import main; main()", *args],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_each_pair_books_every_paid_order_once_and_fills_the_three_lists(tmp_path: Path) -> None:
    # The three demos at once (each waits on its own simulators, not on the others).
    running = {
        pair: _mapper(tmp_path, "demo", "--shop", pair[0], "--target", pair[1]) for pair in PAIRS
    }
    results = {pair: process.communicate(timeout=120) for pair, process in running.items()}
    for (shop, target), (stdout, stderr) in results.items():
        pair = f"{shop} → {target}"
        assert running[(shop, target)].returncode == 0, (pair, stderr[-400:])
        assert "Traceback" not in stderr, pair
        for secret in PAIRS[(shop, target)]:
            assert secret not in stdout and secret not in stderr, f"{pair}: a credential shown"
        lines = stdout.splitlines()
        assert lines[0].startswith("mapper demo: "), pair
        titles = [line.split(" — ")[0] for line in lines if re.match(r"^[A-Z][a-z]+ — ", line)]
        assert titles == ["Reporting", "Errors", "Open"], (pair, titles)
        passes = [found for line in lines if (found := SENT.search(line))]
        assert len(passes) == 3, pair  # the pass, the second pass, the re-check
        sent = sum(int(found.group(1)) for found in passes)
        assert int(passes[1].group(1)) == 0, pair  # the second pass sends nothing again
        assert sent > 0 and int(passes[0].group(2)) > 0, pair  # booked, and some in Errors
        reporting = next(line for line in lines if line.startswith("Reporting — "))
        listed = re.search(r"\((?:showing \d+ of )?(\d+)\)$", reporting)
        assert listed and int(listed.group(1)) == sent, (pair, reporting)
        # the target holds exactly one document per order sent: none twice, none lost
        received = re.search(r"received (\d+) (?:invoices|documents)", lines[-1])
        assert received and int(received.group(1)) == sent, (pair, lines[-1])


def test_an_unknown_shop_or_target_is_one_line_naming_the_known_ones(tmp_path: Path) -> None:
    shop = _mapper(tmp_path, "demo", "--shop", "magento")
    target = _mapper(tmp_path, "demo", "--target", "sap")
    (shop_out, shop_err), (target_out, target_err) = shop.communicate(timeout=60), target.communicate(timeout=60)
    assert (shop.returncode, shop_out) == (2, "")
    assert shop_err == (
        "mapper: unknown --shop 'magento' (known: lightspeed, prestashop, shopify, woocommerce)\n"
    )
    assert (target.returncode, target_out) == (2, "")
    assert target_err.startswith("mapper: unknown --target 'sap' (known: ")
    assert "factuursturen, moneybird, peppol" in target_err and target_err.count("\n") == 1
