"""qbXML: the text QuickBooks Desktop reads, built and checked before it is sent.

:mod:`.text` decides what characters and lengths QuickBooks takes, :mod:`.refs` writes list
references and our stable ExternalGUIDs, :mod:`.customers` and :mod:`.transactions` build the
writes, :mod:`.lookups` the queries that find a record again, :mod:`.lists` the list reads,
:mod:`.document` wraps message sets and reads responses, :mod:`.versions` negotiates the version.
"""
