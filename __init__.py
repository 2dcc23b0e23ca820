"""mapper: books webshop orders as invoices in accounting systems, driven by YAML rule files.

The checkout's top level is this package: `cli.py` is `mapper.cli`, `engine/` is
`mapper.engine`, `connectors/` is `mapper.connectors`; `mappings/` and `schemas/` are the data
it reads at run time, shipped inside the package.
"""
