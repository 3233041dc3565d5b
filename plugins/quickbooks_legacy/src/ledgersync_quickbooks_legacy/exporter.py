"""Stage one: Add or Mod in the intermediary, exactly once.

The ``RequestId`` of every write is derived from the item's idempotency key, so a retry of the
same item version replays the intermediary's first answer. An in-doubt Add is looked up first:
among the objects not yet synchronized (``SynchronizedFilter NotSynchronized``), then among all
of that type, by our reference (a transaction's DocNumber, a list element's Name).
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

from ledgersync import ConnectorError, ExportRequest, Operation, StagedResult

from .client import LegacyClient
from .codes import RESOURCES
from .objects import OBJECT_TYPES, build_object, reference_of
from .settings import LegacySettings
from .xmlio import q, sub, text


def request_id(idempotency_key: str, purpose: str = "write") -> str:
    """32 hexadecimal characters, the same for every retry of one item version."""
    return hashlib.sha256(f"{purpose}\x1f{idempotency_key}".encode()).hexdigest()[:32]


class Exporter:
    def __init__(self, client: LegacyClient, settings: LegacySettings) -> None:
        self.client = client
        self.settings = settings

    def export(self, request: ExportRequest) -> StagedResult:
        if request.operation is Operation.VOID:
            raise ConnectorError(
                f"{request.describe()} was voided in the MMS; the two-stage path cannot void",
                code="void", sent=False,
                remedy="Void it in QuickBooks Desktop by hand, then mark this item cleared")
        kind = OBJECT_TYPES[request.kind]
        target = self._existing(request, kind)
        envelope = ET.Element(q("Mod" if target else "Add"),
                              RequestId=request_id(request.idempotency_key))
        sub(envelope, "OfferingId", "ipp")
        sub(envelope, "ExternalRealmId", self.settings.realm_id)
        draft = self.settings.send_as_draft and target is None
        envelope.append(build_object(request, self.settings, draft=draft, ident=target))
        answer = self.client.post(RESOURCES[kind], envelope)
        return _staged(answer)

    def _existing(self, request: ExportRequest, kind: str) -> tuple[str, str] | None:
        """The NG id and current SyncToken of the object a Mod changes, or None for an Add."""
        if request.intermediary_id:
            found = self.read(kind, "NG", request.intermediary_id)
            if found is not None:
                return found
            return None  # deleted from the cloud copy: add it again
        if request.external_id:  # an update of a confirmed record: find its cloud object
            found = self.read(kind, "QB", request.external_id)
            if found is None:
                raise ConnectorError(
                    f"{request.describe()} (QuickBooks id {request.external_id}) is not in "
                    "the cloud copy", code="missing",
                    remedy="It was deleted or the company file was replaced: `ledgersync "
                           "unlink` the record to create it again")
            return found
        return None

    def read(self, kind: str, domain: str, value: str) -> tuple[str, str] | None:
        """(NG id, SyncToken) of one object by its NG or QB id."""
        query = ET.Element(q(f"{kind}Query"))
        id_set = sub(query, f"{kind}IdSet")
        sub(id_set, "Id", value, idDomain=domain)
        answer = self.client.post(RESOURCES[kind], query)
        for obj in answer.iter(q(kind)):
            return _ng_id(obj), text(obj, "SyncToken") or "1"
        return None

    def lookup(self, request: ExportRequest) -> StagedResult | None:
        """Find what an interrupted write of this item left in the intermediary."""
        kind = OBJECT_TYPES[request.kind]
        if request.intermediary_id:
            # A Mod replays by request id: sending it again is safe, nothing to look up.
            return None
        wanted = reference_of(request.record)
        for synchronized in ("NotSynchronized", None):
            query = ET.Element(q(f"{kind}Query"))
            if synchronized:
                sub(query, "SynchronizedFilter", synchronized)
            answer = self.client.post(RESOURCES[kind], query)
            for obj in answer.iter(q(kind)):
                if _reference(obj) == wanted:
                    return StagedResult(intermediary_id=_ng_id(obj),
                                        version_token=text(obj, "SyncToken"),
                                        requests_made=2 if synchronized is None else 1)
        return None


def _reference(obj: ET.Element) -> str | None:
    header = obj.find(q("Header"))
    return text(header, "DocNumber") if header is not None else text(obj, "Name")


def _ng_id(obj: ET.Element) -> str:
    """The NG id of a queried object (its Id before netting, its ExternalKey after)."""
    external = obj.find(q("ExternalKey"))
    if external is not None and external.get("idDomain") == "NG":
        return (external.text or "").strip()
    ident = obj.find(q("Id"))
    if ident is None or ident.get("idDomain") != "NG":
        raise ConnectorError("the intermediary answered an object without its NG id",
                             code="answer", remedy="Report the answer to the maintainers")
    return (ident.text or "").strip()


def _staged(answer: ET.Element) -> StagedResult:
    success = answer.find(q("Success"))
    ref = success.find(q("ObjectRef")) if success is not None else None
    ident = ref.find(q("Id")) if ref is not None else None
    if ident is None or ident.get("idDomain") != "NG" or not ident.text:
        raise ConnectorError("the intermediary's answer has no NG id", code="answer",
                             remedy="Look the record up in the cloud copy; report the answer")
    return StagedResult(intermediary_id=ident.text.strip(), version_token=text(ref, "SyncToken"))
