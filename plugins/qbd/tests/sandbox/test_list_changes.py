"""What a bookkeeper does to lists: items made inactive (ItemServiceMod) and list objects
deleted (ListDel), with QuickBooks' rules."""

from __future__ import annotations

from decimal import Decimal


def _item(qb, name: str = "Membership Dues") -> tuple[str, str]:
    rs = qb.ok(f"<ItemQueryRq><FullName>{name}</FullName></ItemQueryRq>")
    return qb.text(rs, "ItemServiceRet/ListID"), qb.text(rs, "ItemServiceRet/EditSequence")


def _item_mod(list_id: str, sequence: str, body: str) -> str:
    return (f"<ItemServiceModRq><ItemServiceMod><ListID>{list_id}</ListID><EditSequence>"
            f"{sequence}</EditSequence>{body}</ItemServiceMod></ItemServiceModRq>")


def _delete(list_type: str, list_id: str) -> str:
    return (f"<ListDelRq><ListDelType>{list_type}</ListDelType><ListID>{list_id}</ListID>"
            "</ListDelRq>")


def test_an_item_made_inactive_is_refused_on_new_invoices_until_made_active(qb) -> None:
    qb.add_customer("Ann")
    list_id, sequence = _item(qb)
    rs = qb.ok(_item_mod(list_id, sequence, "<IsActive>false</IsActive>"))
    assert qb.text(rs, "ItemServiceRet/IsActive") == "false"
    refused = qb.one("<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Ann</FullName>"
                     "</CustomerRef><InvoiceLineAdd><ItemRef><FullName>Membership Dues"
                     "</FullName></ItemRef><Amount>10.00</Amount></InvoiceLineAdd></InvoiceAdd>"
                     "</InvoiceAddRq>")
    assert refused.get("statusCode") == "3140"
    assert "inactive" in refused.get("statusMessage")
    qb.ok(_item_mod(list_id, qb.text(rs, "ItemServiceRet/EditSequence"),
                    "<IsActive>true</IsActive>"))
    qb.add_invoice("Ann", "1")


def test_item_mod_needs_the_current_edit_sequence(qb) -> None:
    list_id, sequence = _item(qb)
    qb.ok(_item_mod(list_id, sequence, "<Name>Dues</Name>"))
    rs = qb.one(_item_mod(list_id, sequence, "<IsActive>false</IsActive>"))
    assert rs.get("statusCode") == "3200"


def test_item_mod_merges_the_sales_block(qb) -> None:
    list_id, sequence = _item(qb)
    rs = qb.ok(_item_mod(list_id, sequence,
                         "<SalesOrPurchaseMod><Price>150.00</Price></SalesOrPurchaseMod>"))
    assert qb.text(rs, "ItemServiceRet/SalesOrPurchase/Price") == "150.00"
    assert qb.text(rs, "ItemServiceRet/SalesOrPurchase/AccountRef/FullName") == \
        "Membership Income"


def test_an_item_cannot_become_its_own_sub_item(qb) -> None:
    list_id, sequence = _item(qb)
    rs = qb.one(_item_mod(list_id, sequence,
                          f"<ParentRef><ListID>{list_id}</ListID></ParentRef>"))
    assert rs.get("statusCode") == "3210"


def test_a_customer_without_transactions_can_be_deleted(qb) -> None:
    ret = qb.add_customer("Ann")
    rs = qb.ok(_delete("Customer", qb.text(ret, "ListID")))
    assert qb.text(rs, "FullName") == "Ann"
    assert qb.text(rs, "TimeDeleted")
    assert qb.company.customer("Ann") is None
    qb.add_customer("Ann")  # the name is free again


def test_a_customer_with_transactions_cannot_be_deleted(qb) -> None:
    ret = qb.add_customer("Ann")
    invoice = qb.add_invoice("Ann", "1")
    qb.pay("Ann", "120.00", [(qb.text(invoice, "TxnID"), "120.00")])
    assert qb.balance("Ann") == Decimal("0.00")
    rs = qb.one(_delete("Customer", qb.text(ret, "ListID")))
    assert rs.get("statusCode") == "3171"
    assert '"Ann"' in rs.get("statusMessage")
    assert qb.company.customer("Ann") is not None


def test_a_customer_with_jobs_cannot_be_deleted(qb) -> None:
    ret = qb.add_customer("Ann")
    qb.add_customer("Dock", "<ParentRef><FullName>Ann</FullName></ParentRef>")
    rs = qb.one(_delete("Customer", qb.text(ret, "ListID")))
    assert rs.get("statusCode") == "3171"


def test_an_account_an_item_posts_to_cannot_be_deleted(qb) -> None:
    rs = qb.ok("<AccountQueryRq><FullName>Membership Income</FullName></AccountQueryRq>")
    refused = qb.one(_delete("Account", qb.text(rs, "AccountRet/ListID")))
    assert refused.get("statusCode") == "3171"


def test_deleting_an_unknown_list_id_answers_3120(qb) -> None:
    rs = qb.one(_delete("Customer", "80000999-1"))
    assert rs.get("statusCode") == "3120"


def test_list_del_type_must_match_the_object(qb) -> None:
    ret = qb.add_customer("Ann")
    rs = qb.one(_delete("Vendor", qb.text(ret, "ListID")))
    assert rs.get("statusCode") == "3120"
    assert qb.company.customer("Ann") is not None
