"""What is wrong with a mapper.yaml, in lines a person can act on.

jsonschema's messages made readable: an unknown key gets its place and a "did you mean", a
mistyped choice the closest one, a credential or the ledger never has its value repeated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema

from ..rules.known_keys import did_you_mean, dotted, suggestion
from ..rules.load import place_at
from .config_schema import config_validator

CREDENTIAL_FIELDS = {"key", "secret", "access_key", "api_key", "password"}
REFERENCE_KEYS = ["env", "secret"]
REFERENCE = "{env: NAME} or {secret: name}"


def schema_problems(data: Any, name: str) -> list[str]:
    """One line per problem the configuration schema finds, in the order they were written."""
    errors = config_validator().iter_errors(data)
    lines: list[tuple[tuple[int, int, str], str]] = []
    for error in errors:
        for path, message in _explain(error):
            place = place_at(data, path)
            order = (place.line, place.column) if place else (0, 0)
            lines.append(((*order, dotted(path)), f"{place or name}: {dotted(path) or '(top)'}: {message}"))
    return [line for _, line in sorted(lines)]


def _explain(error: jsonschema.ValidationError) -> list[tuple[tuple[str | int, ...], str]]:
    path = tuple(error.absolute_path)
    key = str(path[-1]) if path else ""
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = [str(k) for k in error.schema.get("properties", {})]
        return [
            ((*path, extra), f"unknown key{did_you_mean(str(extra), allowed)}")
            for extra in error.instance
            if extra not in allowed
        ]
    if key in CREDENTIAL_FIELDS or path == ("ledger",):
        return [(path, _reference_problem(error, path == ("ledger",)))]
    if path[:1] == ("queue",):
        return [(path, _queue_problem(error))]
    if error.validator == "enum" and isinstance(error.instance, str):
        choices = [str(c) for c in error.validator_value]
        return [(path, f"{error.message}{suggestion(error.instance, choices)}")]
    if error.validator == "format" and error.validator_value == "date":
        return [(path, f"expected a date like 2026-01-01, got {error.instance!r}")]
    if key == "recheck_at" and error.validator == "pattern":
        return [(path, f"expected a time of day like 03:00 (HH:MM), got {error.instance!r}")]
    number = isinstance(error.instance, int | float) and not isinstance(error.instance, bool)
    if error.validator == "type" and "string" in str(error.validator_value) and number:
        return [(path, f"expected text, got the number {error.instance!r}: write it in quotes")]
    return [(path, str(error.message))]


def _reference_problem(error: jsonschema.ValidationError, ledger: bool) -> str:
    """Never the value: it may be the secret itself, or a URL with a password in it."""
    expected = f"a file path, a database URL or {REFERENCE}" if ledger else REFERENCE
    if isinstance(error.instance, Mapping):
        wrong = [str(k) for k in error.instance if k not in REFERENCE_KEYS]
        if wrong:
            return f"expected {expected}: unknown key {wrong[0]!r}{did_you_mean(wrong[0], REFERENCE_KEYS)}"
        return f"expected {expected}, with one name"
    if ledger:
        return f"expected {expected}"
    return f"must be a reference like {REFERENCE}, never the secret itself"


QUEUE_KEYS = ["url", "name", "visibility_timeout_seconds", "lock_ttl_seconds"]


def _queue_problem(error: jsonschema.ValidationError) -> str:
    """Never the value: a broker URL may hold a password."""
    expected = f"a redis:// URL, {REFERENCE}, or a section with url: and options"
    instance = error.instance
    if isinstance(instance, Mapping) and not {"env", "secret"} & set(instance):
        wrong = [str(k) for k in instance if k not in QUEUE_KEYS]
        if wrong:
            return f"unknown key {wrong[0]!r}{did_you_mean(wrong[0], QUEUE_KEYS)}"
        if "url" not in instance:
            return f"expected {expected}: the section has no url"
        return f"expected {expected}: a value of the section is not of its kind"
    if isinstance(instance, Mapping):
        return f"expected {expected}, with one name"
    return f"expected {expected}"


def reference_problem(
    value: Mapping[str, Any], env: Mapping[str, str], secrets: Mapping[str, str] | None
) -> str | None:
    """Why `{env: NAME}` / `{secret: name}` cannot be resolved, or None when it can."""
    if "env" in value:
        if value["env"] not in env:
            return f"environment variable {value['env']} is not set"
        return None
    if secrets is None:
        return f"{{secret: {value['secret']}}} needs a secrets_file in the configuration"
    if value["secret"] not in secrets:
        return f"no {value['secret']!r} in the secrets file"
    return None
