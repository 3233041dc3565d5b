"""Signing in and out of the page: the login form, sessions that expire, the rate limit, the
trusted reverse-proxy header, and operator accounts from the command line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from ledgersync import OperatorError
from ledgersync.cli import cli
from ledgersync.web import WebSettings, create_app

from .conftest import PASSWORD, Browser, field


def test_a_page_without_a_session_sends_the_person_to_the_login_form(app) -> None:
    response = TestClient(app, follow_redirects=False).get("/log?status=error")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/log%3Fstatus%3Derror"


def test_the_login_form_has_username_and_password_fields_with_labels(app) -> None:
    html = TestClient(app).get("/login").text
    assert '<label for="username">' in html
    assert 'id="username" name="username"' in html
    assert '<label for="password">' in html
    assert 'name="password" type="password"' in html


def test_signing_in_opens_the_page_as_that_operator(app) -> None:
    response = Browser(app).login("otto")
    assert response.status_code == 200
    assert "otto (operator)" in response.text
    assert "<h1>Companies</h1>" in response.text


def test_signing_in_returns_to_the_page_asked_for(app) -> None:
    b = Browser(app)
    form = b.client.get("/login?next=/plugins")
    response = b.client.post("/login", data={
        "username": "otto", "password": PASSWORD, "next": "/plugins",
        "login_token": field(form.text, "login_token")})
    assert "<h1>Plugins and connectors</h1>" in response.text


def test_a_next_page_on_another_site_is_ignored(app) -> None:
    b = Browser(app)
    form = b.client.get("/login")
    response = b.client.post("/login", data={
        "username": "otto", "password": PASSWORD, "next": "//evil.example/",
        "login_token": field(form.text, "login_token")},
        follow_redirects=False)
    assert response.headers["location"] == "/"


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(app) -> None:
    response = Browser(app).login("otto", "not the password")
    assert response.status_code == 401
    assert "wrong name or password" in response.text
    assert Browser(app).login("nobody", PASSWORD).text.count("wrong name or password") == 1


def test_a_login_post_without_the_form_token_is_refused(app) -> None:
    client = TestClient(app)
    response = client.post("/login", data={"username": "otto", "password": PASSWORD})
    assert response.status_code == 403
    assert "ledgersync_session" not in client.cookies


def test_failed_sign_ins_are_rate_limited_even_with_the_right_password(app) -> None:
    b = Browser(app)
    for _ in range(5):
        assert b.login("otto", "guess").status_code == 401
    response = b.login("otto")
    assert response.status_code == 429
    assert "too many failed sign-ins" in response.text
    assert int(response.headers["retry-after"]) > 0


def test_the_session_cookie_is_http_only_and_same_site(app) -> None:
    b = Browser(app)
    form = b.client.get("/login")
    response = b.client.post("/login", data={
        "username": "otto", "password": PASSWORD,
        "login_token": field(form.text, "login_token")},
        follow_redirects=False)
    cookie = response.headers["set-cookie"].lower()
    assert "ledgersync_session=" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_a_session_ends_when_it_expires(app, world) -> None:
    b = Browser(app)
    b.login("otto")
    assert b.get("/").url.path == "/"
    world.clock.advance(hours=9)
    assert b.get("/").url.path == "/login"


def test_signing_out_ends_the_session(app) -> None:
    b = Browser(app)
    b.login("otto")
    token = b.client.cookies["ledgersync_session"]
    b.act("/logout")
    again = TestClient(app)
    again.cookies.set("ledgersync_session", token)
    assert again.get("/").url.path == "/login"


def test_a_changed_password_ends_the_operators_sessions(app, web_ledger) -> None:
    b = Browser(app)
    b.login("otto")
    web_ledger.operators().set_password("otto", "another long passphrase")
    assert b.get("/").url.path == "/login"


def test_the_trusted_proxy_header_signs_in_a_known_operator(web_ledger) -> None:
    app = create_app(web_ledger, WebSettings(trusted_user_header="X-Forwarded-User"))
    client = TestClient(app, headers={"X-Forwarded-User": "vera"})
    response = client.get("/")
    assert response.url.path == "/"
    assert "vera (viewer)" in response.text


def test_the_proxy_header_is_ignored_unless_configured(app) -> None:
    client = TestClient(app, headers={"X-Forwarded-User": "ada"})
    assert client.get("/").url.path == "/login"


def test_the_proxy_header_naming_an_unknown_person_signs_in_nobody(web_ledger) -> None:
    app = create_app(web_ledger, WebSettings(trusted_user_header="X-Forwarded-User"))
    client = TestClient(app, headers={"X-Forwarded-User": "mallory"})
    assert client.get("/").url.path == "/login"


def test_a_session_of_another_person_than_the_proxy_names_is_not_used(web_ledger) -> None:
    app = create_app(web_ledger, WebSettings(trusted_user_header="X-Forwarded-User"))
    client = TestClient(app, headers={"X-Forwarded-User": "ada"})
    client.get("/")
    client.headers["X-Forwarded-User"] = "vera"
    assert "vera (viewer)" in client.get("/").text


def test_passwords_are_stored_as_scrypt_hashes(web_ledger, world) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(world.database_url)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT password_hash FROM operators")).scalars().all()
    engine.dispose()
    assert stored
    assert all(h.startswith("scrypt$") and PASSWORD not in h for h in stored)


@pytest.mark.parametrize(("name", "role", "password", "problem"), [
    ("otto", "operator", PASSWORD, "exists already"),
    ("new", "root", PASSWORD, "role 'root' is unknown"),
    ("new", "viewer", "short", "shorter than 10"),
    ("bad name", "viewer", PASSWORD, "is not usable"),
])
def test_an_account_that_cannot_be_added_is_refused_with_the_reason(
        web_ledger, name, role, password, problem) -> None:
    with pytest.raises(OperatorError, match=problem):
        web_ledger.operators().add(name, role, password)


def _config(tmp_path, world) -> str:
    path = tmp_path / "ledgersync.toml"
    path.write_text(f'[ledger]\nurl = "{world.database_url}"\n\n[companies.harbor]\n'
                    f'connector = "fake"\n\n[companies.harbor.fake]\n'
                    f'books_path = "{world.books_path("harbor")}"\n', encoding="utf-8")
    return str(path)


def test_users_add_reads_the_password_from_stdin_and_lists_no_secret(tmp_path, world,
                                                                      web_ledger) -> None:
    config = _config(tmp_path, world)
    added = CliRunner().invoke(cli, ["--config", config, "users", "add", "bob", "--role",
                                     "operator", "--password-stdin"],
                               input="bobs long passphrase\n")
    assert added.exit_code == 0, added.output
    listed = CliRunner().invoke(cli, ["--config", config, "users", "list", "--json"])
    assert '"name": "bob"' in listed.output
    assert '"role": "operator"' in listed.output
    assert "passphrase" not in listed.output
    assert "scrypt" not in listed.output
    assert web_ledger.operators().authenticate("bob", "bobs long passphrase") is not None


def test_users_add_with_a_short_password_says_what_to_do_in_one_line(tmp_path, world,
                                                                      web_ledger) -> None:
    config = _config(tmp_path, world)
    result = CliRunner().invoke(cli, ["--config", config, "users", "add", "bob", "--role",
                                      "viewer", "--password-stdin"], input="short\n")
    assert result.exit_code == 1
    assert "shorter than 10 characters" in result.output
    assert "Traceback" not in result.output
