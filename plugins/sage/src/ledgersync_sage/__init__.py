"""ledgersync connector for Sage Intacct: MMS activity as general-ledger journal entries.

- :mod:`ledgersync_sage.plugin`: the ``ledgersync`` entry point (connector, commands);
- :mod:`ledgersync_sage.connector`: :class:`~ledgersync_sage.connector.SageConnector`;
- :mod:`ledgersync_sage.sandbox`: a local stand-in for the Intacct XML gateway.

Nothing heavy is imported here, so `ledgersync plugins` stays fast.
"""

__version__ = "0.1.0"
