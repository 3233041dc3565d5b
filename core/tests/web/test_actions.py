"""The page's actions go through the Ledger's operator methods, as the CLI does, and land in
each item's history with the operator's name."""

from __future__ import annotations

import datetime as dt

import pytest

import ledgersync
from ledgersync import ItemFilter, Status
from ledgersync.web import WebSettings


@pytest.fixture
def failed(web_ledger, rec, world):
    """harbor: member M1 synced; invoices I1 and I2 failed (a person must act)."""
    web_ledger.record([rec.member()], companies=["harbor"])
    web_ledger.sync("harbor")
    web_ledger.record([rec.invoice("I1"), rec.invoice("I2")], companies=["harbor"])
    world.fail_next(web_ledger, "inactive", "inactive")
    web_ledger.sync("harbor")
    return web_ledger


def _item(ledger, mms_id, company="harbor"):
    return ledger.items(ItemFilter(company=company, mms_id=mms_id))[0]


def test_requeue_of_checked_items_names_the_operator_in_the_history(otto, failed,
                                                                    page_notice) -> None:
    i1 = _item(failed, "I1")
    response = otto.act("/actions/items", {"verb": "requeue", "scope": "selected",
                                           "id": str(i1.id), "next": "/log?status=error"})
    assert page_notice(response) == "requeued 1 item(s)"
    assert response.url.path == "/log"
    assert _item(failed, "I1").status == "pending"
    assert _item(failed, "I2").status == "error"
    assert failed.history(i1.id)[-1].actor == "otto"


def test_requeue_by_filter_acts_on_every_matching_item(otto, failed, page_notice) -> None:
    response = otto.act("/actions/items", {"verb": "requeue", "scope": "filter",
                                           "company": "harbor", "status": "error"})
    assert page_notice(response) == "requeued 2 item(s)"
    assert not failed.items(ItemFilter(status=[Status.ERROR]))


def test_an_action_by_filter_needs_a_filter(otto, failed) -> None:
    response = otto.act("/actions/items", {"verb": "no-go", "scope": "filter"})
    assert response.status_code == 400
    assert "choose at least a company, kind, status or date filter" in response.text
    assert not failed.items(ItemFilter(status=[Status.NO_GO]))


def test_an_action_by_filter_refuses_the_text_filter_it_cannot_apply(otto, failed) -> None:
    response = otto.act("/actions/items", {"verb": "requeue", "scope": "filter",
                                           "company": "harbor", "q": "I1"})
    assert response.status_code == 400
    assert len(failed.items(ItemFilter(status=[Status.ERROR]))) == 2


def test_an_action_on_no_checked_item_says_so(otto, failed) -> None:
    response = otto.act("/actions/items", {"verb": "requeue", "scope": "selected"})
    assert response.status_code == 400
    assert "no item was checked" in response.text


def test_an_unknown_verb_is_refused(otto, failed) -> None:
    response = otto.act("/actions/items", {"verb": "delete", "scope": "selected", "id": "1"})
    assert response.status_code == 400
    assert "&#39;delete&#39; is not an action on items" in response.text


def test_mark_no_go_by_selection_keeps_the_reason_and_who(otto, failed) -> None:
    i2 = _item(failed, "I2")
    otto.act("/actions/items", {"verb": "no-go", "scope": "selected", "id": str(i2.id),
                                "reason": "paid in cash before the in-sync date"})
    detail = failed.item_detail(i2.id)
    assert detail.item.status == "no_go"
    assert detail.mark_reason == "paid in cash before the in-sync date"
    assert detail.marked_by == "otto"


def test_unlink_clears_the_remote_id_of_a_synced_record(otto, failed, page_notice) -> None:
    member = _item(failed, "M1")
    response = otto.act("/actions/items", {"verb": "unlink", "scope": "filter",
                                           "company": "harbor", "kind": "member",
                                           "mms_id": "M1", "next": f"/items/{member.id}"})
    assert page_notice(response) == "unlinked 1 item(s)"
    assert response.url.path == f"/items/{member.id}"
    assert failed.history(member.id)[-1].actor == "otto"


def test_resync_queues_an_update_of_a_synced_record(otto, failed, page_notice) -> None:
    member = _item(failed, "M1")
    response = otto.act("/actions/items", {"verb": "resync", "scope": "selected",
                                           "id": str(member.id)})
    assert page_notice(response) == "queued for resync 1 item(s)"
    update = failed.items(ItemFilter(mms_id="M1", operation="update"))[0]
    assert update.status == "pending"
    assert failed.history(update.id)[-1].actor == "otto"


def test_an_action_on_an_item_it_does_not_apply_to_says_why(otto, failed, page_notice
                                                             ) -> None:
    member = _item(failed, "M1")  # synced: nothing to requeue
    response = otto.act("/actions/items", {"verb": "requeue", "scope": "selected",
                                           "id": str(member.id)})
    assert page_notice(response).startswith(f"not done: no sync item with id {member.id} "
                                            "and status error")
    assert _item(failed, "M1").status == "synced"


@pytest.fixture
def held(web_ledger, rec):
    """marina (review required): three invoices awaiting approval."""
    web_ledger.record([rec.member(), rec.invoice("I1"), rec.invoice("I2"), rec.invoice("I3")],
                      companies=["marina"])
    return {i.mms_id: i.id for i in web_ledger.items(
        ItemFilter(company="marina", status=[Status.AWAITING_APPROVAL]))}


def test_approve_checked_keeps_the_unchecked_for_the_next_review(otto, web_ledger, held,
                                                                 page_notice) -> None:
    response = otto.act("/actions/approve/marina", {
        "id": [str(held["I1"]), str(held["I2"])], "shown": list(map(str, held.values())),
        "unchecked": "keep"})
    assert page_notice(response).startswith("approved 2, cleared 0")
    assert _item(web_ledger, "I3", "marina").status == "awaiting_approval"
    assert web_ledger.history(held["I1"])[-1].actor == "otto"


def test_approve_checked_can_clear_the_unchecked(otto, web_ledger, held) -> None:
    otto.act("/actions/approve/marina", {"id": [str(held["I1"])],
                                         "shown": list(map(str, held.values())),
                                         "unchecked": "clear"})
    assert _item(web_ledger, "I2", "marina").status == "cleared"


def test_clearing_never_touches_items_the_reviewer_was_not_shown(otto, web_ledger, held, rec,
                                                                 page_notice) -> None:
    shown = list(map(str, held.values()))
    web_ledger.record([rec.invoice("I4")], companies=["marina"])  # arrives meanwhile
    response = otto.act("/actions/approve/marina", {"id": [str(held["I1"])], "shown": shown,
                                                    "unchecked": "clear"})
    assert page_notice(response).startswith("nothing done: 1 item(s) arrived")
    assert not web_ledger.items(ItemFilter(status=[Status.CLEARED]))
    assert _item(web_ledger, "I1", "marina").status == "awaiting_approval"


def test_mapping_releases_blocked_items_and_requeues_failed_ones(world, rec, page_notice
                                                                 ) -> None:
    from ledgersync.web import create_app

    from .conftest import PASSWORD, Browser

    ledger = world.open({"harbor": {}}, map_accounts=False)
    ledger.operators().add("otto", "operator", PASSWORD)
    ledger.record([rec.member(), rec.invoice("I1")])
    ledger.sync("harbor")
    assert _item(ledger, "I1").status == "blocked"
    b = Browser(create_app(ledger, WebSettings(work_runs=False)))
    b.login("otto")
    response = b.act("/actions/map/harbor/gl_account", {
        "mms_id": "GL-4000", "external_id": "acc-4000", "external_name": "Dues income",
        "requeue_failed": "1"})
    assert page_notice(response) == ("mapped gl_account GL-4000 to acc-4000: 1 blocked item(s) "
                                     "released, 0 failed item(s) requeued")
    assert _item(ledger, "I1").status == "pending"
    overview = ledger.mapping_overview("harbor", "gl_account")
    assert [(m.mms_id, m.external_id, m.mapped_by) for m in overview.mapped] == [
        ("GL-4000", "acc-4000", "otto")]


def test_mapping_around_an_inactive_record_requeues_the_items_that_failed_on_it(
        otto, failed, books, page_notice) -> None:
    response = otto.act("/actions/map/harbor/member", {
        "mms_id": "M1", "external_id": "77", "requeue_failed": "1"})
    assert page_notice(response).endswith("2 failed item(s) requeued")
    assert {_item(failed, "I1").status, _item(failed, "I2").status} == {"pending"}


def test_mapping_without_a_remote_id_says_what_is_missing(otto, failed, page_notice) -> None:
    response = otto.act("/actions/map/harbor/item", {"mms_id": "SLIP-40"})
    assert "give both the MMS id and the accounting system's id" in page_notice(response)
    assert not failed.mapping_overview("harbor", "item").mapped


def test_unmap_removes_a_mapping(otto, web_ledger, page_notice) -> None:
    response = otto.act("/actions/unmap/harbor/gl_account", {"mms_id": "GL-4000"})
    assert page_notice(response) == "removed the mapping of gl_account GL-4000"
    assert not web_ledger.mapping_overview("harbor", "gl_account").mapped


def test_run_now_works_the_run_in_the_background(web_ledger, rec, page_notice) -> None:
    from ledgersync.web import create_app

    from .conftest import Browser

    web_ledger.record([rec.member()], companies=["harbor"])
    app = create_app(web_ledger, WebSettings(work_runs=True))
    b = Browser(app)
    b.login("otto")
    response = b.act("/actions/run/harbor")
    assert "opened and started" in page_notice(response)
    app.web.runner.join(timeout=30)
    assert _item(web_ledger, "M1").status == "synced"
    assert web_ledger.runs(company="harbor")[0].status == "finished"


def test_run_now_without_page_workers_leaves_the_run_to_a_worker(otto, web_ledger, rec,
                                                                 page_notice) -> None:
    web_ledger.record([rec.member()], companies=["harbor"])
    response = otto.act("/actions/run/harbor")
    assert "a worker (`ledgersync worker`) will work it" in page_notice(response)
    assert web_ledger.runs(company="harbor")[0].status == "queued"
    assert web_ledger.items(ItemFilter(company="harbor"))[0].status == "pending"


def test_resume_lifts_a_pause(otto, web_ledger, rec, world, page_notice) -> None:
    web_ledger.record([rec.member()], companies=["harbor"])
    world.fail_next(web_ledger, "auth")
    web_ledger.sync("harbor")
    response = otto.act("/actions/resume/harbor")
    assert page_notice(response) == "harbor resumed"
    assert not any(c.paused_reason for c in web_ledger.companies())


def test_the_in_sync_date_marks_older_transactions_no_go(otto, web_ledger, rec,
                                                        page_notice) -> None:
    web_ledger.record([rec.member(), rec.invoice("I1", date=dt.date(2025, 12, 1))],
                      companies=["harbor"])
    response = otto.act("/actions/in-sync-date/harbor", {"date": "2026-01-01"})
    assert page_notice(response).startswith("in-sync date of harbor is now 2026-01-01: 1 item")
    assert _item(web_ledger, "I1").status == "no_go"


def test_a_bad_in_sync_date_changes_nothing(otto, web_ledger, page_notice) -> None:
    response = otto.act("/actions/in-sync-date/harbor", {"date": "soon"})
    assert "'soon' is not a date like 2026-03-31" in page_notice(response)
    assert not any(c.in_sync_date for c in web_ledger.companies())


class _ToolPlugin:
    """A plugin offering one operator-level tool that records what it was given."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []

    @ledgersync.hookimpl
    def ledgersync_web_company_tools(self, ledger, company):
        def run(values):
            self.seen.append(dict(values))
            return ledgersync.ToolResult(message=f"checked {values['account']}")

        return [ledgersync.CompanyTool(
            name="check", title="Check the account", description="Asks the books.",
            fields=(ledgersync.ToolField(name="account", label="Account"),), run=run,
            role="operator")]


@pytest.fixture
def tool_page(world):
    from ledgersync.web import create_app

    from .conftest import PASSWORD, Browser

    plugin = _ToolPlugin()
    ledger = world.open({"harbor": {}}, plugins=(plugin,))
    ledger.operators().add("otto", "operator", PASSWORD)
    b = Browser(create_app(ledger, WebSettings(work_runs=False)))
    b.login("otto")
    return b, plugin


def test_a_plugins_company_tool_runs_with_the_submitted_values(tool_page, page_notice) -> None:
    b, plugin = tool_page
    assert "Check the account" in b.get("/tools/harbor").text
    response = b.act("/actions/tool/harbor/check", {"account": "4000"})
    assert page_notice(response) == "checked 4000"
    assert plugin.seen == [{"account": "4000"}]


def test_a_tool_with_a_required_field_left_empty_is_not_run(tool_page, page_notice) -> None:
    b, plugin = tool_page
    response = b.act("/actions/tool/harbor/check", {"account": " "})
    assert page_notice(response) == "nothing done: fill in Account"
    assert plugin.seen == []


def test_an_unknown_tool_says_so(tool_page) -> None:
    b, _ = tool_page
    response = b.act("/actions/tool/harbor/format-disk")
    assert response.status_code == 404
    assert "harbor has no tool &#39;format-disk&#39;" in response.text
