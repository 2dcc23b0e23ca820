"""Lightspeed eCom (SEOshop): the REST client (client.py) and a local simulator (simulator.py)."""

from ..registry import Connector

CONNECTOR = Connector(
    name="lightspeed",
    title="Lightspeed eCom",
    role="shop",
    adapter="mapper.connectors.lightspeed.adapter:LightspeedSource",
    simulator="mapper.connectors.lightspeed.simulator:cli_simulator",
    demo="mapper.connectors.lightspeed.demo:start_demo",
)
