"""The mapping engine: rule files in, invoice payloads out; and the sync pipeline around it."""
