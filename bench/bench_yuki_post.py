"""Benchmark: post 10,000 invoices to the Yuki simulator in batches, over real HTTP.

Run: python bench/bench_yuki_post.py [--invoices 10000] [--batch 100 250 500] [--latency 0.02]
Prints, per batch size, invoices per second, SOAP calls made and peak memory (max RSS, or\npeak Python allocations with --trace-memory).
The simulator runs in this process, so its XSD validation and bookkeeping are in the figures.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mapper.connectors.yuki.client import YukiClient  # noqa: E402
from mapper.connectors.yuki.simulator import (  # noqa: E402
    DEMO_ACCESS_KEY,
    DEMO_ADMINISTRATION_ID,
    YukiSimulator,
)

NS = "urn:xmlns:http://www.theyukicompany.com:salesinvoices"


def invoice_xml(number: int) -> str:
    return (
        "<SalesInvoice>"
        f"<Reference>BENCH-{number:06d}</Reference><Subject>Order {number}</Subject>"
        "<PaymentMethod>Online</PaymentMethod><Process>true</Process>"
        "<EmailToCustomer>false</EmailToCustomer><Date>2024-05-02</Date>"
        f"<Contact><FullName>{escape(f'Klant {number % 500}')}</FullName>"
        "<CountryCode>NL</CountryCode><City>Zwolle</City><Zipcode>8011 AA</Zipcode>"
        "<AddressLine_1>Melkmarkt 3</AddressLine_1><ContactType>Person</ContactType></Contact>"
        "<InvoiceLines>"
        "<InvoiceLine><Description>Koffiebonen 1 kg</Description>"
        "<ProductQuantity>2</ProductQuantity><Product><Description>Koffiebonen 1 kg</Description>"
        "<SalesPrice>12.40</SalesPrice><VATPercentage>21.00</VATPercentage>"
        "<VATIncluded>false</VATIncluded><VATType>1</VATType><GLAccountCode>8000</GLAccountCode>"
        "</Product></InvoiceLine>"
        "<InvoiceLine><Description>Verzendkosten</Description>"
        "<ProductQuantity>1</ProductQuantity><Product><Description>Verzendkosten</Description>"
        "<SalesPrice>4.95</SalesPrice><VATPercentage>21.00</VATPercentage>"
        "<VATIncluded>true</VATIncluded><VATType>1</VATType><GLAccountCode>8100</GLAccountCode>"
        "</Product></InvoiceLine>"
        "</InvoiceLines></SalesInvoice>"
    )


def document(numbers: range) -> str:
    body = "".join(invoice_xml(n) for n in numbers)
    declaration = '<?xml version="1.0" encoding="utf-8"?>'
    return f'{declaration}<SalesInvoices xmlns="{NS}">{body}</SalesInvoices>'


def run(total: int, batch: int, latency: float, trace: bool) -> None:
    simulator = YukiSimulator(latency=latency, daily_limit=1_000_000)
    simulator.seed_demo()
    with simulator:
        client = YukiClient(simulator.url, DEMO_ACCESS_KEY, DEMO_ADMINISTRATION_ID)
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        booked = 0
        for first in range(1, total + 1, batch):
            numbers = range(first, min(first + batch, total + 1))
            result = client.process_sales_invoices(document(numbers))
            booked += result.total_succeeded
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
        tracemalloc.stop()
    assert booked == total == len(simulator.invoices), (booked, len(simulator.invoices))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    memory = f"peak traced {peak / 2**20:.1f} MiB" if trace else f"max RSS so far {rss:.0f} MiB"
    print(
        f"batch {batch:>4}: {total} invoices in {elapsed:6.2f} s = {total / elapsed:5.0f} "
        f"invoices/s, {client.calls_made} calls (1 Authenticate), {memory}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--batch", type=int, nargs="+", default=[100, 250, 500])
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--trace-memory", action="store_true",
                        help="measure peak Python allocations with tracemalloc (slows the run)")
    args = parser.parse_args()
    print(f"Yuki ProcessSalesInvoices, simulator latency {args.latency * 1000:.0f} ms per call")
    for batch in args.batch:
        run(args.invoices, batch, args.latency, args.trace_memory)


if __name__ == "__main__":
    main()
