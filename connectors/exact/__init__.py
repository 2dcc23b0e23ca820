"""Exact Online: the REST client (client.py) with its rotating OAuth tokens (tokens.py), the
Target (adapter.py) and a local simulator."""

from ..registry import Connector

CONNECTOR = Connector(
    name="exact",
    title="Exact Online",
    role="accounting",
    adapter="mapper.connectors.exact.adapter:ExactTarget",
    simulator="mapper.connectors.exact.simulator:cli_simulator",
    demo="mapper.connectors.exact.demo:start_demo",
)
