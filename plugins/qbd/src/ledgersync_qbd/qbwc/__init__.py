"""The Web Connector endpoint: SOAP in and out (:mod:`.soap`, :mod:`.wsdl`, :mod:`.app`), who may
connect (:mod:`.auth`), sessions kept in the ledger (:mod:`.sessions`, :mod:`.mutex`), and the
work of a session (:mod:`.planner` builds message sets, :mod:`.recorder` records answers,
:mod:`.service` ties the Web Connector's methods together).
"""
