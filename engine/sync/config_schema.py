"""The schema mapper.yaml is checked against: schemas/config.schema.json with, for each shop's
`source:` and `target:`, the registered systems' own section schemas
(connectors/<system>/section.schema.json), so a new system brings its keys with it."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import jsonschema

from ...connectors.registry import connectors
from ..paths import schema_validator


@cache
def config_validator() -> jsonschema.Draft202012Validator:
    """The configuration's validator, composed once per process."""
    schema = copy.deepcopy(schema_validator("config").schema)
    shop = schema["$defs"]["shop"]["properties"]
    for key, role in (("source", "shop"), ("target", "accounting")):
        systems = {name: c for name, c in sorted(connectors().items()) if c.role == role}
        section = shop[key]
        section["properties"]["type"]["enum"] = list(systems)
        # Each system's keys apply where `type` names it (the subschemas resolve their
        # `#/$defs/credential` against this document).
        section["allOf"] = [
            {
                "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
                "then": system.section_schema(),
            }
            for name, system in systems.items()
        ]
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def config_schema() -> dict[str, Any]:
    """The composed schema, e.g. for `mapper schema config`."""
    schema: dict[str, Any] = config_validator().schema
    return schema
