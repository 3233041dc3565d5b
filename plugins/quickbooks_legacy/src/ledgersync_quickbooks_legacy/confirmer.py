"""Stage two: what became of staged records, from the status query (by NG id, plus the
errored-objects query that also finds orphans among confirmed records), the desktop ids of
the netted ones (an id-set query), and the activity query's drill-down for the failures.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Sequence

import attrs

from ledgersync import Confirmation, ConfirmOutcome, StagedItem

from .client import LegacyClient
from .codes import RESOURCES
from .objects import OBJECT_TYPES
from .settings import LegacySettings
from .statemap import describe, meaning
from .xmlio import q, sub, text


@attrs.frozen(kw_only=True)
class StatusRow:
    ng_id: str
    kind: str
    request_id: str | None
    state: int
    message: int | None
    message_desc: str | None
    logged: str | None


@attrs.frozen(kw_only=True)
class ActivityEntry:
    ng_id: str
    at: str | None
    operation: str | None
    code: int | None
    message: str | None


def status_request(pairs: Sequence[tuple[str, str]], *, errored_only: bool = False
                   ) -> ET.Element:
    """A ``SyncStatusRequest`` for (NG id, object type) pairs (reference payload 03)."""
    root = ET.Element(q("SyncStatusRequest"),
                      ErroredObjectsOnly="true" if errored_only else "false")
    sub(root, "OfferingId", "ipp")
    for ng_id, kind in pairs:
        ng_set = sub(root, "NgIdSet")
        sub(ng_set, "NgId", ng_id)
        sub(ng_set, "NgObjectType", kind)
    return root


def parse_status(answer: ET.Element) -> list[StatusRow]:
    rows = []
    for row in answer.iter(q("SyncStatusResponse")):
        ng_set = row.find(q("NgIdSet"))
        message = text(row, "MessageCode")
        rows.append(StatusRow(
            ng_id=text(ng_set, "NgId") or "", kind=text(ng_set, "NgObjectType") or "",
            request_id=text(row, "RequestId"), state=int(text(row, "StateCode") or 0),
            message=int(message) if message else None, message_desc=text(row, "MessageDesc"),
            logged=text(row, "ResponseLogTMS")))
    return rows


def parse_activity(answer: ET.Element) -> list[ActivityEntry]:
    entries = []
    for drill in answer.iter(q("SyncStatusDrillDown")):
        code = text(drill, "SyncMessageCode")
        entries.append(ActivityEntry(
            ng_id=text(drill, "EntityId") or "", at=text(drill, "SyncTMS"),
            operation=text(drill, "OperationType"), code=int(code) if code else None,
            message=text(drill, "SyncMessage")))
    return entries


class Confirmer:
    def __init__(self, client: LegacyClient, settings: LegacySettings) -> None:
        self.client = client
        self.settings = settings

    def status(self, pairs: Sequence[tuple[str, str]], *, errored_only: bool = False
               ) -> list[StatusRow]:
        rows: list[StatusRow] = []
        size = self.settings.status_batch
        for start in range(0, max(len(pairs), 1 if errored_only else 0), size):
            chunk = pairs[start:start + size]
            rows += parse_status(self.client.post(
                "status", status_request(chunk, errored_only=errored_only)))
        return rows

    def activity(self) -> list[ActivityEntry]:
        root = ET.Element(q("SyncActivityRequest"))
        sub(root, "OfferingId", "ipp")
        return parse_activity(self.client.post("syncActivity", root))

    def desktop_ids(self, kind: str, ng_ids: Sequence[str]) -> dict[str, str]:
        """NG id -> QB id of netted objects of one type."""
        if not ng_ids:
            return {}
        query = ET.Element(q(f"{kind}Query"))
        id_set = sub(query, f"{kind}IdSet")
        for ng in ng_ids:
            sub(id_set, "Id", ng, idDomain="NG")
        found: dict[str, str] = {}
        for obj in self.client.post(RESOURCES[kind], query).iter(q(kind)):
            ident, external = obj.find(q("Id")), obj.find(q("ExternalKey"))
            if ident is not None and ident.get("idDomain") == "QB" and external is not None:
                found[(external.text or "").strip()] = (ident.text or "").strip()
        return found

    def confirm(self, items: Sequence[StagedItem], now: dt.datetime) -> list[Confirmation]:
        staged_at = {i.intermediary_id: i.staged_at for i in items}
        rows = self.status([(i.intermediary_id, OBJECT_TYPES[i.kind]) for i in items])
        asked = {row.ng_id for row in rows}
        # Objects whose sync failed, including confirmed ones lost to a restore (210).
        rows += [r for r in self.status([], errored_only=True) if r.ng_id not in asked]
        meanings = {row.ng_id: meaning(row.state, row.message) for row in rows}
        netted: dict[str, list[str]] = {}
        for row in rows:
            if meanings[row.ng_id].outcome is ConfirmOutcome.SYNCED:
                netted.setdefault(row.kind, []).append(row.ng_id)
        qb_ids: dict[str, str] = {}
        for kind, ng_ids in netted.items():
            qb_ids.update(self.desktop_ids(kind, ng_ids))
        failed = any(m.outcome not in (ConfirmOutcome.SYNCED, ConfirmOutcome.STAGED)
                     for m in meanings.values())
        drill = {e.ng_id: e for e in self.activity()} if failed else {}
        answers = []
        for row in rows:
            found = meanings[row.ng_id]
            codes = f"{row.state}/{row.message}"
            detail = describe(row.state, row.message)
            if found.outcome is ConfirmOutcome.SYNCED:
                if row.ng_id not in qb_ids:
                    continue  # netted but not readable yet: ask again next time
                answers.append(Confirmation(intermediary_id=row.ng_id,
                                            outcome=ConfirmOutcome.SYNCED,
                                            external_id=qb_ids[row.ng_id], code=codes))
                continue
            if found.outcome is ConfirmOutcome.STAGED:
                since = staged_at.get(row.ng_id)
                stalled = since is not None and row.state == 6 and (
                    now - since) > dt.timedelta(minutes=self.settings.writeback_stall_minutes)
                if stalled:
                    minutes = int((now - since).total_seconds() // 60) if since else 0
                    answers.append(Confirmation(
                        intermediary_id=row.ng_id, outcome=ConfirmOutcome.STAGED, code=codes,
                        message=f"stuck in write-back (state 6) for {minutes} minutes, longer "
                                f"than the {self.settings.writeback_stall_minutes:g} allowed",
                        remedy="Open QuickBooks on the desktop and restart Sync Manager; if it "
                               "stays stuck, check in QuickBooks whether the record arrived"))
                elif row.state not in (4, 5, 6) or row.message in (100, 130):
                    answers.append(Confirmation(
                        intermediary_id=row.ng_id, outcome=ConfirmOutcome.STAGED, code=codes,
                        message=f"{found.words} ({detail})", remedy=found.remedy))
                continue
            desk = drill.get(row.ng_id)
            words = row.message_desc or ""
            if desk is not None and desk.message and desk.message not in words:
                words = f"{words}; the desktop said: {desk.message}" if words else desk.message
            answers.append(Confirmation(
                intermediary_id=row.ng_id, outcome=found.outcome, code=codes,
                message=f"{found.words}: {words} ({detail})" if words else
                f"{found.words} ({detail})", remedy=found.remedy))
        return answers
