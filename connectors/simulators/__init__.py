"""Local HTTP simulators of the external systems, speaking their real wire formats."""

from __future__ import annotations

import importlib

from connectors.simulators.server import Faults, Simulator

# name → "module:function"; each function builds a seeded simulator for `mapper simulate NAME`.
REGISTRY = {
    "prestashop": "connectors.simulators.prestashop:cli_simulator",
    "yuki": "connectors.simulators.yuki:cli_simulator",
    "lightspeed": "connectors.simulators.lightspeed:cli_simulator",
    "factuursturen": "connectors.simulators.factuursturen:cli_simulator",
}


def build_simulator(name: str, *, port: int, latency: float, faults: Faults) -> Simulator:
    """The simulator named `name`, seeded with demo data, ready to `serve_forever`."""
    module_name, function_name = REGISTRY[name].split(":")
    factory = getattr(importlib.import_module(module_name), function_name)
    simulator: Simulator = factory(port=port, latency=latency, faults=faults)
    return simulator
