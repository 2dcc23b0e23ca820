"""`mapper serve`: the shop owner's dashboard (Reporting, Errors, Open, Connections, Configuration
per shop).

Server-rendered with Starlette and Jinja2 on the sync's own ledger; the little script it has
is shipped in `static/` (no CDN). `create_app` builds the application, `serve` runs it.
"""

from .app import Dashboard, create_app
from .serve import serve

__all__ = ["Dashboard", "create_app", "serve"]
