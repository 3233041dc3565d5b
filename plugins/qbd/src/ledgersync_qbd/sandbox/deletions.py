"""TxnDeletedQueryRq and ListDeletedQueryRq: what was deleted, of which types, and when.

QuickBooks keeps a record of deletions (type, ID, when created and deleted, the RefNumber or
FullName it had) that applications read to learn what disappeared since they last looked
(``DeletedDateRangeFilter``). The sandbox records every TxnDel and ListDel it runs.
"""

from __future__ import annotations

from .context import Context, Handler, Outcome
from .queries import parse_stamp
from .rets import stamp
from .status import NO_MATCH, Status
from .xml import Element, sub, text_of, texts_of


def _deleted_query(kind: str) -> Handler:
    def handle(ctx: Context, rq: Element) -> Outcome:
        types = set(texts_of(rq, f"{kind}DelType"))
        window = rq.find("DeletedDateRangeFilter")
        low = text_of(window, "FromDeletedDate") if window is not None else None
        high = text_of(window, "ToDeletedDate") if window is not None else None
        rets = []
        for what, type_name, object_id, label, created, deleted in ctx.store.deleted:
            if what != kind or type_name not in types:
                continue
            if (low and deleted < parse_stamp(low)) or (high and deleted > parse_stamp(high)):
                continue
            ret = Element(f"{kind}DeletedRet")
            sub(ret, f"{kind}DelType", type_name)
            sub(ret, "TxnID" if kind == "Txn" else "ListID", object_id)
            sub(ret, "TimeCreated", stamp(created))
            sub(ret, "TimeDeleted", stamp(deleted))
            if label:
                sub(ret, "RefNumber" if kind == "Txn" else "FullName", label)
            rets.append(ret)
        outcome = Outcome(rets, attrs={"retCount": str(len(rets))})
        if not rets:
            outcome.status = Status.of(NO_MATCH)
        return outcome

    return handle


HANDLERS: dict[str, Handler] = {
    "TxnDeletedQueryRq": _deleted_query("Txn"),
    "ListDeletedQueryRq": _deleted_query("List"),
}
