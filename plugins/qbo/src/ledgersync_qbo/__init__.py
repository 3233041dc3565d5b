"""ledgersync connector for QuickBooks Online (QBO) Accounting API v3.

- :mod:`ledgersync_qbo.plugin`: the ``ledgersync`` entry point (connector and CLI commands);
- :mod:`ledgersync_qbo.connector`: :class:`~ledgersync_qbo.connector.QboConnector`;
- :mod:`ledgersync_qbo.sandbox`: a local stand-in for QBO v3 for tests, benchmarks and demos.

Nothing heavy is imported here, so `ledgersync plugins` stays fast.
"""

__version__ = "0.1.0"
