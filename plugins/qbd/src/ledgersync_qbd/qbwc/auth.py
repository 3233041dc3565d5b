"""Who may connect: one Web Connector user per company, passwords checked against a slow hash.

The hash is scrypt (n=2^14, r=8, p=1: about 16 MiB and tens of milliseconds per check, so a
stolen ledger does not give passwords away cheaply), stored in the company's SecretStore by
`ledgersync qbd set-password`. A ``password = "env:NAME"`` in the config is compared in
constant time instead. An unknown user costs the same hash as a known one, so answers do not
reveal which user names exist.
"""

from __future__ import annotations

import hmac
import logging
import secrets

import attrs

from ledgersync import CompanyConfig, LedgerSyncError, SecretStore, verify_password
from ledgersync import hash_password as _scrypt_hash

from ..settings import QbdSettings

log = logging.getLogger(__name__)

SECRET_NAME = "qbwc_password_hash"
_COST = 2**14
_DUMMY = None  # computed lazily: a valid hash for an impossible password


def hash_password(password: str) -> str:
    """The stored form of a Web Connector password (the core's scrypt hash, at a cost a
    Web Connector login every few minutes affords)."""
    return _scrypt_hash(password, cost=_COST)


def _dummy_hash() -> str:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = hash_password(secrets.token_hex(16))
    return _DUMMY


@attrs.frozen
class Account:
    company: CompanyConfig
    settings: QbdSettings
    secrets: SecretStore


class Directory:
    """Web Connector user names -> companies (enabled QuickBooks Desktop companies only)."""

    def __init__(self, accounts: list[Account]) -> None:
        self._by_user: dict[str, Account] = {}
        for account in accounts:
            name = account.settings.username
            if name in self._by_user:
                # Two companies behind one user would mix their data.
                raise LedgerSyncError(
                    f"companies {self._by_user[name].company.name!r} and "
                    f"{account.company.name!r} use the same Web Connector username {name!r}",
                    remedy="Give every QuickBooks Desktop company its own username in "
                    "[companies.NAME.qbd]")
            self._by_user[name] = account

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account of ``username`` if ``password`` is right, else None."""
        account = self._by_user.get(username)
        if account is None:
            verify_password(password, _dummy_hash())
            return None
        stored = _stored_hash(account)
        if stored is not None:
            return account if verify_password(password, stored) else None
        if account.settings.password:
            ok = hmac.compare_digest(password.encode("utf-8"),
                                     account.settings.password.encode("utf-8"))
            return account if ok else None
        log.warning("company %s has no Web Connector password: set one with `ledgersync qbd "
                    "set-password %s`", account.company.name, account.company.name)
        verify_password(password, _dummy_hash())
        return None

    def __len__(self) -> int:
        return len(self._by_user)


def _stored_hash(account: Account) -> str | None:
    try:
        return account.secrets.get(SECRET_NAME)
    except LedgerSyncError as exc:  # no LEDGERSYNC_SECRET_KEY: only env passwords can work
        log.warning("company %s: cannot read the stored password hash: %s",
                    account.company.name, exc)
        return None
