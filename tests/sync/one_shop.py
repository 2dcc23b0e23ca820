"""A sync configuration of one shop over local simulators, for the pipeline tests of each
shop and accounting system: the configuration's frame, and the target and source sections
that several of them share. Credentials go by env reference, their values in `environ`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mapper.connectors.factuursturen import simulator as factuursturen_sim
from mapper.connectors.lightspeed import simulator as lightspeed_sim
from mapper.connectors.yuki.simulator import YukiSimulator
from mapper.engine.sync.config import Config, parse_config

# What the Lightspeed and Factuursturen sections below refer to.
LIGHTSPEED_FACTUURSTUREN_ENVIRON = {
    "LS_KEY": lightspeed_sim.DEMO_KEY,
    "LS_SECRET": lightspeed_sim.DEMO_SECRET,
    "FS_KEY": factuursturen_sim.DEMO_API_KEY,
}


def one_shop_config(
    folder: Path,
    ledger: str,
    *,
    name: str,
    mapping: str,
    start: str,
    source: dict[str, Any],
    target: dict[str, Any],
    environ: dict[str, str],
) -> Config:
    return parse_config(
        {
            "ledger": ledger,
            "shops": [
                {"name": name, "mapping": mapping, "start": start, "source": source,
                 "target": target}
            ],
        },
        folder,
        environ=environ,
    )


def yuki_target(books: YukiSimulator, administration: str) -> dict[str, Any]:
    """The Yuki section; its key is YUKI_KEY in `environ`."""
    return {"type": "yuki", "url": books.url, "access_key": {"env": "YUKI_KEY"},
            "administration_id": administration}


def lightspeed_source(shop: lightspeed_sim.LightspeedSimulator) -> dict[str, Any]:
    return {"type": "lightspeed", "url": shop.url,
            "key": {"env": "LS_KEY"}, "secret": {"env": "LS_SECRET"}}


def factuursturen_target(books: factuursturen_sim.FactuursturenSimulator) -> dict[str, Any]:
    return {"type": "factuursturen", "url": books.url,
            "username": factuursturen_sim.DEMO_USERNAME, "api_key": {"env": "FS_KEY"}}
