"""The uvicorn runners now live in the core (``ledgersync.web``); kept importable here for the
connector's tests, demo and contract kit."""

from __future__ import annotations

from ledgersync.web.server import ServerThread, serve

__all__ = ["ServerThread", "serve"]
