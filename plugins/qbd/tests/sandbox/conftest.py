"""Fixtures for the simulated company file tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.sandbox.xml import parse_xml

EXAMPLES = Path(__file__).parents[1] / "data" / "qbxml-examples"


class Clock:
    """Deterministic clock: starts 2024-03-01 and moves one second per reading."""

    def __init__(self) -> None:
        self.now = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class QB:
    """Builds qbXML request documents and reads responses for one company file."""

    def __init__(self, company: CompanyFile) -> None:
        self.company = company

    @staticmethod
    def doc(body: str, on_error: str = "stopOnError", version: str = "13.0", **attrs: str) -> str:
        extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
        return (f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n'
                f'<QBXML><QBXMLMsgsRq onError="{on_error}"{extra}>{body}</QBXMLMsgsRq></QBXML>')

    def run(self, body: str, on_error: str = "stopOnError", **attrs: str) -> list[ET.Element]:
        return self.responses(self.company.process(self.doc(body, on_error, **attrs)))

    @staticmethod
    def responses(response_xml: str) -> list[ET.Element]:
        root = parse_xml(response_xml)
        assert root.tag == "QBXML"
        msgs = root.find("QBXMLMsgsRs")
        assert msgs is not None
        return list(msgs)

    def one(self, body: str, **attrs: str) -> ET.Element:
        (rs,) = self.run(body, **attrs)
        return rs

    def ok(self, body: str, **attrs: str) -> ET.Element:
        rs = self.one(body, **attrs)
        assert rs.get("statusCode") == "0", rs.get("statusMessage")
        return rs

    def add_customer(self, name: str, extra: str = "") -> ET.Element:
        rs = self.ok(f"<CustomerAddRq><CustomerAdd><Name>{name}</Name>{extra}</CustomerAdd>"
                     "</CustomerAddRq>")
        ret = rs.find("CustomerRet")
        assert ret is not None
        return ret

    def add_invoice(self, customer: str, ref: str, amount: str = "120.00",
                    item: str = "Membership Dues") -> ET.Element:
        rs = self.ok(
            f"<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>{customer}</FullName></CustomerRef>"
            f"<RefNumber>{ref}</RefNumber><InvoiceLineAdd><ItemRef><FullName>{item}</FullName>"
            f"</ItemRef><Amount>{amount}</Amount></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>")
        ret = rs.find("InvoiceRet")
        assert ret is not None
        return ret

    def add_credit_memo(self, customer: str, ref: str, amount: str) -> ET.Element:
        rs = self.ok(
            f"<CreditMemoAddRq><CreditMemoAdd><CustomerRef><FullName>{customer}</FullName>"
            f"</CustomerRef><RefNumber>{ref}</RefNumber><CreditMemoLineAdd><ItemRef><FullName>"
            f"Event Fee</FullName></ItemRef><Amount>{amount}</Amount></CreditMemoLineAdd>"
            "</CreditMemoAdd></CreditMemoAddRq>")
        ret = rs.find("CreditMemoRet")
        assert ret is not None
        return ret

    def pay(self, customer: str, total: str, applied: list[tuple[str, str]] | None = None,
            ref: str = "CHK 1") -> ET.Element:
        apply = "".join(f"<AppliedToTxnAdd><TxnID>{t}</TxnID><PaymentAmount>{a}</PaymentAmount>"
                        "</AppliedToTxnAdd>" for t, a in applied or [])
        if not apply:
            apply = "<IsAutoApply>false</IsAutoApply>"
        return self.one(
            f"<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>{customer}"
            f"</FullName></CustomerRef><RefNumber>{ref}</RefNumber><TotalAmount>{total}"
            f"</TotalAmount>{apply}</ReceivePaymentAdd></ReceivePaymentAddRq>")

    def balance(self, customer: str) -> Decimal:
        return self.company.customer_balance(customer)

    @staticmethod
    def text(element: ET.Element, path: str) -> str:
        return text(element, path)


def text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    assert found is not None, f"{path} missing in {element.tag}"
    return (found.text or "").strip()


@pytest.fixture
def company() -> CompanyFile:
    return CompanyFile(clock=Clock())


@pytest.fixture
def qb(company: CompanyFile) -> QB:
    return QB(company)


@pytest.fixture
def example() -> Callable[[str], str]:
    def read(name: str) -> str:
        return (EXAMPLES / name).read_text(encoding="utf-8")

    return read
