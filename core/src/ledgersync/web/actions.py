"""The page's actions. Each is a POST form with the session's CSRF token, allowed from the
operator role up, and goes through the same Ledger methods as the CLI, with the operator's
name as the actor (so it lands in each item's history). Each answers with a redirect back
and a one-line notice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .._engine.filters import ItemFilter
from .._engine.statuses import Status
from .._errors import LedgerSyncError
from .context import Refused, WebContext
from .pages import MAPPING_KINDS, LogQuery

ITEM_VERBS = {
    "requeue": "requeued", "resync": "queued for resync", "unlink": "unlinked",
    "go": "marked go", "no-go": "marked no-go",
}


def _field(form: Any, name: str, limit: int = 200) -> str | None:
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value[:limit] or None


def _company(web: WebContext, request: Request) -> str:
    company = str(request.path_params["company"])
    if company not in web.ledger.config.companies:
        raise Refused(f"there is no company {company!r} in the config", status=404)
    return company


def _outcome(web: WebContext, request: Request, form: Any, default: str, notice: str
             ) -> Response:
    return web.redirect(request, _field(form, "next", 2000), default, notice)


def items_action(web: WebContext, request: Request, form: FormData) -> Response:
    """requeue / resync / unlink / go / no-go, on the checked items or on every item that
    matches the sync log's filters."""
    session = web.require_action(request, form)
    verb = _field(form, "verb")
    if verb not in ITEM_VERBS:
        raise Refused(f"{verb!r} is not an action on items; use one of "
                      f"{', '.join(ITEM_VERBS)}", status=400)
    selection = _selection(web, form)
    actor = session.operator.name
    try:
        if verb == "requeue":
            count = web.ledger.requeue(selection, actor=actor)
        elif verb == "resync":
            count = web.ledger.resync(selection, actor=actor)
        elif verb == "unlink":
            count = web.ledger.unlink(selection, actor=actor)
        else:
            count = web.ledger.mark(selection, verb.replace("-", "_"), actor=actor,
                                    reason=_field(form, "reason", 500))
    except LedgerSyncError as exc:
        return _outcome(web, request, form, "/log", _failure(exc))
    notice = f"{ITEM_VERBS[verb]} {count} item(s)"
    if count == 0:
        notice += ": nothing matched in a state this action applies to"
    return _outcome(web, request, form, "/log", notice)


def _selection(web: WebContext, form: Any) -> ItemFilter:
    scope = _field(form, "scope") or "selected"
    if scope == "selected":
        ids = [int(v) for v in form.getlist("id") if isinstance(v, str) and v.isdigit()]
        if not ids:
            raise Refused("no item was checked: check the items to act on, or choose "
                          "'every item matching the filters'", status=400)
        return ItemFilter(ids=ids)
    if scope != "filter":
        raise Refused(f"scope {scope!r} is unknown: use 'selected' or 'filter'", status=400)
    query, problems = LogQuery.parse(form, web.ledger.config.companies)
    if problems:
        raise Refused("; ".join(problems), status=400)
    if query.text or query.run:
        raise Refused("an action on every matching item uses the company, kind, status and "
                      "date filters only: clear the text and run filters, or check the items",
                      status=400)
    mms_id = _field(form, "mms_id", 100)
    selection = query.selection()
    if mms_id is not None:
        selection = ItemFilter(company=selection.company, kind=selection.kind,
                               status=selection.status, date_from=selection.date_from,
                               date_to=selection.date_to, mms_id=mms_id)
    if selection == ItemFilter():
        raise Refused("say which items: choose at least a company, kind, status or date "
                      "filter before acting on every matching item", status=400)
    return selection


def approve_action(web: WebContext, request: Request, form: FormData) -> Response:
    """The review step: approve the checked items; clear or keep the unchecked ones."""
    session = web.require_action(request, form)
    company = _company(web, request)
    unchecked = _field(form, "unchecked") or "keep"
    if unchecked not in ("keep", "clear"):
        raise Refused("unchecked items are either kept or cleared", status=400)
    checked = {int(v) for v in form.getlist("id") if isinstance(v, str) and v.isdigit()}
    shown = {int(v) for v in form.getlist("shown") if isinstance(v, str) and v.isdigit()}
    if unchecked == "clear":
        waiting = {i.id for i in web.ledger.items(
            ItemFilter(company=company, status=[Status.AWAITING_APPROVAL]), limit=None)}
        unseen = waiting - shown
        if unseen:
            # Clearing is final: never clear what the reviewer did not see.
            return _outcome(web, request, form, f"/review/{company}",
                            f"nothing done: {len(unseen)} item(s) arrived since the list was "
                            "shown (or were not on it); review the list again")
    try:
        approved, cleared = web.ledger.approve(company, sorted(checked & shown),
                                               unchecked=unchecked,
                                               actor=session.operator.name)
    except LedgerSyncError as exc:
        return _outcome(web, request, form, f"/review/{company}", _failure(exc))
    return _outcome(web, request, form, f"/review/{company}",
                    f"approved {approved}, cleared {cleared}; the rest wait for the next "
                    "review" if unchecked == "keep" else f"approved {approved}, cleared "
                    f"{cleared}")


def map_action(web: WebContext, request: Request, form: FormData) -> Response:
    """Map an MMS value to a remote one; optionally requeue the failed items that use it."""
    session = web.require_action(request, form)
    company = _company(web, request)
    kind = str(request.path_params["kind"])
    if kind not in MAPPING_KINDS:
        raise Refused(f"{kind!r} is not something the page maps", status=404)
    mms_id = _field(form, "mms_id", 100)
    external_id = _field(form, "external_id", 100)
    back = f"/mappings/{company}/{kind}"
    if mms_id is None or external_id is None:
        return _outcome(web, request, form, back, "nothing mapped: give both the MMS id and "
                        "the accounting system's id")
    actor = session.operator.name
    try:
        released = web.ledger.map(company, kind, mms_id, external_id,
                                  external_name=_field(form, "external_name"), actor=actor)
        requeued = 0
        if _field(form, "requeue_failed"):
            failed = web.ledger.dependents(company, kind, mms_id, status=[Status.ERROR])
            if failed:
                requeued = web.ledger.requeue(ItemFilter(ids=failed), actor=actor)
    except LedgerSyncError as exc:
        return _outcome(web, request, form, back, _failure(exc))
    return _outcome(web, request, form, back,
                    f"mapped {kind} {mms_id} to {external_id}: {released} blocked item(s) "
                    f"released, {requeued} failed item(s) requeued")


def unmap_action(web: WebContext, request: Request, form: FormData) -> Response:
    web.require_action(request, form)
    company = _company(web, request)
    kind = str(request.path_params["kind"])
    mms_id = _field(form, "mms_id", 100)
    back = f"/mappings/{company}/{kind}"
    if mms_id is None or kind not in MAPPING_KINDS:
        return _outcome(web, request, form, back, "nothing removed: say which mapping")
    removed = web.ledger.unmap(company, kind, mms_id)
    return _outcome(web, request, form, back, f"removed the mapping of {kind} {mms_id}"
                    if removed else f"{kind} {mms_id} was not mapped")


def run_action(web: WebContext, request: Request, form: FormData) -> Response:
    session = web.require_action(request, form)
    company = _company(web, request)
    try:
        notice = web.runner.run_now(company, actor=session.operator.name)
    except LedgerSyncError as exc:
        notice = _failure(exc)
    return _outcome(web, request, form, "/", notice)


def resume_action(web: WebContext, request: Request, form: FormData) -> Response:
    session = web.require_action(request, form)
    company = _company(web, request)
    resumed = web.ledger.resume(company, actor=session.operator.name)
    return _outcome(web, request, form, "/", f"{company} resumed" if resumed
                    else f"{company} was not paused")


def in_sync_date_action(web: WebContext, request: Request, form: FormData) -> Response:
    session = web.require_action(request, form)
    company = _company(web, request)
    text = _field(form, "date") or ""
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        return _outcome(web, request, form, f"/review/{company}",
                        f"nothing changed: {text!r} is not a date like 2026-03-31")
    held, released = web.ledger.set_in_sync_date(company, date, actor=session.operator.name)
    return _outcome(web, request, form, f"/review/{company}",
                    f"in-sync date of {company} is now {date}: {held} item(s) marked no-go, "
                    f"{released} released")


def _failure(exc: LedgerSyncError) -> str:
    return f"not done: {exc.message}" + (f". {exc.remedy}" if exc.remedy else "")


def tool_action(web: WebContext, request: Request, form: FormData) -> Response:
    """Run a plugin's company tool (admin by default): a message, or a file to download."""
    company = _company(web, request)
    name = str(request.path_params["tool"])
    tool = next((t for t in web.ledger.company_tools(company)
                 if t.name == name), None)
    if tool is None:
        raise Refused(f"{company} has no tool {name!r}; its tools page lists what it has",
                      status=404)
    web.require_action(request, form, role=tool.role)
    values = {f.name: (_field(form, f.name, 2000) or "") for f in tool.fields}
    back = f"/tools/{company}"
    missing = [f.label for f in tool.fields if f.required and not values[f.name]]
    if missing:
        return _outcome(web, request, form, back, f"nothing done: fill in {', '.join(missing)}")
    try:
        result = tool.run(values)
    except LedgerSyncError as exc:
        return _outcome(web, request, form, back, _failure(exc))
    if result.redirect_to is not None:
        return RedirectResponse(result.redirect_to, status_code=303)
    if result.download is not None:
        filename = (result.download_name or "download").replace('"', "")
        return Response(result.download, media_type=result.media_type, headers={
            "Content-Disposition": f'attachment; filename="{filename}"'})
    return _outcome(web, request, form, back, result.message)
