"""`mapper demo`: placeholder until the sync pipeline lands (see engine/sync)."""
