"""`mapper validate`: everything that can be found wrong in a rule set before any order runs.

Compiling (engine/rules/compile.py) has already refused YAML, schema and expression errors,
one at a time. On a compiled rule set this adds: its default settings against its settings
schema, every name read that nothing defines (engine/rules/names.py, all of them at once), and
a warning for each rule file that names no language version (read as language 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import RuleError
from .compile import RuleSet
from .load import LANGUAGE, LocatedDict, display_path, load_yaml
from .names import fixture_inputs, undefined_names


@dataclass
class Validation:
    rules: RuleSet
    problems: list[RuleError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.rules.label}: {len(self.rules.files)} rule file(s) valid, "
            f"{len(self.rules.explain)} expressions compiled"
        )


def input_names(rules: RuleSet) -> set[str]:
    """The input document's top-level names: a target reads the canonical `order`; a shop's
    rules its fetched documents, as its fixtures hold them."""
    if rules.kind == "target":
        return {"order"}
    return fixture_inputs(rules.folder, rules.folder.resolve().name)


def validate_rule_set(rules: RuleSet) -> Validation:
    """What is wrong with a compiled rule set (problems) or worth a look (warnings)."""
    rules.bind()  # the default settings must satisfy the settings schema too (raises)
    validation = Validation(rules)
    if rules.data is not None:
        validation.problems = undefined_names(rules.data, input_names(rules))
    for path in rules.files:
        data = load_yaml(path, display_path(path), rule_file=True)
        if isinstance(data, LocatedDict) and not data.language_written:
            inside = path.resolve().is_relative_to(rules.folder.resolve())
            folder = rules.folder if inside else path.parent.parent  # e.g. mappings/common
            validation.warnings.append(
                f"{display_path(path)}: names no language version, so it is read as "
                f"language 1; `mapper migrate {display_path(folder)}` rewrites it to "
                f"language {LANGUAGE}"
            )
    return validation
