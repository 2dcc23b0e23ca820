"""Notifications that reach a person: e-mail over SMTP and signed webhooks, per shop (`notify:`
in mapper.yaml), sent after a pass in which orders entered Errors or a system failed, for the
daily digest, and for the dashboard's Report problem.

The modules, in the order a message goes through them: `settings` (the `notify:` section),
`messages` (what a message says, built only from the ledger's bookkeeping and the one-line
system failure: never a secret, never customer data), `smtp` and `webhook` (the channels),
`send` (every channel of a shop, retried, never raising), `watch` (which orders *entered*
Errors in a pass) and `digest`.

This file imports nothing: `engine.sync.config` reads `settings` while `watch` reads the sync's
configuration, and an import here would close that circle.
"""
