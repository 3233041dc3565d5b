"""The one password hash of ledgersync (operators of the page, the Web Connector)."""

from __future__ import annotations

import pytest

from ledgersync import hash_password, verify_password

CHEAP = 2**10  # a cheap cost keeps the tests quick; the default is checked once below


def test_the_right_password_verifies() -> None:
    assert verify_password("a long password", hash_password("a long password", cost=CHEAP))


def test_a_wrong_password_does_not_verify() -> None:
    assert not verify_password("a long passworD", hash_password("a long password", cost=CHEAP))


def test_two_hashes_of_one_password_differ_by_their_salt() -> None:
    assert hash_password("same", cost=CHEAP) != hash_password("same", cost=CHEAP)


def test_a_hash_names_its_cost_so_old_hashes_verify_after_the_default_changes() -> None:
    stored = hash_password("a long password", cost=CHEAP)
    assert stored.split("$")[:4] == ["scrypt", str(CHEAP), "8", "1"]
    assert verify_password("a long password", stored)


def test_the_default_cost_is_memory_hard() -> None:
    assert int(hash_password("x").split("$")[1]) >= 2**14


@pytest.mark.parametrize("stored", ["", "plain-text", "md5$1$2$3$4$5", "scrypt$x$8$1$AA$AA",
                                    "scrypt$1024$8$1$not-base64!$AA"])
def test_a_stored_value_that_is_not_a_hash_never_matches(stored: str) -> None:
    assert not verify_password("plain-text", stored)
