"""ledgersync connector for QuickBooks Desktop through the QuickBooks Web Connector.

Subpackages are imported on demand; importing this package stays cheap.
"""

__version__ = "0.1.0"
