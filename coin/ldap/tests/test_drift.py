"""coin.ldap.drift: the comparison that both LDAP sync commands use, and repairs that
go on after one fails (against a real slapd for the repairs)."""

import ldap

from coin.ldap import directory, drift


def entry_for(state: drift.State) -> directory.Entry:
    return {"objectClass": [b"account"], "uid": [state["uid"].encode()], "host": [state["host"].encode()]}


def differences(current: directory.Entry, wanted: directory.Entry) -> directory.Modlist:
    return directory.differences(current, wanted, ("objectClass", "uid", "host"))


def test_compare_finds_missing_changed_extra_and_unchanged():
    wanted = {name: {"uid": name, "host": host} for name, host in [("a", "h1"), ("b", "h2"), ("c", "h3")]}
    current = {
        "b": entry_for({"uid": "b", "host": "old"}),
        "c": {"objectClass": [b"ACCOUNT"], "UID": [b"c"], "host": [b"h3"]},  # case-insensitive names
        "z": entry_for({"uid": "z", "host": "h9"}),
    }
    found = drift.compare(drift.Drift(key="uid"), wanted, current, entry_for, differences)
    assert [state["uid"] for state in found.missing] == ["a"]
    assert [(state["uid"], {change[1] for change in changes}) for state, changes in found.changed] == [
        ("b", {"host"})
    ]
    assert found.extra == ["z"]
    assert found.unchanged == 1
    assert found.total == 3
    assert list(found.describe_entries()) == ["missing: a", "changed: b (host)"]


def test_apply_each_records_an_ldap_failure_and_goes_on(ldap_server):
    connection = directory.connect()
    base = "ou=vpn,dc=coin,dc=test"
    seen = []

    def add(uid: str) -> None:
        connection.add_s(f"uid={uid},{base}", ldap.modlist.addModlist(entry_for({"uid": uid, "host": "h"})))

    def delete_missing() -> None:
        connection.delete_s(f"uid=nobody,{base}")

    done, failures = drift.apply_each(
        [("first", lambda: add("first")), ("nobody", delete_missing), ("second", lambda: add("second"))],
        on_item=seen.append,
    )
    assert done == 2
    assert [key for key, _error in failures] == ["nobody"]
    assert "No such object" in failures[0][1]
    assert seen == ["first", "nobody", "second"]
    assert set(directory.entries_by_uid(connection, base, "(objectClass=account)", ["uid"])) >= {
        "first",
        "second",
    }
