"""Peppol BIS Billing 3.0: an outbox folder of UBL documents (outbox.py) for an access point
to send, and the Target over it (adapter.py). No remote system, so no simulator of one."""

from ..registry import Connector

CONNECTOR = Connector(
    name="peppol",
    title="Peppol",
    role="accounting",
    adapter="mapper.connectors.peppol.adapter:PeppolTarget",
    simulator="mapper.connectors.peppol.adapter:cli_simulator",
    demo="mapper.connectors.peppol.demo:start_demo",
)
