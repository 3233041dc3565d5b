"""ledgersync's two-stage QuickBooks Desktop connector: records go to a cloud intermediary
(stage one, Intuit Anywhere / IDS v2 style) and reach the company file when the desktop's sync
runs (stage two, learnt from status and activity queries). See README.md."""

__version__ = "0.1.0"

__all__ = ["__version__"]
