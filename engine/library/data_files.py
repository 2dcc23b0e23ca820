"""The library's data files (mappings/common/*.yaml: VAT rates, VAT territories), read once.

Read with libyaml's loader where PyYAML was built with it: the same values as
`yaml.safe_load` (the same resolvers and constructors), several times faster — the territory
table alone took ~30 ms of every command's start with the pure-Python loader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_data_file(path: Path) -> Any:
    """The YAML document in `path`, as `yaml.safe_load` gives it."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 — a safe loader
