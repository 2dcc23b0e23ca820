"""Test support: the PostgreSQL (and Redis) servers the suite runs against."""
