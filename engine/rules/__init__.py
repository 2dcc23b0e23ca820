"""The rule language: load (safe YAML, marks) → validate (schema) → compile → run; explain; fixtures."""
