"""The sandbox speaks the same Decimal-exact JSON as the connector (one implementation)."""

from ..jsonio import JSONError, dumps, loads

__all__ = ["JSONError", "dumps", "loads"]
