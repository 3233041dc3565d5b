"""What every response and every action of the page guarantees: security headers, the CSRF
token, the origin check, the viewer's refusals, and no secret on any page."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from ledgersync import ItemFilter, Status

PAGES = ["/", "/log", "/items/1", "/review", "/review/marina", "/mappings",
         "/mappings/harbor/gl_account", "/mappings/harbor/member", "/reconcile",
         "/reconcile/harbor", "/plugins"]

#: Every action of the page, with a form that would do something for an operator.
ACTIONS = [
    ("/actions/items", {"verb": "requeue", "scope": "selected", "id": "1"}),
    ("/actions/items", {"verb": "no-go", "scope": "filter", "company": "harbor"}),
    ("/actions/approve/marina", {"id": "1", "shown": "1"}),
    ("/actions/map/harbor/gl_account", {"mms_id": "GL-9", "external_id": "acc-9"}),
    ("/actions/unmap/harbor/gl_account", {"mms_id": "GL-4000"}),
    ("/actions/run/harbor", {}),
    ("/actions/resume/harbor", {}),
    ("/actions/in-sync-date/harbor", {"date": "2026-01-01"}),
]


def test_every_page_carries_the_security_headers(otto, synced_harbor) -> None:
    for path in [*PAGES, "/login", "/static/style.css"]:
        headers = otto.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path


def test_pages_are_not_cached_but_static_files_may_be(otto) -> None:
    assert otto.get("/log").headers["cache-control"] == "no-store"
    assert "no-store" not in otto.get("/static/htmx.min.js").headers.get("cache-control", "")


def test_the_page_loads_htmx_from_itself_and_nothing_from_elsewhere(otto) -> None:
    html = otto.get("/").text
    assert '<script src="/static/htmx.min.js" defer></script>' in html
    assert "http://" not in html
    assert "https://" not in html
    assert otto.get("/static/htmx.min.js").status_code == 200


@pytest.mark.parametrize(("path", "form"), ACTIONS)
def test_an_action_without_the_csrf_token_is_refused_and_changes_nothing(
        otto, synced_harbor, path, form) -> None:
    before = synced_harbor.items(limit=None)
    response = otto.act(path, form, csrf=False)
    assert response.status_code == 403
    assert "security token is missing or stale" in response.text
    assert synced_harbor.items(limit=None) == before


def test_an_action_with_another_sessions_token_is_refused(otto, vera, synced_harbor) -> None:
    otto.csrf = vera.csrf
    assert otto.act("/actions/items", {"verb": "no-go", "scope": "filter",
                                       "company": "harbor"}).status_code == 403


def test_an_action_posted_from_another_site_is_refused(otto, synced_harbor) -> None:
    runs = len(synced_harbor.runs(company="harbor"))
    response = otto.client.post("/actions/run/harbor", data={"csrf_token": otto.csrf},
                                headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert "from another site" in response.text
    assert len(synced_harbor.runs(company="harbor")) == runs


@pytest.mark.parametrize("path", PAGES)
def test_a_viewer_sees_every_page(vera, synced_harbor, path) -> None:
    assert vera.get(path).status_code == 200


def test_a_viewer_is_shown_no_action_buttons(vera, synced_harbor) -> None:
    for path in PAGES:
        html = vera.get(path).text
        assert 'action="/actions/' not in html, path


@pytest.mark.parametrize(("path", "form"), ACTIONS)
def test_a_viewer_is_refused_every_action_even_with_the_token(vera, synced_harbor, path,
                                                              form) -> None:
    before = synced_harbor.items(limit=None)
    response = vera.act(path, form)
    assert response.status_code == 403
    assert "vera is a viewer" in response.text
    assert synced_harbor.items(limit=None) == before


def test_an_action_without_a_session_is_refused(app, synced_harbor) -> None:
    response = TestClient(app).post("/actions/run/harbor", data={"csrf_token": "x"})
    assert response.status_code == 401


def test_no_secret_is_ever_rendered(otto, synced_harbor, world, monkeypatch) -> None:
    from ledgersync._secrets import generate_key

    monkeypatch.setenv("LEDGERSYNC_SECRET_KEY", generate_key())
    synced_harbor.secrets("harbor").set("oauth_refresh_token", "SECRET-TOKEN-VALUE")
    for path in PAGES:
        html = otto.get(path).text
        assert "SECRET-TOKEN-VALUE" not in html, path
        assert "scrypt$" not in html, path
        assert world.books_path("harbor") not in html, path  # connector settings stay hidden


def test_text_from_the_mms_is_escaped(otto, web_ledger, rec) -> None:
    web_ledger.record([rec.member("<script>alert(1)</script>")], companies=["harbor"])
    html = otto.get("/log").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_failed_item_stays_failed_after_a_refused_requeue(vera, web_ledger, rec,
                                                            world) -> None:
    web_ledger.record([rec.member()], companies=["harbor"])
    world.fail_next(web_ledger, "inactive")
    web_ledger.sync("harbor")
    failed = web_ledger.items(ItemFilter(status=[Status.ERROR]))
    vera.act("/actions/items", {"verb": "requeue", "scope": "selected",
                                "id": str(failed[0].id)})
    assert web_ledger.items(ItemFilter(ids=[failed[0].id]))[0].status == "error"
