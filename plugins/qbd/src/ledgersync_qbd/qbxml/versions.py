"""qbXML version negotiation from the first ``sendRequestXML`` of a session.

The Web Connector fills ``strHCPResponse`` only on the first call: the
``HostQueryRs`` lists every ``SupportedQBXMLVersion`` of the installed QuickBooks and its
``Country``; ``CompanyQueryRs`` names the company and may carry the ``FileID`` data extension
the Web Connector wrote from our .qwc. We speak the highest version both sides support.

Old Canadian and UK releases list versions with a country prefix ("CA3.0", "UK2.0"); the
prefix is kept in what we send back, since that is the string the host knows.

We need qbXML 8.0 or later (QuickBooks 2009+): every write carries ``ExternalGUID``, which is
how a record found again after a lost response is proven ours. Older hosts are refused with a
message saying so, not fed requests they cannot parse.
"""

from __future__ import annotations

import re

import attrs

from ..xmlsafe import XmlRejected, parse, text_of

MIN_VERSION = (8, 0)
KNOWN_COUNTRIES = ("US", "CA", "UK")
_VERSION = re.compile(r"^(?P<prefix>[A-Z]{0,2})(?P<major>\d{1,2})\.(?P<minor>\d{1,2})$")


class NoCommonVersion(Exception):
    """The host speaks no qbXML version we can use; the message says what to do."""


@attrs.frozen
class Host:
    """What we learnt about the QuickBooks install at the start of a session."""

    version: str
    country: str
    product: str = ""
    company_name: str = ""
    file_id: str | None = None


def parse_version(text: str) -> tuple[str, tuple[int, int]] | None:
    """``"CA3.0"`` -> ``("CA", (3, 0))``; None for anything else."""
    match = _VERSION.match(text.strip())
    if match is None:
        return None
    return match["prefix"], (int(match["major"]), int(match["minor"]))


def negotiate(hcp: str, *, country: str, major: int, minor: int,
              maximum: str = "13.0") -> Host:
    """The version to speak and what the host said about itself."""
    ceiling = parse_version(maximum)
    top = ceiling[1] if ceiling else (13, 0)
    supported: list[str] = []
    product = company = ""
    file_id: str | None = None
    if hcp.strip():
        try:
            root = parse(hcp, max_bytes=4 * 1024 * 1024)
        except XmlRejected as exc:
            raise NoCommonVersion(f"the Web Connector's host description is unreadable: "
                                  f"{exc}") from None
        host = root.find("QBXMLMsgsRs/HostQueryRs/HostRet")
        if host is not None:
            supported = [(v.text or "").strip() for v in host.findall("SupportedQBXMLVersion")]
            product = text_of(host, "ProductName") or ""
            country = text_of(host, "Country") or country
        found = root.find("QBXMLMsgsRs/CompanyQueryRs/CompanyRet")
        if found is not None:
            company = text_of(found, "CompanyName") or ""
            for ext in found.findall("DataExtRet"):
                if text_of(ext, "DataExtName") == "FileID":
                    file_id = text_of(ext, "DataExtValue")
    if not supported:
        # No host description (it only comes with the first call): the parameters give the
        # highest version the host supports.
        supported = [f"{major}.{minor}"]
    usable = []
    for text in supported:
        parsed = parse_version(text)
        if parsed is not None and MIN_VERSION <= parsed[1] <= top:
            usable.append((parsed[1], text))
    country = country.strip().upper() or "US"
    if country not in KNOWN_COUNTRIES:
        raise NoCommonVersion(f"QuickBooks reports country {country!r}; ledgersync writes "
                              "the US, Canadian and UK editions only")
    if not usable:
        best = max((p[1] for p in map(parse_version, supported) if p), default=None)
        said = f"{best[0]}.{best[1]}" if best else "no version"
        raise NoCommonVersion(
            f"{product or 'this QuickBooks'} speaks qbXML up to {said}; ledgersync needs "
            f"qbXML {MIN_VERSION[0]}.{MIN_VERSION[1]} or later (QuickBooks 2009 or newer). "
            "Update QuickBooks Desktop on the Web Connector's computer")
    version = max(usable)[1]
    return Host(version=version, country=country, product=product, company_name=company,
                file_id=file_id)
