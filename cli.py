"""The `mapper` command: parses arguments, calls the engine, prints. No mapping logic lives here."""

from __future__ import annotations

import threading

import click

from connectors.simulators import REGISTRY, build_simulator
from connectors.simulators.server import Faults


@click.group()
@click.version_option(package_name="mapper")
def main() -> None:
    """Book webshop orders as invoices in accounting systems, driven by rule files."""


@main.command()
@click.argument("system", type=click.Choice(sorted(REGISTRY)))
@click.option("--port", default=0, show_default=True, help="Port on 127.0.0.1 (0 = any free).")
@click.option("--latency", default=0.0, show_default=True, help="Seconds added to each answer.")
@click.option("--fault-rate", default=0.0, show_default=True, help="Share of requests that fail.")
@click.option("--seed", default=0, show_default=True, help="Seed of the fault generator.")
def simulate(system: str, port: int, latency: float, fault_rate: float, seed: int) -> None:
    """Serve a local simulator of SYSTEM until interrupted."""
    simulator = build_simulator(
        system, port=port, latency=latency, faults=Faults(rate=fault_rate, seed=seed)
    )
    simulator.start()
    click.echo(f"{system} simulator listening on {simulator.url}")
    for line in getattr(simulator, "cli_banner", lambda: [])():
        click.echo(line)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
