"""The WSDL served at ``GET /qbwc?wsdl``, generated from the method table of :mod:`.soap`.

It describes the same operations, names and types as the Web Connector's published WSDL
(document/literal SOAP 1.1, target namespace ``http://developer.intuit.com/``), with two
corrections: no ``strVersion`` child on ``serverVersion`` (the Web Connector sends none: see
plugins/qbd/tests/data/envelopes/consolibyte-log-2008/01-serverVersion.request.xml) and the three
interactive-mode operations the Intuit sample server implements. ``soap:address`` is this
server's own URL.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from .soap import INT_PARAMS, METHODS, NS

_RESULT_TYPES = {"string": "s:string", "int": "s:int", "strings": "tns:ArrayOfString"}


def _elements() -> str:
    out = []
    for method, (params, result) in METHODS.items():
        children = "".join(
            f'<s:element minOccurs="1" maxOccurs="1" name="{p}" type="s:int"/>' if p in
            INT_PARAMS else f'<s:element minOccurs="0" maxOccurs="1" name="{p}" type="s:string"/>'
            for p in params)
        low = "1" if result == "int" else "0"
        out.append(
            f'<s:element name="{method}"><s:complexType><s:sequence>{children}'
            f"</s:sequence></s:complexType></s:element>"
            f'<s:element name="{method}Response"><s:complexType><s:sequence>'
            f'<s:element minOccurs="{low}" maxOccurs="1" name="{method}Result" '
            f'type="{_RESULT_TYPES[result]}"/></s:sequence></s:complexType></s:element>')
    return "".join(out)


def wsdl(location: str) -> str:
    """The WSDL with ``location`` as the endpoint address."""
    messages = "".join(
        f'<wsdl:message name="{m}SoapIn"><wsdl:part name="parameters" element="tns:{m}"/>'
        f'</wsdl:message><wsdl:message name="{m}SoapOut"><wsdl:part name="parameters" '
        f'element="tns:{m}Response"/></wsdl:message>' for m in METHODS)
    port_ops = "".join(
        f'<wsdl:operation name="{m}"><wsdl:input message="tns:{m}SoapIn"/>'
        f'<wsdl:output message="tns:{m}SoapOut"/></wsdl:operation>' for m in METHODS)
    binding_ops = "".join(
        f'<wsdl:operation name="{m}"><soap:operation soapAction="{NS}{m}" style="document"/>'
        '<wsdl:input><soap:body use="literal"/></wsdl:input>'
        '<wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>'
        for m in METHODS)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<wsdl:definitions xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" '
        'xmlns:s="http://www.w3.org/2001/XMLSchema" '
        f'xmlns:tns="{NS}" targetNamespace="{NS}" '
        'xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">'
        f'<wsdl:types><s:schema elementFormDefault="qualified" targetNamespace="{NS}">'
        f'{_elements()}<s:complexType name="ArrayOfString"><s:sequence>'
        '<s:element minOccurs="0" maxOccurs="unbounded" name="string" nillable="true" '
        'type="s:string"/></s:sequence></s:complexType></s:schema></wsdl:types>'
        f'{messages}<wsdl:portType name="QBWebConnectorSvcSoap">{port_ops}</wsdl:portType>'
        '<wsdl:binding name="QBWebConnectorSvcSoap" type="tns:QBWebConnectorSvcSoap">'
        '<soap:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>'
        f'{binding_ops}</wsdl:binding><wsdl:service name="QBWebConnectorSvc">'
        '<wsdl:port name="QBWebConnectorSvcSoap" binding="tns:QBWebConnectorSvcSoap">'
        f"<soap:address location={quoteattr(location)}/></wsdl:port></wsdl:service>"
        "</wsdl:definitions>\n")
