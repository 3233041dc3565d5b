"""A simulated QuickBooks Desktop company file that answers qbXML like QuickBooks does.

The sandbox is self-contained (it does not import the core ``ledgersync`` package) and is
driven by a simulated Web Connector (a separate module) or directly by tests::

    from ledgersync_qbd.sandbox import CompanyFile

    company = CompanyFile(edition="US")
    response_xml = company.process(request_xml)

Module map: :mod:`.xml` safe parsing, :mod:`.schema`/:mod:`.specs` element order and lengths,
:mod:`.store` lists and transactions, :mod:`.processor` message sets and error recovery,
:mod:`.iterators` query paging, :mod:`.status` status codes, :mod:`.faults` fault injection,
:mod:`.closing` the closing date.
"""

from .company import (
    DEFAULT_QBXML_VERSIONS,
    SUPPORTED_REQUESTS,
    CompanyFile,
    RequestProcessorError,
)
from .processor import ProcessResult
from .status import HRESULT_PARSE_ERROR, PARSE_ERROR_MESSAGE, TRANSIENT_CODES

__all__ = [
    "DEFAULT_QBXML_VERSIONS",
    "HRESULT_PARSE_ERROR",
    "PARSE_ERROR_MESSAGE",
    "SUPPORTED_REQUESTS",
    "TRANSIENT_CODES",
    "CompanyFile",
    "ProcessResult",
    "RequestProcessorError",
]
