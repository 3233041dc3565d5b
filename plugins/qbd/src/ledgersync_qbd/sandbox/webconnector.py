"""A simulated QuickBooks Web Connector: runs real updates against a SOAP server over HTTP.

It does what QBWC does: ``serverVersion``, ``clientVersion``, ``authenticate``,
then ``sendRequestXML`` / ``receiveResponseXML`` rounds against a :class:`CompanyFile` until the
server answers 100 (or an error), then ``closeConnection``. The first ``sendRequestXML`` carries
the host, company and preferences description (``strHCPResponse``), later ones an empty one.
Calls go through zeep with the WSDL the server itself serves, so the server's WSDL, envelopes
and answers are exercised as a real SOAP client sees them.

Faults a test can plan (each fires once, on the first round that matches it):

* ``drop_response``: QuickBooks ran the set, but its answer never reaches the server (the
  Web Connector's POST fails; the update ends without ``closeConnection``);
* ``die_before_run``: the Web Connector dies after receiving a set, before QuickBooks runs it;
* ``timeout_after_receive``: the answer is delivered, but the Web Connector stops waiting for
  the server's reply and ends the update there;
* ``hresult``: the request processor fails the set without running it (``hresult``/``message``
  are sent instead of a response);
* ``connection_error``: QuickBooks cannot open the company file (``connectionError``).

The company file's own faults (``lose_next_response``, ``raise_hresult``, ``inject_status``)
work as well: a response flagged lost is not delivered, exactly like ``drop_response``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .company import CompanyFile
from .xml import version_tuple

FAULT_KINDS = ("drop_response", "die_before_run", "timeout_after_receive", "hresult",
               "connection_error")


@dataclass
class Fault:
    kind: str
    #: Fire on this round (1-based sendRequestXML count), or on the first set containing
    #: ``contains`` (e.g. "InvoiceAddRq"), or on the next round when both are None.
    round: int | None = None
    contains: str | None = None
    hresult: str = "0x80040402"
    message: str = "Unexpected error (simulated)"

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}")

    def matches(self, round_number: int, request_xml: str) -> bool:
        if self.round is not None and self.round != round_number:
            return False
        return self.contains is None or self.contains in request_xml


@dataclass
class UpdateReport:
    """What one update did, as the Web Connector's log would show it."""

    outcome: str = "done"
    rounds: int = 0
    requests: int = 0
    progress: list[int] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    close_message: str | None = None

    def say(self, line: str) -> None:
        self.log.append(line)

    def text(self) -> str:
        return "\n".join(self.log)


def host_description(company: CompanyFile, file_id: str | None = None) -> str:
    """``strHCPResponse`` as QBWC sends it on a session's first ``sendRequestXML``: the host
    and company query answers (with the FileID data extension when the .qwc gave one)."""
    version = max(company.supported_versions, key=version_tuple)
    response = company.process(
        f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n'
        '<QBXML><QBXMLMsgsRq onError="continueOnError"><HostQueryRq requestID="0"/>'
        '<CompanyQueryRq requestID="1"/></QBXMLMsgsRq></QBXML>')
    if file_id:
        response = response.replace(
            "</CompanyRet>",
            "<DataExtRet><OwnerID>{68b5925b-4347-4784-e58d-35a2d190962f}</OwnerID>"
            "<DataExtName>FileID</DataExtName><DataExtType>STR255TYPE</DataExtType>"
            f"<DataExtValue>{file_id}</DataExtValue></DataExtRet></CompanyRet>")
    return response


class SimulatedWebConnector:
    """Drives a SOAP server at ``url`` (the endpoint; its WSDL is ``url?wsdl``), or the
    ``service`` object given instead."""

    def __init__(self, url: str, username: str, password: str, company: CompanyFile, *,
                 client_version: str = "2.3.0.36",
                 company_file_name: str = r"C:\Users\Public\Documents\Club.QBW",
                 file_id: str | None = None, timeout: float = 60.0,
                 service: Any = None) -> None:
        self.url = url
        self.username = username
        self.password = password
        self.company = company
        self.client_version = client_version
        self.company_file_name = company_file_name
        self.file_id = file_id
        self.timeout = timeout
        self.faults: list[Fault] = []
        #: Every message set the server sent, in order (whether QuickBooks ran it or not).
        self.sent: list[str] = []
        # Anything with the Web Connector's method names (e.g. an in-process adapter) may
        # stand in for the zeep client.
        self._service: Any = service

    def inject(self, kind: str, **options: Any) -> Fault:
        fault = Fault(kind, **options)
        self.faults.append(fault)
        return fault

    @property
    def service(self) -> Any:
        if self._service is None:
            import zeep  # heavy: only when a simulated update runs
            from zeep.transports import Transport

            transport = Transport(  # type: ignore[no-untyped-call]
                timeout=self.timeout, operation_timeout=self.timeout)
            client = zeep.Client(  # type: ignore[no-untyped-call]
                f"{self.url}?wsdl", transport=transport)
            self._client = client
            self._service = client.service
        return self._service

    def _take(self, kind: str, round_number: int, request_xml: str) -> Fault | None:
        for fault in self.faults:
            if fault.kind == kind and fault.matches(round_number, request_xml):
                self.faults.remove(fault)
                return fault
        return None

    def _hcp(self) -> str:
        return host_description(self.company, self.file_id)

    def run_update(self, *, max_rounds: int = 100_000) -> UpdateReport:
        """One update, start to end (or to an injected death); never raises for server
        answers, only for transport failures."""
        report = UpdateReport()
        s = self.service
        report.say(f"serverVersion: {s.serverVersion()}")
        answer = s.clientVersion(strVersion=self.client_version) or ""
        if answer:
            report.say(f"clientVersion: {answer}")
            if answer.startswith(("E:", "O:")):
                report.outcome = "client refused"
                return report
        auth = s.authenticate(strUserName=self.username, strPassword=self.password)
        # zeep unwraps ArrayOfString into a plain list (an object with .string elsewhere).
        raw = auth if isinstance(auth, list) else getattr(auth, "string", None) or []
        values = [v or "" for v in raw]
        ticket = values[0] if values else ""
        status = (values[1] if len(values) > 1 else "") or ""
        report.say(f"authenticate: {status or 'ok (use the open company file)'}")
        if status in ("nvu", "none", "busy"):
            report.outcome = status
            return report
        if self._take("connection_error", 1, ""):
            fault_answer = s.connectionError(ticket=ticket, hresult="0x80040408",
                                             message="Could not start QuickBooks.")
            report.say(f"connectionError: {fault_answer}")
            report.close_message = s.closeConnection(ticket=ticket)
            report.outcome = "connection error"
            return report
        self._rounds(s, ticket, report, max_rounds)
        return report

    def _rounds(self, s: Any, ticket: str, report: UpdateReport, max_rounds: int) -> None:
        version = max(self.company.supported_versions, key=version_tuple)
        major, minor = ([*version.split("."), "0"])[:2]
        noops = 0
        for number in range(1, max_rounds + 1):
            report.rounds = number
            request_xml = s.sendRequestXML(
                ticket=ticket, strHCPResponse=self._hcp() if number == 1 else "",
                strCompanyFileName=self.company_file_name, qbXMLCountry=self.company.edition,
                qbXMLMajorVers=int(major), qbXMLMinorVers=int(minor)) or ""
            if not request_xml:
                error = s.getLastError(ticket=ticket) or ""
                if error == "NoOp" and noops < 3:
                    noops += 1
                    time.sleep(0.05)  # QBWC waits 5 s; the simulation need not
                    continue
                report.say(f"getLastError: {error}")
                report.outcome = "error"
                break
            report.requests += request_xml.count("requestID=")
            self.sent.append(request_xml)
            if self._take("die_before_run", number, request_xml):
                report.say(f"round {number}: the Web Connector died before QuickBooks ran "
                           "the set")
                report.outcome = "died"
                return
            hresult_fault = self._take("hresult", number, request_xml)
            if hresult_fault is not None:
                self.company.raise_hresult(hresult_fault.hresult, hresult_fault.message)
            result = self.company.handle(request_xml)
            if result.lost or self._take("drop_response", number, request_xml):
                report.say(f"round {number}: QuickBooks ran the set; its answer was lost")
                report.outcome = "died"
                return
            progress = int(s.receiveResponseXML(ticket=ticket, response=result.response_xml,
                                                hresult=result.hresult,
                                                message=result.message))
            report.progress.append(progress)
            if self._take("timeout_after_receive", number, request_xml):
                report.say(f"round {number}: timed out waiting for the server's reply")
                report.outcome = "died"
                return
            if progress < 0:
                report.say(f"getLastError: {s.getLastError(ticket=ticket)}")
                report.outcome = "error"
                break
            if progress >= 100:
                break
        report.close_message = s.closeConnection(ticket=ticket)
        report.say(f"closeConnection: {report.close_message}")
