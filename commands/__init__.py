"""The parts of the `mapper` command that grew beyond cli.py: the demo, the connection check, terminal output."""
