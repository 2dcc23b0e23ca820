"""WooCommerce (REST API v3): the client (client.py), the sync's Source (adapter.py) and a local
simulator (simulator.py)."""

from ..registry import Connector

CONNECTOR = Connector(
    name="woocommerce",
    title="WooCommerce",
    role="shop",
    adapter="mapper.connectors.woocommerce.adapter:WooCommerceSource",
    simulator="mapper.connectors.woocommerce.simulator:cli_simulator",
    demo="mapper.connectors.woocommerce.demo:start_demo",
)
