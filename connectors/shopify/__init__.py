"""Shopify (Admin REST API): the client (client.py), the sync's Source (adapter.py) and a local
simulator (simulator.py)."""

from ..registry import Connector

CONNECTOR = Connector(
    name="shopify",
    title="Shopify",
    role="shop",
    adapter="mapper.connectors.shopify.adapter:ShopifySource",
    simulator="mapper.connectors.shopify.simulator:cli_simulator",
    demo="mapper.connectors.shopify.demo:start_demo",
)
