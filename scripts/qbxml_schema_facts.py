#!/usr/bin/env python3
"""Generate plugins/qbd/src/ledgersync_qbd/sandbox/schema_facts.py from Intuit's qbXML 13.0 XSD.

Run once, by hand, when the modelled requests change:

    python scripts/qbxml_schema_facts.py /path/to/qbd_xml_schemas > \
        plugins/qbd/src/ledgersync_qbd/sandbox/schema_facts.py

The directory holds Intuit's ``qbxml130.xsd``, ``qbxmlops130.xsd`` and ``qbxmltypes130.xsd``
(a copy is in GitHub ``hotgluexyz/qbwc-common``, ``qbwc_common/qbd_xml_schemas/``, commit
925cd87f5417c95619f574821d883dd085352c12). The XSD files carry Intuit's licence and are not
kept in this repository; what is kept is the generated table of facts: content models (element
order, occurrences, choices), value types, maximum lengths, enumerations and which attributes
each request takes.
"""

from __future__ import annotations

import pprint
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

XS = "{http://www.w3.org/2001/XMLSchema}"
FILES = ("qbxmltypes130.xsd", "qbxml130.xsd", "qbxmlops130.xsd")

#: The requests the connector sends and the sandbox answers (their content is generated).
MODELLED = (
    "HostQueryRq", "CompanyQueryRq",
    "CustomerAddRq", "CustomerModRq", "CustomerQueryRq",
    "AccountAddRq", "AccountQueryRq", "ItemServiceAddRq", "ItemServiceModRq", "ListDelRq",
    "ItemQueryRq", "ItemServiceQueryRq", "ItemNonInventoryQueryRq", "ItemOtherChargeQueryRq",
    "ItemSalesTaxQueryRq", "SalesTaxCodeQueryRq", "StandardTermsQueryRq",
    "PaymentMethodQueryRq",
    "InvoiceAddRq", "InvoiceModRq", "InvoiceQueryRq",
    "CreditMemoAddRq", "CreditMemoModRq", "CreditMemoQueryRq",
    "ReceivePaymentAddRq", "ReceivePaymentModRq", "ReceivePaymentQueryRq",
    "ARRefundCreditCardAddRq", "ARRefundCreditCardQueryRq",
    "CheckAddRq", "CheckQueryRq",
    "JournalEntryAddRq", "JournalEntryModRq", "JournalEntryQueryRq",
    "TxnVoidRq", "TxnDelRq", "TxnDeletedQueryRq", "ListDeletedQueryRq",
    "GeneralSummaryReportQueryRq",
)

_SIMPLE_KINDS = {
    "IDTYPE": "id", "STRTYPE": "str", "BOOLTYPE": "bool", "DATETYPE": "date",
    "DATETIMETYPE": "datetime", "AMTTYPE": "amt", "PRICETYPE": "price", "QUANTYPE": "qty",
    "PERCENTTYPE": "percent", "ENUMTYPE": "enum", "INTTYPE": "int", "GUIDTYPE": "guid",
    "UUIDTYPE": "str", "TIMEINTERVALTYPE": "str", "MACROTYPE": "str",
}


class Schema:
    def __init__(self, directory: Path) -> None:
        self.elements: dict[str, ET.Element] = {}
        self.complex: dict[str, ET.Element] = {}
        self.simple: dict[str, ET.Element] = {}
        self.groups: dict[str, ET.Element] = {}
        for name in FILES:
            root = ET.parse(directory / name).getroot()
            for node in root:
                kind = {f"{XS}element": self.elements, f"{XS}complexType": self.complex,
                        f"{XS}simpleType": self.simple, f"{XS}group": self.groups}.get(node.tag)
                if kind is not None:
                    kind[node.attrib["name"]] = node
        self.decls: dict[str, Any] = {}

    # -- simple values -----------------------------------------------------------------

    def simple_of(self, node: ET.Element) -> tuple[str, int | None, tuple[str, ...]]:
        """(kind, maxLength, enumeration) of a simpleType or a restriction's base chain."""
        restriction = node.find(f"{XS}restriction")
        if restriction is None:
            return "str", None, ()
        base = restriction.attrib.get("base", "")
        if base in self.simple:
            kind, max_len, enum = self.simple_of(self.simple[base])
            kind = _SIMPLE_KINDS.get(base, kind)
        else:
            kind, max_len, enum = "str", None, ()
        found = restriction.find(f"{XS}maxLength")
        if found is not None:
            max_len = int(found.attrib["value"])
        values = tuple(e.attrib["value"] for e in restriction.findall(f"{XS}enumeration"))
        if values:
            enum = values
            kind = "enum"
        return kind, max_len, enum

    def named_simple(self, type_name: str) -> tuple[str, int | None, tuple[str, ...]]:
        kind, max_len, enum = self.simple_of(self.simple[type_name])
        return _SIMPLE_KINDS.get(type_name, kind), max_len, enum

    # -- declarations -----------------------------------------------------------------

    def declare(self, node: ET.Element, key: str) -> str:
        """Record the declaration of element ``node`` under ``key``; returns the key."""
        if key in self.decls:
            return key
        self.decls[key] = None  # a placeholder stops recursion through the same element
        type_name = node.attrib.get("type")
        if type_name is not None:
            if type_name in self.simple:
                self.decls[key] = ("simple", *self.named_simple(type_name))
            else:
                self.decls[key] = self.complex_decl(self.complex[type_name], key)
            return key
        simple = node.find(f"{XS}simpleType")
        if simple is not None:
            self.decls[key] = ("simple", *self.simple_of(simple))
            return key
        complex_type = node.find(f"{XS}complexType")
        if complex_type is None:
            self.decls[key] = ("simple", "str", None, ())
        else:
            self.decls[key] = self.complex_decl(complex_type, key)
        return key

    def complex_decl(self, node: ET.Element, key: str) -> tuple[Any, ...]:
        attributes = self.attributes(node)
        simple_content = node.find(f"{XS}simpleContent")
        if simple_content is not None:
            extension = simple_content.find(f"{XS}extension")
            assert extension is not None
            base = extension.attrib["base"]
            kind, max_len, enum = self.named_simple(base)
            return ("simple", kind, max_len, enum, self.attributes(extension))
        content = [child for child in node
                   if child.tag in (f"{XS}sequence", f"{XS}choice", f"{XS}group")]
        particle = self.particle(content[0], key) if content else ("seq", 1, 1, ())
        return ("complex", particle, attributes)

    def attributes(self, node: ET.Element) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for attribute in node.findall(f"{XS}attribute"):
            simple = attribute.find(f"{XS}simpleType")
            values: tuple[str, ...] | None = None
            if simple is not None:
                values = self.simple_of(simple)[2] or None
            found[attribute.attrib["name"]] = (values, attribute.attrib.get("use") == "required")
        return found

    def particle(self, node: ET.Element, parent: str) -> tuple[Any, ...]:
        low = int(node.attrib.get("minOccurs", "1"))
        high_text = node.attrib.get("maxOccurs", "1")
        high = -1 if high_text == "unbounded" else int(high_text)
        tag = node.tag
        if tag == f"{XS}element":
            if "ref" in node.attrib:
                name = node.attrib["ref"]
                key = self.declare(self.elements[name], name)
            else:
                name = node.attrib["name"]
                key = self.declare(node, f"{parent}/{name}")
            return ("el", low, high, name, key)
        if tag == f"{XS}group":
            group = self.groups[node.attrib["ref"]]
            inner = next(c for c in group if c.tag in (f"{XS}sequence", f"{XS}choice"))
            body = self.particle(inner, parent)
            if (low, high) == (1, 1):
                return body
            return ("seq", low, high, (body,))
        parts = tuple(self.particle(child, parent) for child in node
                      if child.tag in (f"{XS}element", f"{XS}sequence", f"{XS}choice",
                                       f"{XS}group"))
        return ("seq" if tag == f"{XS}sequence" else "choice", low, high, parts)


def generate(directory: Path) -> str:
    schema = Schema(directory)
    ops = ET.parse(directory / "qbxmlops130.xsd").getroot()
    attributes: dict[str, dict[str, Any]] = {}
    for node in ops:
        name = node.attrib.get("name", "")
        if node.tag == f"{XS}complexType" and name.endswith("RqType"):
            attributes[name.removesuffix("Type")] = schema.attributes(node)
    requests: dict[str, str] = {}
    for name in MODELLED:
        requests[name] = schema.declare(ET.Element(f"{XS}element", {"type": f"{name}Type"}),
                                        name)
    decls = {key: value for key, value in sorted(schema.decls.items())}
    out = [
        '"""qbXML 13.0 schema facts, generated once by scripts/qbxml_schema_facts.py.',
        "",
        "Origin: Intuit's qbXML 13.0 SDK schema (``qbxml130.xsd``, ``qbxmlops130.xsd``,",
        "``qbxmltypes130.xsd``; copy read in GitHub ``hotgluexyz/qbwc-common``,",
        "``qbwc_common/qbd_xml_schemas/``, commit 925cd87f5417c95619f574821d883dd085352c12).",
        "Facts only, not the schema: do not edit by hand; regenerate with the script.",
        "",
        "``REQUEST_ATTRIBUTES``: every request type of the schema -> the attributes it takes ->",
        "(allowed values or None, required). ``DECLARATIONS``: element declarations reachable",
        "from ``MODELLED`` requests, keyed by global element name (or ``Parent/Name`` for a",
        "local one): ``('simple', kind, maxLength, enumeration[, attributes])`` or",
        "``('complex', particle, attributes)``; a particle is ``('el', min, max, name, key)``,",
        "``('seq', min, max, parts)`` or ``('choice', min, max, parts)``, max -1 = unbounded.",
        '"""',
        "",
        "# ruff: noqa: E501",
        "from typing import Any",
        "",
        f"MODELLED: tuple[str, ...] = {MODELLED!r}",
        "",
        "REQUEST_ATTRIBUTES: dict[str, dict[str, tuple[tuple[str, ...] | None, bool]]] = "
        + pprint.pformat(attributes, width=100, sort_dicts=True),
        "",
        "DECLARATIONS: dict[str, Any] = " + pprint.pformat(decls, width=100, sort_dicts=True),
        "",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(generate(Path(sys.argv[1])))
