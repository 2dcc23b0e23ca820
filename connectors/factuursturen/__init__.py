"""Factuursturen: the REST client (client.py) and a local simulator (simulator.py)."""

from ..registry import Connector

CONNECTOR = Connector(
    name="factuursturen",
    title="Factuursturen",
    role="accounting",
    adapter="mapper.connectors.factuursturen.adapter:FactuursturenTarget",
    simulator="mapper.connectors.factuursturen.simulator:cli_simulator",
    demo="mapper.connectors.factuursturen.demo:start_demo",
)
