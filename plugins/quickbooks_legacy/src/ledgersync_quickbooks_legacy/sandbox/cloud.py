"""The intermediary's copy of the company: objects with their NG ids, states and messages.

Facts encoded (README, "Sources"): a write returns only the NG id; ``Synchronized`` tells
whether the object reached (or came from) QuickBooks; a draft (``draft="true"``) never syncs;
delete only for drafts or objects created here that failed to sync; revert only for objects
that synced once (it discards the cloud's changes since).
"""

from __future__ import annotations

import copy
import datetime as dt
import xml.etree.ElementTree as ET

import attrs

from ..xmlio import q

#: States in which the desktop's next sync picks an object up.
WAITING_STATES = frozenset({4, 5})
#: States that mean "the write-back failed" (delete allowed for objects created here).
FAILED_STATES = frozenset({7, 9})


@attrs.define
class CloudObject:
    ng_id: str
    kind: str
    body: ET.Element  # the Object element's children as last written (no Id, no SyncToken)
    request_id: str
    created: dt.datetime
    updated: dt.datetime
    state: int = 4
    message: int = 10
    message_desc: str | None = None
    state_since: dt.datetime | None = None
    sync_token: int = 1
    draft: bool = False
    synced_once: bool = False
    qb_id: str | None = None
    last_synced: ET.Element | None = None
    deleted: bool = False
    #: The desktop's scripted fate for its next sync (see :class:`~.desktop.Desktop`).
    fate: tuple[str, str | int | None] | None = None

    @property
    def reference(self) -> str | None:
        """Our reference on the object: a transaction's DocNumber, a list element's Name."""
        header = self.body.find(q("Header"))
        holder = header if header is not None else self.body
        found = holder.find(q("DocNumber" if header is not None else "Name"))
        return found.text.strip() if found is not None and found.text else None

    @property
    def synchronized(self) -> bool:
        return self.state in (1, 8)

    @property
    def failed_to_sync(self) -> bool:
        return self.state in FAILED_STATES or (self.state == 4 and self.message == 60)

    def set_state(self, state: int, message: int, when: dt.datetime,
                  desc: str | None = None) -> None:
        if state != self.state:
            self.state_since = when
        self.state, self.message, self.message_desc = state, message, desc
        self.updated = when

    def write(self, body: ET.Element, request_id: str, when: dt.datetime, *, draft: bool
              ) -> None:
        """A Mod: the new content waits for the desktop again (state 5 once it synced)."""
        self.body = body
        self.request_id = request_id
        self.sync_token += 1
        self.draft = draft
        self.fate = None
        self.set_state(5 if self.synced_once else 4, 20, when)

    def revert(self, when: dt.datetime) -> None:
        assert self.last_synced is not None
        self.body = copy.deepcopy(self.last_synced)
        self.sync_token += 1
        self.draft = False
        self.set_state(8, 70, when, "reverted to the last synchronized version")
