"""Business rules and their QuickBooks status codes."""

from __future__ import annotations

CUSTOMER_REF = "<CustomerRef><FullName>{}</FullName></CustomerRef>"


def _invoice_body(customer_ref: str, extra: str = "") -> str:
    return (f"<InvoiceAddRq><InvoiceAdd>{customer_ref}{extra}<InvoiceLineAdd><ItemRef><FullName>"
            "Membership Dues</FullName></ItemRef><Amount>10.00</Amount></InvoiceLineAdd>"
            "</InvoiceAdd></InvoiceAddRq>")


def test_duplicate_customer_name_answers_3100(qb) -> None:
    qb.add_customer("Ann")
    rs = qb.one("<CustomerAddRq><CustomerAdd><Name>Ann</Name></CustomerAdd></CustomerAddRq>")
    assert rs.get("statusCode") == "3100"
    assert rs.get("statusMessage") == 'The name "Ann" of the list element is already in use.'


def test_name_of_inactive_customer_is_still_in_use(qb) -> None:
    qb.add_customer("Old", "<IsActive>false</IsActive>")
    rs = qb.one("<CustomerAddRq><CustomerAdd><Name>Old</Name></CustomerAdd></CustomerAddRq>")
    assert rs.get("statusCode") == "3100"


def test_customer_names_compare_case_insensitively(qb) -> None:
    qb.add_customer("Ann")
    rs = qb.one("<CustomerAddRq><CustomerAdd><Name>ANN</Name></CustomerAdd></CustomerAddRq>")
    assert rs.get("statusCode") == "3100"


def test_job_full_name_joins_parent_with_colon(qb) -> None:
    qb.add_customer("Ann")
    ret = qb.add_customer("Dues 2024", "<ParentRef><FullName>Ann</FullName></ParentRef>")
    assert qb.text(ret, "FullName") == "Ann:Dues 2024"
    assert qb.text(ret, "Sublevel") == "1"


def test_reference_to_missing_customer_answers_3140(qb) -> None:
    rs = qb.one(_invoice_body(CUSTOMER_REF.format("Nobody")))
    assert rs.get("statusCode") == "3140"
    assert 'QuickBooks Customer "Nobody"' in rs.get("statusMessage")


def test_reference_to_missing_list_id_answers_3140(qb) -> None:
    rs = qb.one(_invoice_body("<CustomerRef><ListID>80000999-1</ListID></CustomerRef>"))
    assert rs.get("statusCode") == "3140"


def test_reference_to_missing_item_answers_3140(qb) -> None:
    qb.add_customer("Ann")
    rs = qb.one("<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Ann</FullName></CustomerRef>"
                "<InvoiceLineAdd><ItemRef><FullName>Ghost</FullName></ItemRef></InvoiceLineAdd>"
                "</InvoiceAdd></InvoiceAddRq>")
    assert rs.get("statusCode") == "3140"
    assert qb.company.transactions("Invoice") == []


def test_reference_to_inactive_customer_answers_3140(qb) -> None:
    qb.add_customer("Gone", "<IsActive>false</IsActive>")
    rs = qb.one(_invoice_body(CUSTOMER_REF.format("Gone")))
    assert rs.get("statusCode") == "3140"


def test_stale_edit_sequence_answers_3200(qb) -> None:
    ret = qb.add_customer("Ann")
    list_id, old_seq = qb.text(ret, "ListID"), qb.text(ret, "EditSequence")
    qb.ok(f"<CustomerModRq><CustomerMod><ListID>{list_id}</ListID><EditSequence>{old_seq}"
          "</EditSequence><Phone>1</Phone></CustomerMod></CustomerModRq>")
    rs = qb.one(f"<CustomerModRq><CustomerMod><ListID>{list_id}</ListID><EditSequence>{old_seq}"
                "</EditSequence><Phone>2</Phone></CustomerMod></CustomerModRq>")
    assert rs.get("statusCode") == "3200"


def test_mod_changes_edit_sequence_and_time_modified(qb) -> None:
    ret = qb.add_customer("Ann")
    rs = qb.ok(f"<CustomerModRq><CustomerMod><ListID>{qb.text(ret, 'ListID')}</ListID>"
               f"<EditSequence>{qb.text(ret, 'EditSequence')}</EditSequence><Name>Anne</Name>"
               "</CustomerMod></CustomerModRq>")
    assert qb.text(rs, "CustomerRet/EditSequence") != qb.text(ret, "EditSequence")
    assert qb.text(rs, "CustomerRet/TimeModified") > qb.text(ret, "TimeModified")
    assert qb.text(rs, "CustomerRet/FullName") == "Anne"


def test_mod_of_unknown_list_id_answers_3120(qb) -> None:
    rs = qb.one("<CustomerModRq><CustomerMod><ListID>80000999-1</ListID><EditSequence>1"
                "</EditSequence></CustomerMod></CustomerModRq>")
    assert rs.get("statusCode") == "3120"


def test_rename_onto_existing_name_answers_3100(qb) -> None:
    qb.add_customer("Ann")
    ret = qb.add_customer("Bob")
    rs = qb.one(f"<CustomerModRq><CustomerMod><ListID>{qb.text(ret, 'ListID')}</ListID>"
                f"<EditSequence>{qb.text(ret, 'EditSequence')}</EditSequence><Name>Ann</Name>"
                "</CustomerMod></CustomerModRq>")
    assert rs.get("statusCode") == "3100"


def test_paying_more_than_due_answers_3210(qb) -> None:
    qb.add_customer("Ann")
    invoice = qb.add_invoice("Ann", "INV-1", "50.00")
    rs = qb.pay("Ann", "60.00", [(qb.text(invoice, "TxnID"), "60.00")])
    assert rs.get("statusCode") == "3210"
    assert "You cannot pay more than the amount due." in rs.get("statusMessage")


def test_class_ref_without_class_tracking_answers_3250(qb) -> None:
    rs = qb.one("<CustomerAddRq><CustomerAdd><Name>Ann</Name><ClassRef><FullName>X</FullName>"
                "</ClassRef></CustomerAdd></CustomerAddRq>")
    assert rs.get("statusCode") == "3250"


def test_write_in_read_only_file_answers_3260(qb) -> None:
    qb.company.set_read_only()
    rs = qb.one("<CustomerAddRq><CustomerAdd><Name>Ann</Name></CustomerAdd></CustomerAddRq>")
    assert rs.get("statusCode") == "3260"


def test_mod_of_locked_record_answers_transient_3175(qb) -> None:
    ret = qb.add_customer("Ann")
    qb.company.lock(qb.text(ret, "ListID"))
    rs = qb.one(f"<CustomerModRq><CustomerMod><ListID>{qb.text(ret, 'ListID')}</ListID>"
                f"<EditSequence>{qb.text(ret, 'EditSequence')}</EditSequence></CustomerMod>"
                "</CustomerModRq>")
    assert rs.get("statusCode") == "3175"


def test_request_id_is_echoed(qb) -> None:
    rs = qb.one('<HostQueryRq requestID="abc-1"/>')
    assert rs.get("requestID") == "abc-1"


def test_missing_request_id_is_absent_from_response(qb) -> None:
    rs = qb.one("<HostQueryRq/>")
    assert "requestID" not in rs.attrib


def test_request_id_longer_than_50_answers_1060(qb) -> None:
    rs = qb.one(f'<HostQueryRq requestID="{"r" * 51}"/>')
    assert rs.get("statusCode") == "1060"


def test_unsupported_request_answers_1030(qb) -> None:
    rs = qb.one("<BillQueryRq/>")
    assert rs.tag == "BillQueryRs"
    assert rs.get("statusCode") == "1030"


def test_invoice_query_by_ref_number_finds_invoice(qb) -> None:
    qb.add_customer("Ann")
    invoice = qb.add_invoice("Ann", "DUES-1")
    rs = qb.ok("<InvoiceQueryRq><RefNumber>DUES-1</RefNumber></InvoiceQueryRq>")
    assert qb.text(rs, "InvoiceRet/TxnID") == qb.text(invoice, "TxnID")
    assert rs.find("InvoiceRet/InvoiceLineRet") is None


def test_invoice_query_includes_lines_on_request(qb) -> None:
    qb.add_customer("Ann")
    qb.add_invoice("Ann", "DUES-1")
    rs = qb.ok("<InvoiceQueryRq><RefNumber>DUES-1</RefNumber>"
               "<IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>")
    assert qb.text(rs, "InvoiceRet/InvoiceLineRet/Amount") == "120.00"


def test_query_without_match_answers_1_info(qb) -> None:
    rs = qb.one("<InvoiceQueryRq><RefNumber>NONE</RefNumber></InvoiceQueryRq>")
    assert rs.get("statusCode") == "1"
    assert rs.get("statusSeverity") == "Info"


def test_query_by_missing_full_name_answers_500_warning(qb) -> None:
    rs = qb.one("<CustomerQueryRq><FullName>Nobody</FullName></CustomerQueryRq>")
    assert rs.get("statusCode") == "500"
    assert rs.get("statusSeverity") == "Warn"
    assert "Nobody" in rs.get("statusMessage")


def test_active_only_is_the_default_list_filter(qb) -> None:
    qb.add_customer("Live")
    qb.add_customer("Gone", "<IsActive>false</IsActive>")
    rs = qb.ok("<CustomerQueryRq/>")
    assert [qb.text(r, "Name") for r in rs] == ["Live"]
    rs = qb.ok("<CustomerQueryRq><ActiveStatus>All</ActiveStatus></CustomerQueryRq>")
    assert len(rs) == 2


def test_name_filter_matches_prefix(qb) -> None:
    qb.add_customer("Smith, Jane")
    qb.add_customer("Doe, John")
    rs = qb.ok("<CustomerQueryRq><NameFilter><MatchCriterion>StartsWith</MatchCriterion>"
               "<Name>smi</Name></NameFilter></CustomerQueryRq>")
    assert [qb.text(r, "Name") for r in rs] == ["Smith, Jane"]


def test_unbalanced_journal_entry_answers_3210(qb) -> None:
    rs = qb.one("<JournalEntryAddRq><JournalEntryAdd><JournalDebitLine><AccountRef><FullName>"
                "Checking</FullName></AccountRef><Amount>10.00</Amount></JournalDebitLine>"
                "<JournalCreditLine><AccountRef><FullName>Membership Income</FullName>"
                "</AccountRef><Amount>9.00</Amount></JournalCreditLine></JournalEntryAdd>"
                "</JournalEntryAddRq>")
    assert rs.get("statusCode") == "3210"


def test_journal_entry_query_by_ref_number(qb) -> None:
    qb.ok("<JournalEntryAddRq><JournalEntryAdd><RefNumber>JE-1</RefNumber><JournalDebitLine>"
          "<AccountRef><FullName>Checking</FullName></AccountRef><Amount>5.00</Amount>"
          "</JournalDebitLine><JournalCreditLine><AccountRef><FullName>Membership Income"
          "</FullName></AccountRef><Amount>5.00</Amount></JournalCreditLine></JournalEntryAdd>"
          "</JournalEntryAddRq>")
    rs = qb.ok("<JournalEntryQueryRq><RefNumber>JE-1</RefNumber>"
               "<IncludeLineItems>true</IncludeLineItems></JournalEntryQueryRq>")
    assert len(rs.findall("JournalEntryRet/JournalDebitLine")) == 1


def test_txn_del_removes_transaction(qb) -> None:
    qb.add_customer("Ann")
    invoice = qb.add_invoice("Ann", "INV-1")
    rs = qb.ok(f"<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>{qb.text(invoice, 'TxnID')}"
               "</TxnID></TxnDelRq>")
    assert rs.find("TimeDeleted") is not None
    assert qb.company.transactions("Invoice") == []


def test_void_of_unknown_txn_answers_3120(qb) -> None:
    rs = qb.one("<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>FF-1</TxnID></TxnVoidRq>")
    assert rs.get("statusCode") == "3120"


def test_account_and_item_service_add_create_reference_data(qb) -> None:
    qb.ok("<AccountAddRq><AccountAdd><Name>Donations</Name><AccountType>Income</AccountType>"
          "</AccountAdd></AccountAddRq>")
    rs = qb.ok("<ItemServiceAddRq><ItemServiceAdd><Name>Donation</Name><SalesOrPurchase>"
               "<Price>25.00</Price><AccountRef><FullName>Donations</FullName></AccountRef>"
               "</SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>")
    assert qb.text(rs, "ItemServiceRet/SalesOrPurchase/AccountRef/FullName") == "Donations"
    qb.add_customer("Ann")
    invoice = qb.ok("<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Ann</FullName>"
                    "</CustomerRef><InvoiceLineAdd><ItemRef><FullName>Donation</FullName>"
                    "</ItemRef><Quantity>2</Quantity></InvoiceLineAdd></InvoiceAdd>"
                    "</InvoiceAddRq>")
    assert qb.text(invoice, "InvoiceRet/BalanceRemaining") == "50.00"
