"""The Accounting Sync page: the operator's screen in a browser.

:func:`create_app` returns an ASGI app serving the page (Starlette, server-rendered Jinja2
templates, htmx vendored under ``static/``) and every plugin's mounts, such as the QuickBooks
Web Connector endpoint at ``/qbwc``. `ledgersync serve` serves it; a vendor mounts it in their
own app under a prefix. People sign in with operator accounts kept in the ledger
(`ledgersync users add`); see docs/operations.md, "The Accounting Sync page".
"""

from __future__ import annotations

from .app import LedgerSyncWeb, create_app
from .context import WebSettings

__all__ = ["LedgerSyncWeb", "WebSettings", "create_app"]
