"""The service under the Web Connector's own method names, without SOAP or HTTP.

The simulated Web Connector talks to this exactly as it talks to a zeep client, so tests and
benchmarks can drive many sessions fast and still go through the same method sequence; the
HTTP path is covered by the end-to-end tests.
"""

from __future__ import annotations

from .service import QbwcService


class DirectService:
    def __init__(self, service: QbwcService) -> None:
        self.service = service

    def serverVersion(self) -> str:
        return self.service.server_version()

    def clientVersion(self, *, strVersion: str) -> str:
        return self.service.client_version(strVersion)

    def authenticate(self, *, strUserName: str, strPassword: str) -> list[str]:
        return self.service.authenticate(strUserName, strPassword)

    def sendRequestXML(self, *, ticket: str, strHCPResponse: str,
                       strCompanyFileName: str, qbXMLCountry: str, qbXMLMajorVers: int,
                       qbXMLMinorVers: int) -> str:
        return self.service.send_request_xml(ticket, strHCPResponse, strCompanyFileName,
                                             qbXMLCountry, qbXMLMajorVers, qbXMLMinorVers)

    def receiveResponseXML(self, *, ticket: str, response: str, hresult: str,
                           message: str) -> int:
        return self.service.receive_response_xml(ticket, response, hresult, message)

    def connectionError(self, *, ticket: str, hresult: str, message: str) -> str:
        return self.service.connection_error(ticket, hresult, message)

    def getLastError(self, *, ticket: str) -> str:
        return self.service.get_last_error(ticket)

    def closeConnection(self, *, ticket: str) -> str:
        return self.service.close_connection(ticket)
