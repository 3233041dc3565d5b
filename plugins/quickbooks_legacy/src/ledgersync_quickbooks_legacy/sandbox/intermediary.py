"""Stage one as the intermediary answered it: Add, Mod, Del and Revert with request ids and
replay, object queries (``SynchronizedFilter``, ``ErroredObjectsOnly``, id sets), the status
query and the activity query, each answering in the reference payloads' shapes.

Refusals whose real error codes the reference material does not give use codes of the
-9000 range (:data:`SANDBOX_CODES`) so nobody mistakes them for Intuit's.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from decimal import Decimal

import attrs

from ..codes import MESSAGES, RESOURCES, STATES
from ..xmlio import NS, XSI_TYPE, dumps, q, sub
from .clock import stamp
from .cloud import CloudObject
from .schema import SchemaError, check_object

REQUEST_ID = re.compile(r"^[0-9a-fA-F]{32}$")
SCHEMA_ERROR = "-2001"
#: The sandbox's own codes for refusals the reference material names without a code.
SANDBOX_CODES = {
    "not_found": "-9001",  # Mod/Del/Revert of an NG id the realm does not have
    "delete_refused": "-9002",  # delete of an object that is neither a draft nor failed
    "revert_refused": "-9003",  # revert of an object that never synced
    "realm_mismatch": "-9004",  # ExternalRealmId is not the realm of the URL
    "stale": "-9005",  # Mod with a SyncToken that is not the object's current one
}
WRITES = ("Add", "Mod", "Del", "Revert")


class Refusal(Exception):
    def __init__(self, code: str, desc: str, request_name: str = "ErrorRequest") -> None:
        super().__init__(desc)
        self.code, self.desc, self.request_name = code, desc, request_name


@attrs.define
class ActivityRow:
    at: dt.datetime
    ng_id: str
    request_id: str
    kind: str
    operation: str
    code: int
    message: str


@attrs.define
class ActivityRun:
    started: dt.datetime
    ended: dt.datetime
    rows: list[ActivityRow] = attrs.field(factory=list)


@attrs.define
class Intermediary:
    realm_id: str
    now: Callable[[], dt.datetime]
    objects: dict[str, CloudObject] = attrs.field(factory=dict)
    replies: dict[str, tuple[str, bytes]] = attrs.field(factory=dict)
    activity: list[ActivityRun] = attrs.field(factory=list)
    #: Objects stuck in write-back (state 6) longer than this are forced to 7 (message 220).
    stuck_after: dt.timedelta | None = None
    #: Writes the intermediary took (not replays): (request name, NG id).
    write_log: list[tuple[str, str]] = attrs.field(factory=list)
    #: Open balance per QB customer id (the desktop's, as of its last sync).
    balances: Callable[[], dict[str, Decimal]] = attrs.field(factory=lambda: dict)
    _next_id: int = 984434

    # -- stage-one writes ------------------------------------------------------------------------

    def write(self, op: str, resource: str, root: ET.Element) -> bytes:
        """Answer an Add/Mod/Del/Revert body; replays the answer to a request id seen before."""
        request_id = root.get("RequestId", "")
        if not REQUEST_ID.match(request_id):
            raise Refusal(SCHEMA_ERROR, f"cvc-pattern-valid: Value '{request_id}' of attribute "
                          "RequestId is not facet-valid: 32 hexadecimal characters expected.")
        digest = hashlib.sha256(ET.tostring(root)).hexdigest()
        if request_id in self.replies:
            # The same request id answers as the first time did (a retry after a lost answer).
            return self.replies[request_id][1]
        try:
            obj = root.find(q("Object"))
            kind = obj.get(XSI_TYPE, "") if obj is not None else ""
            name = f"{kind}{op}"
            if root.findtext(q("OfferingId")) != "ipp":
                raise Refusal(SCHEMA_ERROR, "cvc-complex-type.2.4.a: OfferingId 'ipp' is "
                              "expected.", name)
            realm = root.findtext(q("ExternalRealmId"))
            if realm is not None and realm.strip() != self.realm_id:
                raise Refusal(SANDBOX_CODES["realm_mismatch"],
                              f"ExternalRealmId {realm.strip()} is not realm {self.realm_id}", name)
            if obj is None or RESOURCES.get(kind) != resource:
                raise Refusal(SCHEMA_ERROR, f"cvc-elt.4.2: Object type '{kind}' cannot be "
                              f"written to resource '{resource}'.", name)
            answer = self._apply(op, kind, obj, request_id, name)
        except Refusal as refusal:
            answer = error_body(request_id, refusal, self.now())
        except SchemaError as exc:
            answer = error_body(request_id, Refusal(SCHEMA_ERROR, str(exc)), self.now())
        self.replies[request_id] = (digest, answer)
        return answer

    def _apply(self, op: str, kind: str, obj: ET.Element, request_id: str, name: str) -> bytes:
        now = self.now()
        draft = obj.get("draft", "false") == "true"
        body = ET.Element(q("Object"))
        body.extend(copy.deepcopy(c) for c in obj if c.tag not in (q("Id"), q("SyncToken")))
        if op == "Add":
            check_object(kind, obj)
            self._next_id += 1
            ng = str(self._next_id)
            created = CloudObject(ng_id=ng, kind=kind, body=body, request_id=request_id,
                                  created=now, updated=now, state_since=now, draft=draft)
            self.objects[ng] = created
            self._validate_cloud_side(created)
            self.write_log.append((name, ng))
            return success_body(request_id, created, name, now)
        target = self._target(obj, kind, name)
        if op == "Mod":
            check_object(kind, obj)
            token = obj.findtext(q("SyncToken"))
            if token is None or token.strip() != str(target.sync_token):
                raise Refusal(SANDBOX_CODES["stale"], f"SyncToken {token} is stale: the object "
                              f"is at {target.sync_token}; read it again", name)
            target.write(body, request_id, now, draft=draft)
            self._validate_cloud_side(target)
        elif op == "Del":
            if not (target.draft or target.failed_to_sync):
                raise Refusal(SANDBOX_CODES["delete_refused"],
                              f"{kind} {target.ng_id} can be deleted only as a draft or after it "
                              "failed to synchronize", name)
            target.deleted = True
            target.set_state(target.state, 90, now, MESSAGES[90])
        else:  # Revert
            if not target.synced_once or target.last_synced is None:
                raise Refusal(SANDBOX_CODES["revert_refused"],
                              f"{kind} {target.ng_id} never synchronized: nothing to revert to",
                              name)
            target.revert(now)
        self.write_log.append((name, target.ng_id))
        return success_body(request_id, target, name, now)

    def _target(self, obj: ET.Element, kind: str, name: str) -> CloudObject:
        ident = obj.find(q("Id"))
        ng = (ident.text or "").strip() if ident is not None else ""
        found = self.objects.get(ng)
        if ident is None or ident.get("idDomain") != "NG" or found is None or found.deleted or (
                found.kind != kind):
            raise Refusal(SANDBOX_CODES["not_found"], f"{kind} with NG id '{ng}' not found", name)
        return found

    def _validate_cloud_side(self, obj: CloudObject) -> None:
        """Business rules checked after the write was accepted: the answer comes through the
        status query (reference payload 05: state 4, message 60), never on the write itself."""
        if obj.kind in ("Invoice", "CreditMemo", "JournalEntry") and obj.body.find(
                q("Line")) is None:
            obj.set_state(4, 60, obj.updated,
                          "ERR: p_validate_txn - any QB transaction must have at least one line!")

    def upload(self, kind: str, body: ET.Element, qb_id: str, *, ng_id: str | None = None
               ) -> CloudObject:
        """Sync Manager's other direction: a record added (``ng_id`` None) or changed in
        QuickBooks reaches the cloud copy, synchronized (state 1, message 110 or 120)."""
        now = self.now()
        found = self.objects.get(ng_id) if ng_id is not None else None
        if found is None:
            self._next_id += 1
            found = CloudObject(ng_id=str(self._next_id), kind=kind, body=body,
                                request_id="0" * 32, created=now, updated=now,
                                state_since=now, synced_once=True, qb_id=qb_id)
            self.objects[found.ng_id] = found
            found.set_state(1, 110, now)
        else:
            found.body = body
            found.sync_token += 1
            found.set_state(1, 120, now)
        found.last_synced = copy.deepcopy(body)
        return found

    # -- reads -----------------------------------------------------------------------------------

    def query(self, kind: str, root: ET.Element) -> bytes:
        """``<CustomerQuery>`` and its siblings: SynchronizedFilter, ErroredObjectsOnly and an
        id set (``<CustomerIdSet><Id idDomain="NG">``) narrow the answer."""
        allowed = {q("SynchronizedFilter"), q(f"{kind}IdSet")} | (
            {q("IncludeFinancialIndicator")} if kind == "Customer" else set())
        for child in root:
            if child.tag not in allowed:
                raise Refusal(SCHEMA_ERROR, "cvc-complex-type.2.4.a: Invalid content was found "
                              f"starting with element '{child.tag.removeprefix(f'{{{NS}}}')}'"
                              f" in {kind}Query.", f"{kind}Query")
        wanted_sync = root.findtext(q("SynchronizedFilter"))
        if wanted_sync not in (None, "Synchronized", "NotSynchronized"):
            raise Refusal(SCHEMA_ERROR, f"cvc-enumeration-valid: Value '{wanted_sync}' is not "
                          "facet-valid: Synchronized or NotSynchronized.", f"{kind}Query")
        errored = root.get("ErroredObjectsOnly") == "true"
        ids = {(i.get("idDomain"), (i.text or "").strip())
               for i in root.iter(q("Id"))}
        financial = kind == "Customer" and root.findtext(
            q("IncludeFinancialIndicator")) == "true"
        balances = self.balances() if financial else {}
        response = ET.Element(q("RestResponse"))
        holder = sub(response, f"{kind}s")
        for obj in self.objects.values():
            if obj.kind != kind or obj.deleted:
                continue
            if wanted_sync == "NotSynchronized" and obj.synchronized:
                continue
            if wanted_sync == "Synchronized" and not obj.synchronized:
                continue
            if errored and not obj.failed_to_sync:
                continue
            if ids and ("NG", obj.ng_id) not in ids and ("QB", obj.qb_id) not in ids:
                continue
            element = object_element(obj)
            if financial and obj.synchronized and obj.qb_id is not None:
                balance = sub(element, "OpenBalance")
                sub(balance, "Amount", f"{balances.get(obj.qb_id, Decimal('0')):.2f}")
            holder.append(element)
        return dumps(response)

    def status(self, root: ET.Element) -> bytes:
        """``SyncStatusRequest``: rows for the NG ids asked (``NgIdSet``), or with
        ``ErroredObjectsOnly="true"`` and no id set, every object whose sync failed."""
        self.expire_stuck()
        errored = root.get("ErroredObjectsOnly") == "true"
        sets = root.findall(q("NgIdSet"))
        if not sets and not errored:
            raise Refusal(SCHEMA_ERROR, "cvc-complex-type.2.4.b: The content of element "
                          f"'SyncStatusRequest' is not complete. One of '{{\"{NS}\":NgIdSet}}' "
                          "is expected.", "SyncStatusRequest")
        if sets:
            chosen = []
            for ng_set in sets:
                found = self.objects.get((ng_set.findtext(q("NgId")) or "").strip())
                if found is not None and found.kind == (ng_set.findtext(q("NgObjectType"))
                                                        or "").strip():
                    chosen.append(found)
        else:
            chosen = list(self.objects.values())
        if errored:
            chosen = [o for o in chosen if o.failed_to_sync or o.message in (80, 90)]
        response = ET.Element(q("RestResponse"))
        rows = sub(response, "SyncStatusResponses")
        for obj in chosen:
            row = sub(rows, "SyncStatusResponse")
            ng_set = sub(row, "NgIdSet")
            sub(ng_set, "NgId", obj.ng_id)
            sub(ng_set, "SyncToken", obj.sync_token)
            sub(ng_set, "NgObjectType", obj.kind)
            sub(row, "RequestId", obj.request_id)
            sub(row, "StateCode", obj.state)
            sub(row, "StateDesc", STATES[obj.state])
            sub(row, "MessageCode", obj.message)
            sub(row, "MessageDesc", obj.message_desc or MESSAGES[obj.message])
            sub(row, "ResponseLogTMS", stamp(obj.updated).replace("Z", ".0Z"))
        return dumps(response)

    def sync_activity(self, root: ET.Element) -> bytes:
        """``SyncActivityRequest``: the desktop's sync runs with their drill-down rows."""
        response = ET.Element(q("RestResponse"))
        holder = sub(response, "SyncActivityResponses")
        for run in self.activity:
            by_entity: dict[str, list[ActivityRow]] = {}
            for row in run.rows:
                by_entity.setdefault(row.kind, []).append(row)
            for entity, rows in by_entity.items():
                one = sub(holder, "SyncActivityResponse")
                sub(one, "SyncType", "Writeback")
                sub(one, "StartSyncTMS", stamp(run.started).removesuffix("Z") + ".0")
                sub(one, "EndSyncTMS", stamp(run.ended).removesuffix("Z") + ".0")
                sub(one, "EntityName", entity)
                for row in rows:
                    drill = sub(one, "SyncStatusDrillDown")
                    sub(drill, "SyncTMS", stamp(row.at).replace("Z", ".0Z"))
                    sub(drill, "EntityId", row.ng_id)
                    sub(drill, "RequestId", row.request_id)
                    sub(drill, "NgObjectType", row.kind)
                    sub(drill, "OperationType", row.operation)
                    sub(drill, "SyncMessageCode", row.code)
                    sub(drill, "SyncMessage", row.message)
        return dumps(response)

    def expire_stuck(self) -> None:
        """Message 220: an object stuck in write-back past ``stuck_after`` is forced to 7."""
        if self.stuck_after is None:
            return
        now = self.now()
        for obj in self.objects.values():
            if obj.state == 6 and obj.state_since is not None and (
                    now - obj.state_since) > self.stuck_after:
                obj.set_state(7, 220, now)
                obj.fate = None


def object_element(obj: CloudObject) -> ET.Element:
    """An object as queries answer it: the QB id once netted (the NG id as ExternalKey)."""
    element = ET.Element(q(obj.kind))
    if obj.qb_id is not None and obj.synchronized:
        sub(element, "Id", obj.qb_id, idDomain="QB")
        sub(element, "ExternalKey", obj.ng_id, idDomain="NG")
    else:
        sub(element, "Id", obj.ng_id, idDomain="NG")
    sub(element, "SyncToken", obj.sync_token)
    sub(element, "Synchronized", str(obj.synchronized).lower())
    sub(element, "Draft", str(obj.draft).lower())
    element.extend(copy.deepcopy(c) for c in obj.body)
    return element


def success_body(request_id: str, obj: CloudObject, name: str, when: dt.datetime) -> bytes:
    response = ET.Element(q("RestResponse"))
    success = sub(response, "Success", RequestId=request_id)
    ref = sub(success, "ObjectRef")
    sub(ref, "Id", obj.ng_id, idDomain="NG")
    sub(ref, "SyncToken", obj.sync_token)
    sub(ref, "LastUpdatedTime", stamp(obj.updated))
    sub(success, "RequestName", name)
    sub(success, "ProcessedTime", stamp(when))
    return dumps(response)


def error_body(request_id: str, refusal: Refusal, when: dt.datetime) -> bytes:
    response = ET.Element(q("RestResponse"))
    error = sub(response, "Error", RequestId=request_id or "0" * 32)
    sub(error, "RequestName", refusal.request_name)
    sub(error, "ProcessedTime", stamp(when))
    sub(error, "ErrorCode", refusal.code)
    sub(error, "ErrorDesc", refusal.desc)
    return dumps(response)
