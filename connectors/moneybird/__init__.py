"""Moneybird: the REST client (client.py), the Target (adapter.py) and a local simulator."""

from ..registry import Connector

CONNECTOR = Connector(
    name="moneybird",
    title="Moneybird",
    role="accounting",
    adapter="mapper.connectors.moneybird.adapter:MoneybirdTarget",
    simulator="mapper.connectors.moneybird.simulator:cli_simulator",
    demo="mapper.connectors.moneybird.demo:start_demo",
)
