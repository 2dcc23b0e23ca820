"""The suite-wide guard that no output of any test holds a secret.

Every credential the tests hand to mapper — the simulators' demo keys, the tests' own made-up
keys and passwords — is listed here. After each test, whatever it printed, logged, or got back
from a process it ran (`subprocess.run`, which most command tests use) is searched for them; a
test whose output holds one fails, naming the test and where the secret showed (never the
secret itself).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from mapper.connectors.exact.simulator import DEMO_CLIENT_SECRET as EXACT_CLIENT_SECRET
from mapper.connectors.exact.simulator import DEMO_REFRESH_TOKEN as EXACT_REFRESH_TOKEN
from mapper.connectors.exact.simulator import ISSUED_PREFIX as EXACT_ISSUED_TOKENS
from mapper.connectors.factuursturen.simulator import DEMO_API_KEY as FACTUURSTUREN_KEY
from mapper.connectors.lightspeed.simulator import DEMO_KEY as LIGHTSPEED_KEY
from mapper.connectors.lightspeed.simulator import DEMO_SECRET as LIGHTSPEED_SECRET
from mapper.connectors.moneybird.simulator import DEMO_TOKEN as MONEYBIRD_TOKEN
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator
from mapper.connectors.shopify.simulator import DEMO_TOKEN as SHOPIFY_TOKEN
from mapper.connectors.shopify.simulator import DEMO_WRITE_TOKEN as SHOPIFY_WRITE_TOKEN
from mapper.connectors.woocommerce.simulator import DEMO_SECRET as WOO_SECRET
from mapper.connectors.woocommerce.simulator import DEMO_WRITE_SECRET as WOO_WRITE_SECRET
from mapper.connectors.yuki.simulator import DEMO_ACCESS_KEY as YUKI_KEY

# Consumer keys of WooCommerce are sent in the clear as user names; their secrets are not.
SECRETS: frozenset[str] = frozenset(
    {
        EXACT_CLIENT_SECRET,
        EXACT_ISSUED_TOKENS,
        EXACT_REFRESH_TOKEN,
        FACTUURSTUREN_KEY,
        LIGHTSPEED_KEY,
        LIGHTSPEED_SECRET,
        MONEYBIRD_TOKEN,
        PrestaShopSimulator.DEMO_KEY,
        SHOPIFY_TOKEN,
        SHOPIFY_WRITE_TOKEN,
        WOO_SECRET,
        WOO_WRITE_SECRET,
        YUKI_KEY,
        "s3cr3t-Pa55",  # tests/sync/test_config.py
        "s3cr3t-access-key-do-not-print-0123456789",  # tests/connectors/test_yuki_faults.py
        "correct horse battery",  # tests/dashboard/dashboard_helpers.py
    }
)


def found_in(texts: Iterable[tuple[str, str]]) -> list[str]:
    """Where (of `texts`: (where, text) pairs) a secret shows."""
    return [where for where, text in texts if any(secret in text for secret in SECRETS)]


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


@contextmanager
def watched_processes() -> Iterator[list[tuple[str, str]]]:
    """Collect the output of every `subprocess.run` made inside the block."""
    outputs: list[tuple[str, str]] = []
    original = subprocess.run

    def run(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
        completed = original(*args, **kwargs)
        # The program's name only: its arguments may be what is being kept secret.
        program = completed.args if isinstance(completed.args, str) else completed.args[0]
        name = str(program).split()[0].rsplit("/", 1)[-1]
        outputs.append((f"stdout of `{name}`", _text(completed.stdout)))
        outputs.append((f"stderr of `{name}`", _text(completed.stderr)))
        return completed

    subprocess.run = run  # type: ignore[assignment]
    try:
        yield outputs
    finally:
        subprocess.run = original
