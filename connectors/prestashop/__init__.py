"""PrestaShop: the webservice client (client.py) and a local simulator of the webservice (simulator/)."""

from ..registry import Connector

CONNECTOR = Connector(
    name="prestashop",
    title="PrestaShop",
    role="shop",
    adapter="mapper.connectors.prestashop.adapter:PrestaShopSource",
    simulator="mapper.connectors.prestashop.simulator.webservice:cli_simulator",
    demo="mapper.connectors.prestashop.demo:start_demo",
)
