"""What a plugin adds to the web server of `ledgersync serve`: an ASGI app at a path, and tools
on a company's page (a connector's credentials, its setup files)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


@attrs.frozen(kw_only=True)
class ToolField:
    """One input of a :class:`CompanyTool`'s form. ``kind`` is an HTML input type (``text``,
    ``password``, ``url``); a password field is never filled in or shown back."""

    name: str
    label: str
    kind: str = "text"
    required: bool = True
    placeholder: str = ""


@attrs.frozen(kw_only=True)
class ToolResult:
    """What a tool did: a one-line message for the page, a file to download, or an address
    to send the browser to (e.g. an OAuth consent screen)."""

    message: str
    redirect_to: str | None = None
    download_name: str | None = None
    download: bytes | None = None
    media_type: str = "application/octet-stream"


@attrs.frozen(kw_only=True)
class CompanyTool:
    """A form on a company's tools page, e.g. "Set the Web Connector password".

    ``run`` receives the submitted values by field name (stripped, never logged) and returns a
    :class:`ToolResult`; it raises a :class:`~ledgersync.LedgerSyncError` with a remedy to
    refuse (the page shows the message). Only operators of ``role`` or above see and use it:
    credentials are for ``admin``.
    """

    name: str
    title: str
    description: str
    run: Callable[[Mapping[str, str]], ToolResult]
    fields: tuple[ToolField, ...] = ()
    role: str = "admin"
