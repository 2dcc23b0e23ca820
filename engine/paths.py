"""Where the shipped rule sets and schemas live (beside the engine in a checkout), and the
schemas' validators."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import jsonschema

PROJECT_DIR = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = PROJECT_DIR / "schemas"


def mappings_dir() -> Path:
    """The folder of rule sets: $MAPPER_MAPPINGS, else the project's own `mappings/`."""
    override = os.environ.get("MAPPER_MAPPINGS")
    return Path(override) if override else PROJECT_DIR / "mappings"


def written_as_path(text: str) -> bool:
    """Whether a rule-set argument names a folder rather than a shipped rule set.

    Only what is written as a path is one: `./prestashop`, `../x`, `mappings/yuki`, an absolute
    path, `~/rules` — anything starting with `.` or `~` or holding a path separator. A plain
    name (`prestashop`) is always a shipped rule set, even where the working directory holds
    a folder of that name.
    """
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return text.startswith((".", "~")) or any(s in text for s in separators) or Path(text).is_absolute()


@cache
def schema_validator(name: str) -> jsonschema.Draft202012Validator:
    """The validator of `schemas/<name>.schema.json`, loaded once per process."""
    schema = json.loads((SCHEMAS_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
