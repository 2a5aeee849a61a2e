"""coin.ldap.directory against a real slapd: paged reads, pipelined adds,
exact-state comparison."""

import ldap
import pytest

from coin.ldap import directory


def account(login: str) -> tuple[str, str, directory.Entry]:
    return (
        login,
        f"uid={login},ou=vpn,dc=coin,dc=test",
        {"objectClass": [b"account"], "uid": [login.encode()]},
    )


def test_paged_search_reads_every_entry_page_by_page(ldap_server):
    connection = directory.connect()
    failures = directory.add_many(connection, (account(f"a{i:02d}") for i in range(23)), window=5)
    assert failures == []
    seen = []
    pages = []
    original = connection.search_ext

    def counting(*args, **kwargs):
        pages.append(kwargs["serverctrls"][0].size)
        return original(*args, **kwargs)

    connection.search_ext = counting
    for _dn, entry in directory.paged_search(
        connection, ldap_server.base_dn, "(objectClass=account)", ["uid"], page_size=5
    ):
        seen.append(entry["uid"][0].decode())
    assert sorted(seen) == [f"a{i:02d}" for i in range(23)]
    assert len(pages) == 5  # 23 entries in pages of 5
    connection.unbind_s()


def test_paged_search_of_a_missing_base_yields_nothing(ldap_server):
    connection = directory.connect()
    assert (
        list(directory.paged_search(connection, "ou=nowhere,dc=coin,dc=test", "(objectClass=*)", ["uid"]))
        == []
    )


def test_add_many_reports_failures_and_ignores_existing_entries(ldap_server):
    connection = directory.connect()
    assert directory.add_many(connection, [account("same")]) == []
    bad = (
        "bad",
        "uid=bad,ou=vpn,dc=coin,dc=test",
        {"objectClass": [b"account"], "uid": [b"bad"], "mail": [b"x"]},
    )
    failures = directory.add_many(connection, [account("same"), bad])
    assert [key for key, _error in failures] == ["bad"]  # account allows no mail
    assert "attribute 'mail' not allowed" in failures[0][1]


def test_differences_ignore_case_order_and_unmanaged_attributes():
    managed = ["objectClass", "uid", "description"]
    current = {"objectclass": [b"Account"], "UID": [b"x"], "description": [b"b", b"a"], "other": [b"1"]}
    assert (
        directory.differences(
            current, {"objectClass": [b"account"], "uid": [b"x"], "description": [b"a", b"b"]}, managed
        )
        == []
    )
    changes = directory.differences(current, {"objectClass": [b"account"], "uid": [b"x"]}, managed)
    assert changes == [(ldap.MOD_DELETE, "description", None)]


def test_connect_refused_raises(settings, db):
    settings.LDAP_URI = "ldap://127.0.0.1:9/"
    with pytest.raises(ldap.SERVER_DOWN):
        directory.connect()
