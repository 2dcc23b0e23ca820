"""Where the shipped rule sets and schemas live (beside the engine in a checkout), and the
schemas' validators."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
def schema_text(name: str) -> str:
    """The text of `schemas/<name>.schema.json`."""
    return (SCHEMAS_DIR / f"{name}.schema.json").read_text(encoding="utf-8")


@cache
def schema_validator(name: str) -> jsonschema.Draft202012Validator:
    """The validator of `schemas/<name>.schema.json`, loaded once per process."""
    import jsonschema  # here: a command whose rule files were found valid before needs none

    schema = json.loads(schema_text(name))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
