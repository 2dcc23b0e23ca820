"""Clients for the external systems mapper talks to, and local simulators of them.

Connectors know nothing of rule files: they fetch shop documents and post finished payloads.
"""
