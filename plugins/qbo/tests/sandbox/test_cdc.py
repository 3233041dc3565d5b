"""Change data capture: changed and deleted objects, the 30-day window."""

from __future__ import annotations

from ledgersync_qbo.sandbox import jsonio


def _cdc(api, entities: str, since: str) -> dict:
    response = api.get("cdc", entities=entities, changedSince=since)
    assert response.status_code == 200, response.text
    return jsonio.loads(response.content)["CDCResponse"][0]["QueryResponse"]


def test_cdc_returns_objects_changed_since_the_time(api, clock, make_invoice):
    api.create("Invoice", make_invoice())
    clock.advance(minutes=5)
    since = clock.now().isoformat()
    clock.advance(minutes=5)
    later = api.create("Invoice", make_invoice())
    groups = _cdc(api, "Invoice,Customer", since)
    assert [g["Invoice"][0]["Id"] for g in groups if "Invoice" in g] == [later["Id"]]
    # the new invoice changed customer 58's balance, but not its SyncToken-versioned data
    assert not [g for g in groups if "Customer" in g]


def test_cdc_reports_deletions(api, clock, make_invoice):
    invoice = api.create("Invoice", make_invoice())
    api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete")
    groups = _cdc(api, "Invoice", "2026-01-20T00:00:00-08:00")
    assert groups[0]["Invoice"] == [{"domain": "QBO", "status": "Deleted", "Id": invoice["Id"],
                                     "MetaData": {"LastUpdatedTime": "2026-01-20T14:00:00-08:00"}}]


def test_cdc_includes_inactive_names(api):
    api.create("Customer", {"Id": "62", "SyncToken": "0", "sparse": True, "Active": False})
    groups = _cdc(api, "Customer", "2026-01-20T00:00:00-08:00")
    changed = {c["Id"]: c for c in groups[0]["Customer"]}
    assert changed["62"]["Active"] is False


def test_cdc_older_than_30_days_is_refused(api):
    errors = api.fault(api.get("cdc", entities="Invoice",
                               changedSince="2025-12-01T00:00:00-08:00"))
    assert "older than fixed days" in errors[0]["Detail"]


def test_cdc_does_not_support_tax_codes(api):
    assert api.fault(api.get("cdc", entities="TaxCode",
                             changedSince="2026-01-20T00:00:00-08:00"))[0]["code"] == "500"


def test_cdc_requires_its_parameters(api):
    assert api.fault(api.get("cdc", entities="Invoice"))[0]["code"] == "2020"


def test_cdc_caps_the_answer_at_1000_objects(api, sandbox):
    company = sandbox.company()
    for i in range(1010):
        company.write("Customer", {"DisplayName": f"Bulk {i}"})
    groups = _cdc(api, "Customer", "2026-01-20T00:00:00-08:00")
    assert len(groups[0]["Customer"]) == 1000
