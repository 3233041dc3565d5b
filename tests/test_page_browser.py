"""The Accounting Sync page in a real browser (Debian's chromium, driven by Playwright): the
demo's marina year, its two problems fixed from the page by an operator, a held batch
approved, the books reconciled; a viewer refused every action; an action without its CSRF
token refused.

Screenshots go to the test's temporary folder; set LEDGERSYNC_SCREENSHOTS=DIR to keep them
(docs/images/ holds the ones the README shows, taken this way).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ledgersync
from ledgersync import Invoice, InvoiceLine, ItemFilter, Member, Status
from ledgersync.demo.dataset import ITEMS, generate
from ledgersync.demo.story import INACTIVE_ITEM, LATE_MEMBER
from ledgersync.testing import FakeBooks, FakePlugin
from ledgersync.web import WebSettings, create_app
from ledgersync.web.server import ServerThread

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "a long enough passphrase"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="the browser tests need the playwright package "
    "(pip install -e ./core[browser])")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"no chromium at {CHROMIUM}: `apt-get install chromium` (CI "
                       "installs it; .ci/run and scripts/bootstrap do where they can)"),
]


class Marina:
    """The demo's dataset in a ledger with two companies on the stand-in books: ``fake``
    (synced, then two problems) and ``club`` (a review is required: a batch waits)."""

    def __init__(self, folder: Path) -> None:
        self.books = {name: FakeBooks(str(folder / f"{name}-books.db"))
                      for name in ("fake", "club")}
        config = ledgersync.parse_config({
            "ledger": {"url": f"sqlite:///{folder / 'ledger.db'}"},
            "companies": {
                "fake": {"connector": "fake", "fake": {"books_path": self.books["fake"].path}},
                "club": {"connector": "fake", "approval_required": True,
                         "fake": {"books_path": self.books["club"].path}},
            }})
        self.ledger = ledgersync.open(config, plugins=[FakePlugin()], load_entrypoints=False)
        self.dataset = generate(members=20, seed=7)

    def build(self) -> None:
        ledger, year = self.ledger, self.dataset.year
        ledger.record(self.dataset.records, companies=["fake"])
        ledger.sync("fake")
        # Problem 1: the bookkeeper made the slip item inactive; a new invoice uses it.
        self.books["fake"].set_active("item", INACTIVE_ITEM, False)
        price = next(i.unit_price for i in ITEMS if i.mms_id == INACTIVE_ITEM)
        assert price is not None
        ledger.record([Invoice(
            mms_id="INV-SLIP-1", member_id="M-0001", number="SLIP1",
            txn_date=dt.date(year, 12, 1), currency="USD",
            lines=(InvoiceLine(item_id=INACTIVE_ITEM, description="Winter slip", quantity=1,
                               rate=price, amount=price),))], companies=["fake"])
        # Problem 2: a late member's customer deleted before their first invoice arrives.
        ledger.record([Member(mms_id=LATE_MEMBER, display_name="Late Joiner",
                              email="late.joiner@example.org")], companies=["fake"])
        ledger.sync("fake")
        self.books["fake"].delete("member", LATE_MEMBER)
        dues = next(i.unit_price for i in ITEMS if i.mms_id == "DUES")
        assert dues is not None
        ledger.record([Invoice(
            mms_id="INV-LATE-1", member_id=LATE_MEMBER, number="LATE1",
            txn_date=dt.date(year, 12, 15), currency="USD",
            lines=(InvoiceLine(item_id="DUES", description="Prorated dues", quantity=1,
                               rate=dues, amount=dues),))], companies=["fake"])
        ledger.sync("fake")
        # The club's first batch waits for review.
        first = [r for r in self.dataset.records
                 if r.kind in ("gl_account", "tax_rate", "terms", "item")
                 or getattr(r, "member_id", None) == "M-0002" or r.mms_id == "M-0002"]
        ledger.record([r for r in first if r.kind != "journal_entry"], companies=["club"])
        for name, role in (("olive", "operator"), ("victor", "viewer")):
            ledger.operators().add(name, role, PASSWORD)

    def remote_id(self, kind: str, mms_id: str) -> str:
        found = self.ledger.items(ItemFilter(company="fake", kind=kind, mms_id=mms_id))
        assert found
        assert found[0].external_id is not None
        return found[0].external_id


@pytest.fixture(scope="module")
def marina(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Marina]:
    m = Marina(tmp_path_factory.mktemp("marina"))
    m.build()
    yield m
    m.ledger.close()


@pytest.fixture(scope="module")
def server(marina: Marina) -> Iterator[str]:
    app = create_app(marina.ledger, WebSettings(work_runs=True))
    with ServerThread(app) as running:
        yield running.url
    app.web.runner.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("screenshots")
    yield folder
    keep = os.environ.get("LEDGERSYNC_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for shot in folder.glob("*.png"):
            shutil.copy(shot, Path(keep) / shot.name)


def _sign_in(browser: Any, url: str, name: str, **context: Any) -> Any:
    page = browser.new_context(**context).new_page()
    page.goto(f"{url}/login")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/")
    return page


def _wait_until_idle(page: Any, url: str, marina: Marina, company: str) -> None:
    deadline = time.monotonic() + 120
    busy = (Status.PENDING, Status.RETRY_WAIT, Status.IN_FLIGHT, Status.BLOCKED,
            Status.IN_DOUBT)
    while marina.ledger.items(ItemFilter(company=company, status=list(busy)), limit=1):
        assert time.monotonic() < deadline, f"{company} did not finish its run"
        time.sleep(0.2)
    page.goto(f"{url}/")


def test_an_operator_fixes_both_problems_approves_a_batch_and_ties_out(
        marina: Marina, server: str, browser: Any, shots: Path) -> None:
    url = server
    page = _sign_in(browser, url, "olive", viewport={"width": 1280, "height": 900})

    # The attention badge, and the failed items with their remedies.
    badge = page.locator("#attention")
    assert int(badge.inner_text().split()[0]) >= 2
    page.screenshot(path=str(shots / "companies.png"), full_page=True)
    page.locator("#company-fake").locator("..").get_by_role(
        "link", name="See failed items").click()
    rows = page.locator("table.items tbody tr")
    assert rows.count() == 2
    text = page.locator("#results").inner_text()
    assert "is inactive in the books" in text
    assert "What to do: Reactivate it in the books, or map the MMS record to another" in text
    assert "was deleted in the books" in text
    assert "What to do: Unlink it with `ledgersync unlink`" in text
    page.screenshot(path=str(shots / "log.png"), full_page=True)

    # Problem 1: map the inactive item to another one, which requeues the failed invoice.
    page.locator("tr", has_text="INV-SLIP-1").get_by_role("link").first.click()
    assert "Why it failed" in page.content()
    page.screenshot(path=str(shots / "item.png"), full_page=True)
    page.get_by_role("link", name=f"Map {INACTIVE_ITEM} to another").click()
    assert page.get_by_label("MMS id").input_value() == INACTIVE_ITEM
    page.get_by_label("Accounting system's id").fill(marina.remote_id("item", "SLIP-30"))
    page.get_by_label("Its name (for display)").fill("Slip rental 30ft")
    page.get_by_role("button", name="Map").click()
    assert "1 failed item(s) requeued" in page.locator(".notice").inner_text()

    # Problem 2: unlink the deleted customer, then requeue the invoice.
    page.goto(f"{url}/log?company=fake&status=error")
    assert page.locator("table.items tbody tr").count() == 1
    page.locator("tr", has_text="INV-LATE-1").get_by_role("link").first.click()
    page.get_by_role("button", name=f"Unlink {LATE_MEMBER} (clear ID)").click()
    assert page.locator(".notice").inner_text() == "unlinked 1 item(s)"
    page.get_by_role("button", name="Requeue").click()
    assert page.locator(".notice").inner_text() == "requeued 1 item(s)"

    # Run now, and everything syncs.
    page.goto(f"{url}/")
    page.locator("#company-fake").locator("..").get_by_role("button", name="Run now").click()
    assert "fake: run" in page.locator(".notice").inner_text()
    _wait_until_idle(page, url, marina, "fake")
    assert not marina.ledger.items(ItemFilter(company="fake", status=[Status.ERROR]))

    # The club's held batch: approve all checked, then run it.
    page.goto(f"{url}/review/club")
    held = page.locator("input[name=id]").count()
    assert held > 0
    page.get_by_role("button", name="Approve checked").click()
    assert page.locator(".notice").inner_text().startswith(f"approved {held}, cleared 0")
    page.goto(f"{url}/")
    page.locator("#company-club").locator("..").get_by_role("button", name="Run now").click()
    _wait_until_idle(page, url, marina, "club")
    assert page.locator("#attention").count() == 0

    # Reconciliation ties out for both.
    for company in ("fake", "club"):
        page.goto(f"{url}/reconcile/{company}")
        assert "Ties out to the cent" in page.locator(".verdict").inner_text(), company
    page.screenshot(path=str(shots / "reconcile.png"), full_page=True)

    # Who did it: the operator's name is in the items' history.
    late = marina.ledger.items(ItemFilter(company="fake", mms_id="INV-LATE-1"))[0]
    assert "olive" in {e.actor for e in marina.ledger.history(late.id)}


def test_a_viewer_sees_the_pages_and_every_action_is_refused(
        marina: Marina, server: str, browser: Any, shots: Path) -> None:
    url = server
    page = _sign_in(browser, url, "victor")
    for path in ("/", "/log", "/review/club", "/mappings/fake/item", "/reconcile/fake",
                 "/plugins"):
        response = page.goto(url + path)
        assert response.status == 200, path
        assert page.locator("form[action*='/actions/']").count() == 0, path
    token = page.locator("input[name=csrf_token]").first.input_value()
    for path, form in (("/actions/run/fake", {}),
                       ("/actions/items", {"verb": "requeue", "scope": "filter",
                                           "company": "fake"}),
                       ("/actions/approve/club", {}),
                       ("/actions/map/fake/item", {"mms_id": "X", "external_id": "1"}),
                       ("/actions/resume/fake", {})):
        answer = page.request.post(url + path, form={"csrf_token": token, **form})
        assert answer.status == 403, path
        assert "victor is a viewer" in answer.text(), path
    page.goto(f"{url}/log")
    page.screenshot(path=str(shots / "viewer-log.png"), full_page=True)


def test_an_action_without_its_csrf_token_is_refused(marina: Marina, server: str,
                                                     browser: Any) -> None:
    page = _sign_in(browser, server, "olive")
    runs = len(marina.ledger.runs(company="fake", limit=100))
    answer = page.request.post(f"{server}/actions/run/fake", form={})
    assert answer.status == 403
    assert "security token is missing or stale" in answer.text()
    assert len(marina.ledger.runs(company="fake", limit=100)) == runs


def test_the_page_fits_a_phone_and_starts_with_a_skip_link(marina: Marina, server: str,
                                                           browser: Any, shots: Path) -> None:
    page = _sign_in(browser, server, "victor", viewport={"width": 375, "height": 740})
    for path in ("/", "/log?company=fake", "/reconcile/fake"):
        page.goto(server + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (path, width)
    page.screenshot(path=str(shots / "phone-log.png"), full_page=True)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"


def test_the_log_filters_refresh_in_place_with_htmx_and_without_script_errors(
        marina: Marina, server: str, browser: Any) -> None:
    page = _sign_in(browser, server, "victor")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/log")
    page.get_by_label("Section").select_option("payment")
    page.wait_for_url(re.compile(r"kind=payment"))
    page.wait_for_function("!document.querySelector('#results').innerText.includes('invoice')")
    kinds = page.locator("table.items tbody tr td:nth-child(3)").all_inner_texts()
    assert kinds
    assert all(k.startswith("payment") for k in kinds)
    assert errors == []
