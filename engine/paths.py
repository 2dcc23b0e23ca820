"""Where the shipped rule sets and schemas live (beside the engine in a checkout)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = PROJECT_DIR / "schemas"


def mappings_dir() -> Path:
    """The folder of rule sets: $MAPPER_MAPPINGS, else the project's own `mappings/`."""
    override = os.environ.get("MAPPER_MAPPINGS")
    return Path(override) if override else PROJECT_DIR / "mappings"
