"""The QuickBooks Desktop tools on a company's page of the Accounting Sync page: set the Web
Connector password, download the .qwc file. The same work as `ledgersync qbd set-password`
and `ledgersync qbd qwc`."""

from __future__ import annotations

from collections.abc import Mapping

from ledgersync import (
    CompanyConfig,
    CompanyTool,
    Ledger,
    OperatorError,
    ToolField,
    ToolResult,
)

from .qbwc.auth import SECRET_NAME, hash_password
from .qwc import file_id, qwc_text, url_problem

MIN_PASSWORD = 8


def company_tools(ledger: Ledger, company: CompanyConfig) -> list[CompanyTool]:
    name = company.name

    def set_password(values: Mapping[str, str]) -> ToolResult:
        password, again = values["password"], values["confirm"]
        if len(password) < MIN_PASSWORD:
            raise OperatorError(f"the Web Connector password of {name} is shorter than "
                                f"{MIN_PASSWORD} characters", remedy="Choose a longer one")
        if password != again:
            raise OperatorError("the two passwords differ", remedy="Type the same one twice")
        ledger.secrets(name).set(SECRET_NAME, hash_password(password))
        return ToolResult(message=f"Web Connector password of {name} set; type the same one "
                          "into the Web Connector")

    def download_qwc(values: Mapping[str, str]) -> ToolResult:
        url = values["url"]
        problem = url_problem(url)
        if problem is not None:
            raise OperatorError(f"the endpoint URL will not work: {problem}",
                                remedy="Give the https URL the Web Connector reaches, e.g. "
                                "https://sync.example.org/qbwc")
        settings = ledger.connector(name).settings
        text = qwc_text(company=name, url=url, username=settings.username,
                        file_guid=file_id(ledger.state(name)),
                        every_minutes=company.schedule_minutes or 60)
        return ToolResult(message=f"{name}.qwc", download_name=f"{name}.qwc",
                          download=text.encode(), media_type="application/xml")

    return [
        CompanyTool(name="qbwc-password", title="Set the Web Connector password",
                    description="The password the QuickBooks Web Connector sends for this "
                    "company file. Stored as a scrypt hash; never shown again.",
                    fields=(ToolField(name="password", label="New password", kind="password"),
                            ToolField(name="confirm", label="The same again",
                                      kind="password")),
                    run=set_password),
        CompanyTool(name="qwc", title="Download the .qwc file",
                    description="Open it in the Web Connector (File > Add an application) "
                    "with the company file open.",
                    fields=(ToolField(name="url", label="Endpoint URL", kind="url",
                                      placeholder="https://sync.example.org/qbwc"),),
                    run=download_qwc),
    ]
