"""Encrypted secrets in the ledger (OAuth tokens, Web Connector password hashes).

Values are encrypted with Fernet (AES-128-CBC + HMAC) under keys from ``LEDGERSYNC_SECRET_KEY``:
one key, or several separated by commas with the newest first, so keys can be rotated
(`ledgersync secrets rotate` re-encrypts every value under the first key).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.engine import Connection, Engine

from ._errors import LedgerError, SecretKeyError
from ._ledger.database import read_connection
from ._ledger.schema import secrets
from ._ledger.types import utcnow

KEY_ENV = "LEDGERSYNC_SECRET_KEY"


def generate_key() -> str:
    """A new random key for ``LEDGERSYNC_SECRET_KEY``."""
    return Fernet.generate_key().decode("ascii")


def _cipher(keys: str | None) -> MultiFernet:
    raw = keys if keys is not None else os.environ.get(KEY_ENV)
    if not raw:
        raise SecretKeyError(
            f"no secret key: {KEY_ENV} is not set, so secrets cannot be stored or read",
            remedy=f"Set {KEY_ENV} to the output of `ledgersync secrets generate-key` "
            "and keep it somewhere safe",
        )
    try:
        return MultiFernet([Fernet(k.strip().encode("ascii")) for k in raw.split(",")])
    except (ValueError, UnicodeEncodeError) as exc:
        raise SecretKeyError(
            f"{KEY_ENV} is not a valid key (expected url-safe base64 of 32 bytes)",
            remedy="Generate one with `ledgersync secrets generate-key`",
        ) from exc


def check_key(
    engine: Engine, companies: Sequence[str] | None = None, *, keys: str | None = None
) -> None:
    """Refuse to start work when a company has stored secrets (OAuth tokens, Web Connector
    password hashes) that the key in the environment cannot read: a configuration error found
    before anything is claimed, not a failure of every item that then needs the secrets."""
    query = sa.select(secrets.c.company, secrets.c.name, secrets.c.ciphertext)
    if companies is not None:
        query = query.where(secrets.c.company.in_(list(companies)))
    with read_connection(engine) as conn:
        rows = conn.execute(query.order_by(secrets.c.company, secrets.c.name)).all()
    if not rows:
        return
    raw = keys if keys is not None else os.environ.get(KEY_ENV)
    stored = sorted({row.company for row in rows})
    who = ", ".join(repr(name) for name in stored)
    if not raw:
        raise SecretKeyError(f"{KEY_ENV} is not set, and company {who} has secrets stored "
                             "under it")
    cipher = _cipher(raw)
    for row in rows:
        try:
            cipher.decrypt(row.ciphertext)
        except InvalidToken:
            raise SecretKeyError(
                f"{KEY_ENV} does not decrypt secret {row.name!r} of company {row.company!r}: "
                "it is not the key the secrets were stored with"
            ) from None


class SecretStore:
    """One company's secrets. Nothing here ever logs or returns ciphertext as text."""

    def __init__(self, engine: Engine, company: str, *, keys: str | None = None) -> None:
        self._engine = engine
        self.company = company
        self._keys = keys

    def check_key(self, *, storing: bool = True) -> None:
        """Raise :class:`SecretKeyError` unless the key reads every secret this company already
        has and, when ``storing``, a valid key is set at all: call it before asking a person for
        something to store (an OAuth consent, a password), so a missing key is found before,
        not after; ``storing=False`` before serving what only reads the stored secrets."""
        if storing:
            _cipher(self._keys)
        check_key(self._engine, [self.company], keys=self._keys)

    def get(self, name: str) -> str | None:
        with read_connection(self._engine) as conn:  # a read: never queue behind writers
            row = conn.execute(
                sa.select(secrets.c.ciphertext).where(
                    secrets.c.company == self.company, secrets.c.name == name
                )
            ).first()
        if row is None:
            return None
        try:
            return _cipher(self._keys).decrypt(row.ciphertext).decode("utf-8")
        except InvalidToken:
            raise LedgerError(
                f"secret {name!r} of company {self.company!r} cannot be decrypted with the "
                f"key(s) in {KEY_ENV}",
                remedy="Add the key it was stored with (comma-separated, newest first), "
                "or store the secret again",
            ) from None

    def set(self, name: str, value: str, *, connection: Connection | None = None) -> None:
        """Store ``value`` encrypted, atomically replacing the previous one."""
        token = _cipher(self._keys).encrypt(value.encode("utf-8"))

        def write(conn: Connection) -> None:
            conn.execute(
                sa.delete(secrets).where(
                    secrets.c.company == self.company, secrets.c.name == name
                )
            )
            conn.execute(
                sa.insert(secrets).values(
                    company=self.company, name=name, ciphertext=token, updated_at=utcnow()
                )
            )

        _in_transaction(self._engine, connection, write)

    def delete(self, name: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                sa.delete(secrets).where(
                    secrets.c.company == self.company, secrets.c.name == name
                )
            )


def rotate_all(engine: Engine, *, keys: str | None = None) -> int:
    """Re-encrypt every secret under the first key; returns how many were rewritten."""
    cipher = _cipher(keys)
    count = 0
    with engine.begin() as conn:
        rows = conn.execute(sa.select(secrets.c.company, secrets.c.name, secrets.c.ciphertext))
        for row in rows.all():
            conn.execute(
                sa.update(secrets)
                .where(secrets.c.company == row.company, secrets.c.name == row.name)
                .values(ciphertext=cipher.rotate(row.ciphertext), updated_at=utcnow())
            )
            count += 1
    return count


def _in_transaction(
    engine: Engine, connection: Connection | None, work: Callable[[Connection], None]
) -> None:
    if connection is not None:
        work(connection)
        return
    with engine.begin() as conn:
        work(conn)
