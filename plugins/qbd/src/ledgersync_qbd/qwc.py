"""The .qwc file a bookkeeper opens in the Web Connector to register a company.

GUIDs are stable: ``OwnerID`` is one GUID for ledgersync (one per application, never per
version or file), and ``FileID`` is made once per company and kept in the ledger, so a .qwc
written again later (or on another host sharing the ledger) is the same registration.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from ledgersync import StateStore

OWNER_ID = "{D3C4F0A2-6B1E-4E6A-9C59-4C1E2A7B5D10}"
FILE_ID_KEY = "qbwc:file_id"


def file_id(state: StateStore) -> str:
    """The company's FileID GUID, made on first use."""
    with state.exclusive("qbwc-file-id") as conn:
        existing = state.get(FILE_ID_KEY, connection=conn)
        if isinstance(existing, str):
            return existing
        made = "{" + str(uuid.uuid4()).upper() + "}"
        state.put(FILE_ID_KEY, made, connection=conn)
        return made


def qwc_text(*, company: str, url: str, username: str, file_guid: str,
             support_url: str | None = None, every_minutes: int | None = 60,
             description: str | None = None) -> str:
    """The .qwc XML. ``url`` must be https except on localhost (the Web Connector refuses
    anything else)."""
    parts = urlsplit(url)
    support = support_url or f"{parts.scheme}://{parts.netloc}/"
    lines = [
        '<?xml version="1.0"?>',
        "<QBWCXML>",
        f"\t<AppName>{escape(f'ledgersync ({company})')}</AppName>",
        "\t<AppID></AppID>",
        f"\t<AppURL>{escape(url)}</AppURL>",
        f"\t<AppDescription>{escape((description or f'MMS sync for {company}')[:80])}"
        "</AppDescription>",
        f"\t<AppSupport>{escape(support)}</AppSupport>",
        f"\t<UserName>{escape(username)}</UserName>",
        f"\t<OwnerID>{OWNER_ID}</OwnerID>",
        f"\t<FileID>{file_guid}</FileID>",
        "\t<QBType>QBFS</QBType>",
    ]
    if every_minutes:
        lines += ["\t<Scheduler>", f"\t\t<RunEveryNMinutes>{every_minutes}</RunEveryNMinutes>",
                  "\t</Scheduler>"]
    lines += ["\t<IsReadOnly>false</IsReadOnly>", "</QBWCXML>", ""]
    return "\n".join(lines)


def url_problem(url: str) -> str | None:
    """Why the Web Connector would refuse ``url``, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{url!r} is not an http(s) URL"
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1"):
        return ("the Web Connector only accepts https URLs, except http://localhost "
                "(QBWC1051)")
    return None
