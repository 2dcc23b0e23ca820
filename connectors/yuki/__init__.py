"""Yuki: the SOAP client (client.py) and a local SOAP simulator (simulator.py)."""

from ..registry import Connector

CONNECTOR = Connector(
    name="yuki",
    title="Yuki",
    role="accounting",
    adapter="mapper.connectors.yuki.adapter:YukiTarget",
    simulator="mapper.connectors.yuki.simulator:cli_simulator",
    demo="mapper.connectors.yuki.demo:start_demo",
)
