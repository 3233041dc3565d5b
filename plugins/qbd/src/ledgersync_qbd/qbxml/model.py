"""What the builders produce: a request element, and how to find its record again."""

from __future__ import annotations

import attrs

from ..settings import QbdSettings
from ..xmlsafe import Element


@attrs.frozen
class Finder:
    """How to find a created record again (after a lost response, or a name already in use).

    ``query`` is sent with ``field`` = ``value``; a returned record is ours when its
    ExternalGUID is ``guid``, or, for a customer typed by hand (no ExternalGUID), when its
    AccountNumber is the member's.
    """

    query: str
    field: str
    value: str
    guid: str
    account_number: str | None = None
    #: A record of ours that is not the one sought (the old refund of a reissue).
    exclude_id: str | None = None


@attrs.frozen
class Write:
    """One write request, ready for a ``requestID``."""

    element: Element
    request_type: str
    finder: Finder | None
    warnings: tuple[str, ...] = ()
    #: A request to send once this one is done (a reissued refund: delete the old one).
    then: Element | None = None


@attrs.frozen
class BuildContext:
    """What builders need beyond the request: the company, its settings, and a fresh
    EditSequence after QuickBooks said ours was stale (3200)."""

    company: str
    settings: QbdSettings
    edit_sequence: str | None = None
