"""What a plugin adds to the web server of `ledgersync serve`: an ASGI app at a path."""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen(kw_only=True)
class WebMount:
    """An ASGI application a plugin serves beside the Accounting Sync page.

    ``path`` (e.g. ``"/qbwc"``) and everything below it go to ``app`` with the request's scope
    unchanged: the app sees the full path, and ``root_path`` when the whole server is itself
    mounted under a prefix. ``title`` says what it is on the page's plugins screen.
    """

    path: str
    app: Any
    title: str
