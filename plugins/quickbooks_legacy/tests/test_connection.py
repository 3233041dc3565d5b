"""The connection: the access token stored encrypted, its 180-day lifetime shown, renewal
within the last 30 days, and the reconnect errors explained."""

from __future__ import annotations

import sqlalchemy as sa

from ledgersync_quickbooks_legacy.oauth import RECONNECT_ERRORS, reconnect

from .conftest import COMPANY


def test_the_token_is_stored_encrypted(ledger, connector, sandbox, tmp_path):
    token = connector.credentials.load().token

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        with engine.connect() as conn:
            stored = b"".join(row[0] for row in conn.execute(sa.text(
                "SELECT ciphertext FROM secrets")))
    finally:
        engine.dispose()

    assert token.encode() not in stored


def test_check_shows_the_lifetime_and_when_renewal_opens(connector, clock):
    assert "expires on 2026-08-29" in connector.check()
    assert "renewable from 2026-07-30" in connector.check()

    clock.advance(days=160)

    assert "the renewal window is open" in connector.check()


def test_reconnect_within_the_window_stores_the_new_token(connector, clock, sandbox):
    old = connector.credentials.load().token
    clock.advance(days=155)

    fresh = reconnect(connector.settings, connector.credentials, sandbox.transport())

    assert fresh.token != old
    assert connector.credentials.load().token == fresh.token
    assert fresh.issued == clock.now()


def test_reconnect_too_early_explains_error_212(connector, clock, sandbox):
    import pytest

    from ledgersync import ConnectorError

    clock.advance(days=10)
    with pytest.raises(ConnectorError) as raised:
        reconnect(connector.settings, connector.credentials, sandbox.transport())

    assert raised.value.code == "212"
    assert "within 30 days of its expiry" in str(raised.value)
    assert raised.value.remedy == RECONNECT_ERRORS["212"][1]


def test_every_documented_reconnect_error_has_words_and_a_remedy():
    assert set(RECONNECT_ERRORS) == {"22", "24", "212", "270"}
    assert all(words and remedy for words, remedy in RECONNECT_ERRORS.values())


def test_an_unconnected_company_names_the_command_that_connects_it(open_ledger, settings,
                                                                    sandbox):
    from ledgersync import ConnectorError
    from ledgersync_quickbooks_legacy.oauth import CredentialStore

    ledger = open_ledger(settings)
    connector = ledger.connector(COMPANY)
    connector.context.secrets.delete("oauth1_token")

    import pytest

    with pytest.raises(ConnectorError) as raised:
        CredentialStore(connector.context, COMPANY).load()
    assert "quickbooks_legacy connect club" in (raised.value.remedy or "")
