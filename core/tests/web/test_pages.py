"""What each view of the page shows: companies at a glance, the sync log with its filters and
keyset paging, an item in full, the review step, mappings, reconciliation, plugins."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from starlette.testclient import TestClient

from ledgersync import ItemFilter, Status
from ledgersync.web import WebSettings, create_app

from .conftest import Browser


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<td><a href="/items/(\d+)">', html)]


@pytest.fixture
def failed_invoice(web_ledger, rec, world):
    """harbor: a member synced, and an invoice failed on an inactive item (with its remedy)."""
    web_ledger.record([rec.member()], companies=["harbor"])
    web_ledger.sync("harbor")
    web_ledger.record([rec.invoice("I1")], companies=["harbor"])
    world.fail_next(web_ledger, "inactive")
    web_ledger.sync("harbor")
    assert [i.kind for i in web_ledger.items(ItemFilter(status=[Status.ERROR]))] == ["invoice"]
    return web_ledger


def test_companies_show_connector_counts_and_the_attention_badge(otto, web_ledger, rec,
                                                                 world) -> None:
    web_ledger.record([rec.member()], companies=["harbor"])
    world.fail_next(web_ledger, "inactive")
    web_ledger.sync("harbor")
    html = otto.get("/").text
    assert '<h2 id="company-harbor">harbor' in html
    assert "fake" in html
    assert re.search(r'class="badge" id="attention"[^>]*>1<', html)
    assert 'href="/log?company=harbor&amp;status=error">error</a></td><td>1</td>' in html
    assert "See failed items" in html


def test_a_company_awaiting_review_counts_for_the_badge(otto, web_ledger, rec) -> None:
    web_ledger.record([rec.member(), rec.invoice("I1")], companies=["marina"])
    html = otto.get("/").text
    assert "Review 1 item(s)" in html
    assert re.search(r'id="attention"[^>]*>1<', html)


def test_nothing_to_do_shows_no_badge(otto, synced_harbor) -> None:
    html = otto.get("/").text
    assert 'id="attention"' not in html
    assert "Nothing needs a person." in html


def test_a_paused_company_shows_why_and_what_to_do(otto, web_ledger, rec, world) -> None:
    web_ledger.record([rec.member()], companies=["harbor"])
    world.fail_next(web_ledger, "auth")
    web_ledger.sync("harbor")
    html = otto.get("/").text
    assert "Paused:" in html
    assert "revoked" in html
    assert "then resume with `ledgersync companies resume COMPANY`" in html.replace("&#96;", "`")
    assert 'action="/actions/resume/harbor"' in html


def test_the_log_shows_each_error_with_its_code_and_remedy(otto, failed_invoice) -> None:
    html = otto.get("/log?status=error").text
    assert "[inactive]" in html
    assert "What to do: Reactivate it in the books or map another item" in html


def test_the_log_filters_by_company_kind_status_date_and_text(otto, web_ledger, rec) -> None:
    web_ledger.record([rec.member("M1"), rec.member("M2", "Bo Rower"),
                       rec.invoice("I1", date=dt.date(2026, 1, 5)),
                       rec.invoice("I2", date=dt.date(2026, 2, 5))], companies=["harbor"])
    web_ledger.record([rec.member("M3"), rec.invoice("I9", "M3")], companies=["marina"])
    by_id = {i.id: i for i in web_ledger.items(limit=None)}

    def shown(query: str) -> set[tuple[str, str]]:
        return {(by_id[i].company, by_id[i].mms_id) for i in _ids(otto.get(query).text)}

    assert shown("/log?company=marina") == {("marina", "M3"), ("marina", "I9")}
    assert shown("/log?company=harbor&kind=invoice") == {("harbor", "I1"), ("harbor", "I2")}
    assert shown("/log?status=awaiting_approval") == {("marina", "I9")}
    assert shown("/log?kind=invoice&from=2026-02-01&to=2026-02-28") == {("harbor", "I2")}
    assert shown("/log?kind=invoice&to=2026-01-31") == {("harbor", "I1")}
    assert shown("/log?q=M2") == {("harbor", "M2")}


def test_an_unusable_filter_is_named_and_ignored(otto, web_ledger, rec) -> None:
    web_ledger.record([rec.member()], companies=["harbor"])
    html = otto.get("/log?status=lost&from=yesterday&company=nowhere").text
    assert "status &#39;lost&#39; is not one of" in html
    assert "from &#39;yesterday&#39; is not a date like 2026-03-31" in html
    assert "company &#39;nowhere&#39; is not one of: harbor, marina" in html
    assert len(_ids(html)) == 1


def test_the_log_pages_by_item_id_newest_first(web_ledger, rec) -> None:
    web_ledger.record([rec.member(f"M{n}") for n in range(7)], companies=["harbor"])
    app = create_app(web_ledger, WebSettings(page_size=3, work_runs=False))
    b = Browser(app)
    b.login("otto")
    seen: list[int] = []
    path = "/log?company=harbor"
    while path:
        html = b.get(path).text
        seen += _ids(html)
        older = re.search(r'<a href="(/log\?[^"]+)" rel="next">Older</a>', html)
        path = older.group(1).replace("&amp;", "&") if older else ""
    expected = sorted((i.id for i in web_ledger.items(ItemFilter(company="harbor"))),
                      reverse=True)
    assert seen == expected


def test_the_log_lists_runs_with_their_sections_and_filters_by_run(otto, synced_harbor,
                                                                   rec) -> None:
    run = synced_harbor.runs(company="harbor")[0]
    html = otto.get("/log").text
    assert f'href="/log?run={run.id}&amp;company=harbor&amp;kind=invoice">invoice</a> 2/0/' in html
    synced_harbor.record([rec.member("M9")], companies=["harbor"])  # not in that run
    in_run = {i.mms_id for i in synced_harbor.items(limit=None)
              if i.id in _ids(otto.get(f"/log?run={run.id}").text)}
    assert in_run == {"M1", "I1", "I2"}


def test_htmx_asks_for_the_results_only(otto, synced_harbor) -> None:
    response = otto.client.get("/log?kind=invoice", headers={"HX-Request": "true",
                                                             "HX-Target": "results"})
    assert response.text.lstrip().startswith('<section id="results"')
    assert "<html" not in response.text


def test_an_item_shows_the_record_the_remote_id_and_every_status_change(otto, failed_invoice
                                                                        ) -> None:
    invoice = failed_invoice.items(ItemFilter(kind="invoice"))[0]
    html = otto.get(f"/items/{invoice.id}").text
    assert "Why it failed" in html
    assert "<code>inactive</code>" in html
    assert "What to do:</strong> Reactivate it in the books" in html
    assert "&#34;mms_id&#34;: &#34;I1&#34;" in html  # the MMS record, as JSON
    member = failed_invoice.items(ItemFilter(kind="member"))[0]
    assert f'<a href="/items/{member.id}">member M1</a>' in html
    assert f"{member.external_id} (synced)" in html
    history = failed_invoice.history(invoice.id)
    assert html.count('<tr class="lvl-') == len(history)
    assert "worker-1" in html


def test_an_unknown_item_says_so(otto) -> None:
    response = otto.get("/items/999")
    assert response.status_code == 404
    assert "there is no sync item 999" in response.text


def test_the_review_lists_what_awaits_approval_all_checked(otto, web_ledger, rec) -> None:
    web_ledger.record([rec.member(), rec.invoice("I1"), rec.invoice("I2")],
                      companies=["marina"])
    html = otto.get("/review/marina").text
    assert "2 item(s) awaiting approval" in html
    assert html.count('checked  aria-label="approve item') == 2
    assert "Keep them for the next review" in html
    assert "Clear them" in html


def test_mappings_show_each_unmapped_value_with_the_items_it_blocks(world, rec) -> None:
    ledger = world.open({"harbor": {}}, map_accounts=False)
    ledger.operators().add("otto", "operator", "a long enough passphrase")
    ledger.record([rec.member(), rec.invoice("I1"), rec.invoice("I2")])
    ledger.sync("harbor")
    b = Browser(create_app(ledger, WebSettings(work_runs=False)))
    b.login("otto")
    html = b.get("/mappings/harbor/gl_account").text
    blocked = [i.id for i in ledger.items(ItemFilter(status=[Status.BLOCKED]))]
    assert "<td>GL-4000</td>" in html
    assert all(f'<a href="/items/{i}">{i}</a>' in html for i in blocked)
    assert 'href="/mappings/harbor/gl_account?mms_id=GL-4000">Map GL-4000</a>' in html


def test_mapping_a_member_suggests_the_connectors_match_without_choosing(otto, synced_harbor
                                                                         ) -> None:
    html = otto.get("/mappings/harbor/member?mms_id=M1").text
    assert 'value="M1"' in html
    assert "no customer in the accounting system matches" in html or "suggested:" in html


def test_an_unknown_mapping_kind_or_company_says_so(otto) -> None:
    assert otto.get("/mappings/harbor/colour").status_code == 404
    assert "no company &#39;nowhere&#39;" in otto.get("/reconcile/nowhere").text


def test_reconciliation_ties_out_when_everything_synced(otto, synced_harbor) -> None:
    html = otto.get("/reconcile/harbor").text
    assert "Ties out to the cent" in html


def test_reconciliation_drills_down_to_the_items_behind_a_difference(otto, failed_invoice
                                                                     ) -> None:
    invoice = failed_invoice.items(ItemFilter(kind="invoice"))[0]
    html = otto.get("/reconcile/harbor").text
    assert "Does not tie out" in html
    assert f'<a href="/items/{invoice.id}">invoice I1</a> (-100.00) not synced: error' in html


def test_the_plugins_page_lists_connectors_and_load_errors(otto, web_ledger,
                                                          monkeypatch) -> None:
    from ledgersync import PluginInfo

    broken = PluginInfo(name="broken_plugin", distribution="broken", version="1.0", hooks=(),
                        connectors=(), error="ImportError: no module named x")
    loaded = web_ledger.plugin_info()
    monkeypatch.setattr(web_ledger, "plugin_info", lambda: [*loaded, broken])
    html = otto.get("/plugins").text
    assert "<td>fake</td>" in html
    assert "failed to load: ImportError: no module named x" in html


def test_the_page_mounts_under_a_vendors_prefix(web_ledger) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    vendor = Starlette(routes=[Mount("/accounting", app=create_app(web_ledger))])
    b = Browser(vendor, root="/accounting")  # type: ignore[arg-type]
    first = TestClient(vendor, follow_redirects=False).get("/accounting/log")
    assert first.headers["location"].startswith("/accounting/login?next=/accounting/log")
    response = b.login("otto")
    assert response.url.path == "/accounting/"
    assert 'href="/accounting/log"' in response.text
    assert 'src="/accounting/static/htmx.min.js"' in response.text
    assert b.get("/static/style.css").status_code == 200
