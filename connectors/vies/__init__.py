"""VIES, the EU's VAT number validation service: its SOAP client (`client.ViesClient`) and a
local simulator of it (`simulator.ViesSimulator`). Not a shop or an accounting system, so not
in the connector registry: engine/sync/vies.py opens the client for a shop whose `vies:`
setting turns the check on."""
