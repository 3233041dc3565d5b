"""The page's read views: companies, the sync log, one item, the review step, mappings,
reconciliation, plugins. Each is plain HTML (no JavaScript needed); a viewer sees them all."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import attrs
from starlette.requests import Request
from starlette.responses import Response

from .._engine.filters import ItemFilter
from .._engine.statuses import Status
from .._errors import LedgerSyncError
from .context import Refused, WebContext

#: The sections of the sync log, in the order of the books.
SECTIONS = ("member", "item", "gl_account", "tax_rate", "terms", "invoice", "payment",
            "credit_memo", "refund", "journal_entry")
#: Mapping kinds a person maps on the page (MMS kind -> what the page calls it).
MAPPING_KINDS = {"member": "customers", "gl_account": "accounts", "item": "items",
                 "tax_rate": "tax codes", "terms": "terms", "dimension": "dimensions"}
STATUSES = tuple(s.value for s in Status)
REVIEW_LIMIT = 1000


@attrs.frozen(kw_only=True)
class LogQuery:
    """The sync log's filters as the URL carries them (every one optional)."""

    company: str | None = None
    kind: str | None = None
    status: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str | None = None
    run: int | None = None
    before: int | None = None

    @classmethod
    def parse(cls, params: Any, companies: Any) -> tuple[LogQuery, list[str]]:
        """The filters, and a problem per value that is not usable (shown, not fatal)."""
        problems: list[str] = []

        def choice(name: str, allowed: Any) -> str | None:
            value = (params.get(name) or "").strip()
            if not value:
                return None
            if value not in allowed:
                problems.append(f"{name} {value!r} is not one of: {', '.join(sorted(allowed))}")
                return None
            return value

        def date(name: str) -> dt.date | None:
            value = (params.get(name) or "").strip()
            if not value:
                return None
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                problems.append(f"{name} {value!r} is not a date like 2026-03-31")
                return None

        def number(name: str) -> int | None:
            value = (params.get(name) or "").strip()
            if not value:
                return None
            if not value.isdigit():
                problems.append(f"{name} {value!r} is not a number")
                return None
            return int(value)

        text = (params.get("q") or "").strip()[:200] or None
        return cls(company=choice("company", companies), kind=choice("kind", SECTIONS),
                   status=choice("status", STATUSES), date_from=date("from"),
                   date_to=date("to"), text=text, run=number("run"),
                   before=number("before")), problems

    def selection(self) -> ItemFilter:
        return ItemFilter(company=self.company, kind=self.kind,
                          status=[Status(self.status)] if self.status else None,
                          date_from=self.date_from, date_to=self.date_to)

    def is_empty(self) -> bool:
        return attrs.evolve(self, before=None) == LogQuery()

    def params(self, **changes: Any) -> dict[str, str]:
        query = attrs.evolve(self, **changes)
        pairs = {"company": query.company, "kind": query.kind, "status": query.status,
                 "from": query.date_from, "to": query.date_to, "q": query.text,
                 "run": query.run, "before": query.before}
        return {k: str(v) for k, v in pairs.items() if v is not None}

    def url(self, **changes: Any) -> str:
        return "?" + urlencode(self.params(**changes))


def companies_view(web: WebContext, request: Request) -> Response:
    web.require(request)
    ledger = web.ledger
    states = {c.name: c for c in ledger.companies()}
    counts = ledger.status_counts()
    rows = []
    for company in ledger.config.companies.values():
        state = states.get(company.name)
        runs = ledger.runs(company=company.name, limit=1)
        mine = {s: n for (c, s), n in counts.items() if c == company.name}
        rows.append({
            "config": company, "state": state, "last_run": runs[0] if runs else None,
            "counts": mine, "busy": web.runner.busy(company.name),
            "needs_person": mine.get("error", 0) + mine.get("awaiting_approval", 0)
            + (1 if state and state.paused_reason else 0),
        })
    return web.render(request, "companies.html", rows=rows, title="Companies")


def log_view(web: WebContext, request: Request) -> Response:
    web.require(request)
    ledger = web.ledger
    query, problems = LogQuery.parse(request.query_params, ledger.config.companies)
    page = ledger.browse(query.selection(), text=query.text, run_id=query.run,
                         before=query.before, limit=web.settings.page_size)
    runs = ledger.runs(company=query.company, limit=10) if query.before is None else []
    context: dict[str, Any] = {"query": query, "page": page, "problems": problems, "runs": runs,
               "companies": sorted(ledger.config.companies), "sections": SECTIONS,
               "statuses": STATUSES, "title": "Sync log"}
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "results":
        return web.render(request, "_results.html", **context)
    return web.render(request, "log.html", **context)


def item_view(web: WebContext, request: Request) -> Response:
    web.require(request)
    item_id = int(request.path_params["item_id"])
    detail = web.ledger.item_detail(item_id)
    if detail is None:
        raise Refused(f"there is no sync item {item_id}: it may have been typed wrong; find "
                      "items on the sync log", status=404)
    return web.render(request, "item.html", detail=detail, item=detail.item,
                      mapping_kinds=MAPPING_KINDS, title=f"Item {item_id}")


def review_view(web: WebContext, request: Request) -> Response:
    web.require(request)
    company = _company(web, request)
    waiting = web.ledger.items(ItemFilter(company=company, status=[Status.AWAITING_APPROVAL]),
                               limit=REVIEW_LIMIT + 1)
    config = web.ledger.config.companies[company]
    state = next((c for c in web.ledger.companies() if c.name == company), None)
    in_sync = state.in_sync_date if state and state.in_sync_date else config.in_sync_date
    return web.render(request, "review.html", company=company, waiting=waiting[:REVIEW_LIMIT],
                      more=len(waiting) > REVIEW_LIMIT, in_sync_date=in_sync,
                      approval_required=config.approval_required, title=f"Review: {company}")


def review_index(web: WebContext, request: Request) -> Response:
    web.require(request)
    counts = web.ledger.attention_counts()
    companies = [(name, counts.get((name, Status.AWAITING_APPROVAL.value), 0))
                 for name in sorted(web.ledger.config.companies)]
    return web.render(request, "review_index.html", companies=companies, title="Review")


def mappings_index(web: WebContext, request: Request) -> Response:
    web.require(request)
    return web.render(request, "mappings_index.html",
                      companies=sorted(web.ledger.config.companies), kinds=MAPPING_KINDS,
                      title="Mappings")


def mappings_view(web: WebContext, request: Request) -> Response:
    web.require(request)
    company = _company(web, request)
    kind = request.path_params["kind"]
    if kind not in MAPPING_KINDS:
        raise Refused(f"{kind!r} is not something the page maps; choose one of "
                      f"{', '.join(MAPPING_KINDS)}", status=404)
    overview = web.ledger.mapping_overview(company, kind)
    chosen = (request.query_params.get("mms_id") or "").strip()[:100] or None
    suggestion = _suggest(web, company, kind, chosen)
    return web.render(request, "mappings.html", overview=overview, company=company, kind=kind,
                      kinds=MAPPING_KINDS, chosen=chosen, suggestion=suggestion,
                      title=f"Mappings: {company}, {MAPPING_KINDS[kind]}")


def _suggest(web: WebContext, company: str, kind: str, mms_id: str | None) -> str | None:
    """For a member: the connector's own match (it refuses to choose between two), in words."""
    if kind != "member" or mms_id is None:
        return None
    record = web.ledger.recorded(company, "member", mms_id)
    if record is None:
        return None
    try:
        match = web.ledger.connector(company).map_customer(record)  # type: ignore[arg-type]
    except LedgerSyncError as exc:
        return f"no suggestion: {exc.message}"
    except Exception:  # noqa: BLE001 - a failing search must not hide the mapping form
        return "no suggestion: the accounting system could not be searched just now"
    if match is None:
        return "no customer in the accounting system matches this member"
    return (f"suggested: {match.display_name} (remote id {match.external_id}, matched by "
            f"{match.matched_by}); map it below to confirm")


def reconcile_view(web: WebContext, request: Request) -> Response:
    web.require(request)
    company = _company(web, request)
    as_of_text = (request.query_params.get("as_of") or "").strip()
    problems: list[str] = []
    as_of = None
    if as_of_text:
        try:
            as_of = dt.date.fromisoformat(as_of_text)
        except ValueError:
            problems.append(f"as of {as_of_text!r} is not a date like 2026-03-31")
    try:
        report = web.ledger.reconcile(company, as_of=as_of)
    except LedgerSyncError as exc:
        return web.render(request, "reconcile.html", company=company, report=None,
                          problems=[*problems, exc.message + (f". {exc.remedy}"
                                                              if exc.remedy else "")],
                          show_all=False, as_of=as_of_text, title=f"Reconcile: {company}")
    show_all = request.query_params.get("all") == "1"
    return web.render(request, "reconcile.html", company=company, report=report,
                      problems=problems, show_all=show_all, as_of=as_of_text,
                      title=f"Reconcile: {company}")


def reconcile_index(web: WebContext, request: Request) -> Response:
    web.require(request)
    return web.render(request, "reconcile_index.html",
                      companies=sorted(web.ledger.config.companies), title="Reconcile")


def plugins_view(web: WebContext, request: Request) -> Response:
    web.require(request)
    return web.render(request, "plugins.html", plugins=web.ledger.plugin_info(),
                      mounts=web.mounts, companies=list(web.ledger.config.companies.values()),
                      title="Plugins")


def _company(web: WebContext, request: Request) -> str:
    company = str(request.path_params["company"])
    if company not in web.ledger.config.companies:
        raise Refused(f"there is no company {company!r} in the config; the companies page "
                      "lists them", status=404)
    return company


def tools_view(web: WebContext, request: Request) -> Response:
    """A company's connector tools (credentials, setup files) that this operator may use."""
    session = web.require(request)
    company = _company(web, request)
    config = web.ledger.config.companies[company]
    tools = [t for t in web.ledger.company_tools(company)
             if session.operator.may(t.role)]
    return web.render(request, "tools.html", company=company, tools=tools,
                      connector=config.connector, title=f"Connector tools: {company}")
