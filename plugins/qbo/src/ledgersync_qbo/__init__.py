"""ledgersync connector for QuickBooks Online (QBO) Accounting API v3.

The connector itself is added later; :mod:`ledgersync_qbo.sandbox` holds a local,
in-memory stand-in for QBO v3 used by tests, benchmarks and demos. Nothing heavy
is imported here.
"""

__version__ = "0.1.0"
