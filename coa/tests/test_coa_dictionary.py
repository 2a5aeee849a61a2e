"""Coin's own RADIUS dictionaries, extra dictionary folders, and attribute validation."""

import os

import pytest

from coa.dictionary import DictionaryError, InvalidAttribute, error_cause_name, get_dictionary, validate_pairs


def test_shipped_dictionaries_parse_with_the_vendor_facts():
    dictionary = get_dictionary()
    assert dictionary["ERX-Service-Activate"].has_tag and dictionary["ERX-Service-Activate"].vendor == "ERX"
    assert not dictionary["ERX-Service-Deactivate"].has_tag
    assert dictionary.vendors.GetForward("ERX") == 4874
    assert dictionary["Cisco-AVPair"].vendor == "Cisco" and dictionary.vendors.GetForward("Cisco") == 9
    assert (
        dictionary.vendors.GetForward("Mikrotik") == 14988
        and dictionary["Mikrotik-Rate-Limit"].type == "string"
    )
    assert dictionary["Framed-IPv6-Prefix"].type == "ipv6prefix"
    assert dictionary["Delegated-IPv6-Prefix"].code == 123
    assert dictionary["Event-Timestamp"].type == "date"
    # RFC 3576's values, and those RFC 5176 adds
    assert error_cause_name(503) == "Session-Context-Not-Found"
    assert error_cause_name(407) == "Invalid-Attribute-Value"
    assert error_cause_name(999) == "999"


def test_values_are_converted_to_their_types():
    assert validate_pairs(
        {
            "User-Name": "jdoe-1",
            "Framed-IP-Address": "198.51.100.7",
            "Session-Timeout": "3600",
            "Service-Type": "Framed-User",
            "Framed-IPv6-Prefix": "2001:db8:1::/64",
            "ERX-Service-Activate:1": "fibre-100(100M)",
            "Cisco-AVPair": ["subscriber:sa=a", "subscriber:sd=b"],
        }
    ) == [
        ("User-Name", "jdoe-1"),
        ("Framed-IP-Address", "198.51.100.7"),
        ("Session-Timeout", 3600),
        ("Service-Type", "Framed-User"),
        ("Framed-IPv6-Prefix", "2001:db8:1::/64"),
        ("ERX-Service-Activate:1", "fibre-100(100M)"),
        ("Cisco-AVPair", "subscriber:sa=a"),
        ("Cisco-AVPair", "subscriber:sd=b"),
    ]
    assert validate_pairs([["Filter-Id", "a"], ["Filter-Id", "b"]]) == [
        ("Filter-Id", "a"),
        ("Filter-Id", "b"),
    ]


@pytest.mark.parametrize(
    "attributes, name, reason",
    [
        ({"Not-An-Attribute": "x"}, "Not-An-Attribute", "unknown attribute"),
        ({"Framed-IP-Address": "198.51.100.300"}, "Framed-IP-Address", "is not an IPv4 address"),
        ({"Framed-IP-Address": "2001:db8::1"}, "Framed-IP-Address", "is not an IPv4 address"),
        ({"NAS-IPv6-Address": "192.0.2.1"}, "NAS-IPv6-Address", "is not an IPv6 address"),
        ({"Session-Timeout": "soon"}, "Session-Timeout", "is not a number"),
        ({"Session-Timeout": -1}, "Session-Timeout", "out of range"),
        ({"Service-Type": "Sometimes"}, "Service-Type", "Framed-User"),
        ({"Framed-IPv6-Prefix": "10.0.0.0/8"}, "Framed-IPv6-Prefix", "is not an IPv6 prefix"),
        ({"ERX-Service-Deactivate:1": "x"}, "ERX-Service-Deactivate:1", "takes no tag"),
        ({"ERX-Service-Activate:40": "x"}, "ERX-Service-Activate:40", "tag must be a number"),
        ({"Message-Authenticator": "0x00"}, "Message-Authenticator", "adds this attribute itself"),
        ({"Filter-Id": "x" * 254}, "Filter-Id", "253"),
        ({"Filter-Id": None}, "Filter-Id", "not a valid value"),
        ([["Filter-Id"]], "['Filter-Id']", "expected a pair"),
    ],
)
def test_bad_attributes_are_refused_by_name(attributes, name, reason):
    with pytest.raises(InvalidAttribute) as raised:
        validate_pairs(attributes)
    assert raised.value.attribute == name and reason in raised.value.reason


def test_dictionaries_dropped_in_a_folder_are_used_without_a_restart(settings, tmp_path):
    settings.RADIUS_DICTIONARY_DIRS = [str(tmp_path)]
    with pytest.raises(InvalidAttribute):
        validate_pairs({"Acme-Profile": "gold"})
    local = tmp_path / "dictionary.acme"
    local.write_text(
        "VENDOR Acme 64999\nBEGIN-VENDOR Acme\nATTRIBUTE Acme-Profile 1 string\nEND-VENDOR Acme\n"
    )
    assert validate_pairs({"Acme-Profile": "gold"}) == [("Acme-Profile", "gold")]
    assert get_dictionary()["Acme-Profile"].vendor == "Acme"
    # changed in place: the new attribute is seen
    local.write_text(local.read_text().replace("END-VENDOR", "ATTRIBUTE Acme-Level 2 integer\nEND-VENDOR"))
    stat = local.stat()
    os.utime(local, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert validate_pairs({"Acme-Level": "3"}) == [("Acme-Level", 3)]
    (tmp_path / "README").write_text("not a dictionary: ignored")
    assert "Acme-Level" in get_dictionary()
    local.unlink()
    with pytest.raises(InvalidAttribute):
        validate_pairs({"Acme-Profile": "gold"})


def test_a_broken_extra_dictionary_is_a_clear_error(settings, tmp_path):
    settings.RADIUS_DICTIONARY_DIRS = [str(tmp_path)]
    (tmp_path / "dictionary.broken").write_text("ATTRIBUTE Broken 1 sometype\n")
    with pytest.raises(DictionaryError, match="dictionary.broken"):
        get_dictionary()
