"""HostQueryRq and CompanyQueryRq.

``HostRet`` element order is from the qbXML 13.0 schema: ProductName, MajorVersion,
MinorVersion, Country, SupportedQBXMLVersion*, IsAutomaticLogin, QBFileMode. The values mimic
the real HostRet in the captured call
plugins/qbd/tests/data/envelopes/consolibyte-log-2008/04-sendRequestXML.request.xml
(QuickBooks Pro 2006, qbXML 1.0-5.0); the simulator's defaults describe a 2018 release
(qbXML up to 13.0).
"""

from __future__ import annotations

from .context import Context, Handler, Outcome
from .queries import include_set
from .rets import assemble
from .xml import Element, sub

#: Product names and major versions per edition (``Country`` in HostRet is the edition code).
EDITION_PRODUCTS = {
    "US": ("QuickBooks Pro 2018", "28"),
    "CA": ("QuickBooks Pro 2018 Canadian Edition", "28"),
    "UK": ("QuickBooks Pro 2018 UK Edition", "28"),
}

COMPANY_ORDER = ("IsSampleCompany", "CompanyName", "LegalCompanyName", "FirstMonthFiscalYear",
                 "FirstMonthIncomeTaxYear", "CompanyType", "TaxForm")


def host_query(ctx: Context, rq: Element) -> Outcome:
    settings = ctx.settings
    _, major = EDITION_PRODUCTS.get(settings.edition, EDITION_PRODUCTS["US"])
    host = Element("HostRet")
    sub(host, "ProductName", settings.product_name)
    sub(host, "MajorVersion", major)
    sub(host, "MinorVersion", "0")
    sub(host, "Country", settings.edition)
    for version in settings.qbxml_versions:
        sub(host, "SupportedQBXMLVersion", version)
    sub(host, "IsAutomaticLogin", "false")
    sub(host, "QBFileMode", "SingleUser")
    include = include_set(rq)
    if include is not None:
        for child in list(host):
            if child.tag not in include:
                host.remove(child)
    return Outcome([host])


def company_query(ctx: Context, rq: Element) -> Outcome:
    values: dict[str, list[Element]] = {}
    texts = {
        "IsSampleCompany": "false",
        "CompanyName": ctx.settings.company_name,
        "LegalCompanyName": ctx.settings.company_name,
        "FirstMonthFiscalYear": "January",
        "FirstMonthIncomeTaxYear": "January",
        "CompanyType": "Non-Profit Organization",
    }
    if ctx.settings.edition == "US":
        texts["TaxForm"] = "OtherOrNone"
    for name, text in texts.items():
        element = Element(name)
        element.text = text
        values[name] = [element]
    return Outcome([assemble("CompanyRet", [], COMPANY_ORDER, values, include_set(rq))])


HANDLERS: dict[str, Handler] = {"HostQueryRq": host_query, "CompanyQueryRq": company_query}
