"""Operator accounts and page sessions, kept in the ledger.

A person who uses the Accounting Sync page has a name, a role and a password hashed with scrypt
(``_passwords.py``). Roles, weakest first: ``viewer`` reads every page,
``operator`` also acts on items (requeue, approve, map, run now...), ``admin`` also sets a
connector's credentials. Sessions live in the ledger too, so every server process shares them
and a sign-out or a removed account ends them everywhere.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Callable

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ._errors import OperatorError
from ._ledger.database import read_connection
from ._ledger.schema import operators, web_sessions
from ._passwords import hash_password, verify_password

ROLES = ("viewer", "operator", "admin")
MIN_PASSWORD_LENGTH = 10
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-")

@functools.cache
def _dummy_hash() -> str:
    """Verifying an unknown name costs as much as a known one, so timing does not tell names
    apart (made on first use, not at import)."""
    return hash_password(secrets.token_urlsafe(16))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@attrs.frozen(kw_only=True)
class Operator:
    """A person who may use the Accounting Sync page (never carries the password hash)."""

    name: str
    role: str
    created_at: dt.datetime

    def may(self, role: str) -> bool:
        """Whether this operator's role is at least ``role``."""
        return ROLES.index(self.role) >= ROLES.index(role)


@attrs.frozen(kw_only=True)
class OperatorSession:
    """A signed-in session: who, their role, the session's CSRF token, when it ends."""

    operator: Operator
    csrf_token: str
    expires_at: dt.datetime


class OperatorAccounts:
    """Operator accounts and their sessions in one ledger. Get it from
    :meth:`ledgersync.Ledger.operators`."""

    def __init__(self, engine: Engine, clock: Callable[[], dt.datetime]) -> None:
        self._engine = engine
        self._now = clock

    # -- accounts ----------------------------------------------------------------------------

    def add(self, name: str, role: str, password: str) -> Operator:
        """Add an account; refuses a taken name, an unknown role or a short password."""
        _check_name(name)
        _check_role(role)
        _check_password(password)
        now = self._now()
        with self._engine.begin() as conn:
            taken = conn.execute(sa.select(operators.c.name).where(
                operators.c.name == name)).first()
            if taken is not None:
                raise OperatorError(f"an operator named {name!r} exists already",
                                    remedy="Choose another name, or change this one's password "
                                    "with `ledgersync users set-password`")
            conn.execute(sa.insert(operators).values(
                name=name, role=role, password_hash=hash_password(password), created_at=now,
                updated_at=now))
        return Operator(name=name, role=role, created_at=now)

    def set_password(self, name: str, password: str) -> None:
        """Change an operator's password; ends every session of theirs."""
        _check_password(password)
        with self._engine.begin() as conn:
            done = conn.execute(sa.update(operators).where(operators.c.name == name).values(
                password_hash=hash_password(password), updated_at=self._now())).rowcount
            if not done:
                raise _unknown(name)
            conn.execute(sa.delete(web_sessions).where(web_sessions.c.operator == name))

    def set_role(self, name: str, role: str) -> None:
        """Change an operator's role (takes effect on their next request)."""
        _check_role(role)
        with self._engine.begin() as conn:
            done = conn.execute(sa.update(operators).where(operators.c.name == name).values(
                role=role, updated_at=self._now())).rowcount
        if not done:
            raise _unknown(name)

    def remove(self, name: str) -> None:
        """Remove an account and end its sessions."""
        with self._engine.begin() as conn:
            conn.execute(sa.delete(web_sessions).where(web_sessions.c.operator == name))
            done = conn.execute(sa.delete(operators).where(operators.c.name == name)).rowcount
        if not done:
            raise _unknown(name)

    def list(self) -> list[Operator]:
        """Every account, by name."""
        with read_connection(self._engine) as conn:
            rows = conn.execute(sa.select(operators.c.name, operators.c.role,
                                          operators.c.created_at)
                                .order_by(operators.c.name)).all()
        return [Operator(name=r.name, role=r.role, created_at=r.created_at) for r in rows]

    def get(self, name: str) -> Operator | None:
        """The account called ``name``, or None."""
        with read_connection(self._engine) as conn:
            row = conn.execute(sa.select(operators.c.name, operators.c.role,
                                         operators.c.created_at)
                               .where(operators.c.name == name)).first()
        return None if row is None else Operator(name=row.name, role=row.role,
                                                 created_at=row.created_at)

    def authenticate(self, name: str, password: str) -> Operator | None:
        """The operator when the password is theirs, else None (same cost either way)."""
        with read_connection(self._engine) as conn:
            row = conn.execute(sa.select(operators).where(operators.c.name == name)).first()
        if row is None:
            verify_password(password, _dummy_hash())
            return None
        if not verify_password(password, row.password_hash):
            return None
        return Operator(name=row.name, role=row.role, created_at=row.created_at)

    # -- sessions ----------------------------------------------------------------------------

    def start_session(self, name: str, *, lifetime: dt.timedelta) -> tuple[str, OperatorSession]:
        """A new session for ``name``: returns the cookie's token (kept only as a hash) and
        the session. Expired sessions are swept on the way."""
        operator = self.get(name)
        if operator is None:
            raise _unknown(name)
        token = secrets.token_urlsafe(32)
        now = self._now()
        session = OperatorSession(operator=operator, csrf_token=secrets.token_urlsafe(32),
                                  expires_at=now + lifetime)
        with self._engine.begin() as conn:
            conn.execute(sa.delete(web_sessions).where(web_sessions.c.expires_at <= now))
            conn.execute(sa.insert(web_sessions).values(
                token_hash=_token_hash(token), operator=name, csrf_token=session.csrf_token,
                created_at=now, expires_at=session.expires_at))
        return token, session

    def session(self, token: str) -> OperatorSession | None:
        """The live session of a cookie's token, or None (unknown, expired, or ended)."""
        with read_connection(self._engine) as conn:
            row = conn.execute(
                sa.select(web_sessions.c.csrf_token, web_sessions.c.expires_at,
                          operators.c.name, operators.c.role, operators.c.created_at)
                .join(operators, operators.c.name == web_sessions.c.operator)
                .where(web_sessions.c.token_hash == _token_hash(token))).first()
        if row is None or row.expires_at <= self._now():
            return None
        return OperatorSession(
            operator=Operator(name=row.name, role=row.role, created_at=row.created_at),
            csrf_token=row.csrf_token, expires_at=row.expires_at)

    def end_session(self, token: str) -> None:
        """Sign out: the token no longer opens anything."""
        with self._engine.begin() as conn:
            conn.execute(sa.delete(web_sessions).where(
                web_sessions.c.token_hash == _token_hash(token)))


def _unknown(name: str) -> OperatorError:
    return OperatorError(f"no operator named {name!r}",
                         remedy="List them with `ledgersync users list`")


def _check_name(name: str) -> None:
    if not name or len(name) > 100 or not set(name) <= _NAME_CHARS:
        raise OperatorError(f"operator name {name!r} is not usable",
                            remedy="Use 1 to 100 letters, digits, '.', '_', '@' or '-'")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise OperatorError(f"role {role!r} is unknown",
                            remedy=f"Use one of: {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OperatorError(f"the password is shorter than {MIN_PASSWORD_LENGTH} characters",
                            remedy="Choose a longer one (a passphrase of a few words is good)")
