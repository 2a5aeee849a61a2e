"""Coin's own encoding of requests (coa.encoding, coa.client.Signer) read back by pyrad:
the same attributes in the same order, authenticators that verify, and replies whose
forged or altered authenticators are refused."""

import hashlib
import hmac
import struct

import pytest
from pyrad import packet as radius

from coa.client import Signer, encode_request, packet_pairs
from coa.dictionary import InvalidAttribute, get_dictionary, validate_pairs
from coa.encoding import encoder_for

SECRET = b"s3cr3t-shared"
PAIRS = validate_pairs(
    [
        ("User-Name", "jdoe-1"),
        ("Acct-Session-Id", "0000A1B2"),
        ("Framed-IP-Address", "198.51.100.7"),
        ("NAS-IPv6-Address", "2001:db8::1"),
        ("Framed-IPv6-Prefix", "2001:db8:1::/64"),
        ("Service-Type", "Framed-User"),
        ("Session-Timeout", 3600),
        ("ERX-Service-Deactivate", "fibre-100"),
        ("ERX-Service-Activate:1", "coin-suspended"),
        ("ERX-Service-Activate:2", "\x05starts-like-a-tag"),
        ("ERX-Service-Timeout:1", 600),
        ("Cisco-AVPair", "subscriber:sd=fibre-100"),
        ("Mikrotik-Rate-Limit", "1M/1M"),
        ("Cisco-AVPair", "subscriber:sa=coin-suspended"),
    ]
)


@pytest.mark.parametrize("code", [radius.CoARequest, radius.DisconnectRequest])
def test_pyrad_reads_back_what_coin_encodes(code):
    raw, authenticator = encode_request(code, PAIRS, SECRET, identifier=77, timestamp=1_760_000_000)
    request = radius.CoAPacket(packet=raw, secret=SECRET, dict=get_dictionary())
    assert (request.code, request.id, request.authenticator) == (code, 77, authenticator)
    assert request.VerifyCoARequest() and request.verify_message_authenticator()
    assert raw[20:22] == b"\x50\x12"  # Message-Authenticator first
    decoded = packet_pairs(request)
    assert decoded[-1] == ("Event-Timestamp", 1_760_000_000)
    # pyrad groups repeats of one attribute; the wire keeps Coin's order.
    expected = [(n, v if n != "Session-Timeout" else 3600) for n, v in PAIRS]
    assert sorted(decoded[:-1], key=str) == sorted(expected, key=str)
    again = b"".join(encoder_for(get_dictionary()).pair(n, v) for n, v in PAIRS)
    assert raw[38:-6] == again


def test_an_untagged_value_of_a_tagged_attribute_is_sent_as_pyrad_does():
    encoder = encoder_for(get_dictionary())
    legacy = radius.CoAPacket(secret=SECRET, dict=get_dictionary())
    for name, value in [
        ("ERX-Service-Activate", "x"),
        ("ERX-Service-Activate", "\x01y"),
        ("ERX-Service-Timeout", 9),
    ]:
        legacy.clear()
        legacy.AddAttribute(name, value)
        assert encoder.pair(name, value) == legacy._PktEncodeAttributes()


def test_values_too_long_or_encrypted_are_refused_before_sending():
    with pytest.raises(InvalidAttribute, match="Filter-Id: .*too long"):
        validate_pairs({"Filter-Id": "x" * 254})
    validate_pairs({"Filter-Id": "x" * 253})
    with pytest.raises(InvalidAttribute, match="Cisco-AVPair: .*too long"):
        validate_pairs({"Cisco-AVPair": "x" * 248})
    with pytest.raises(InvalidAttribute, match="User-Password: encrypted"):
        validate_pairs({"User-Password": "secret"})
    with pytest.raises(InvalidAttribute, match="Session-Timeout"):
        validate_pairs({"Session-Timeout": 2**32})


def reply(request_authenticator: bytes, code: int, attributes: bytes = b"", secret: bytes = SECRET) -> bytes:
    header = struct.pack("!BBH", code, 1, 20 + len(attributes))
    return header + hashlib.md5(header + request_authenticator + attributes + secret).digest() + attributes


def test_replies_are_checked_on_their_bytes():
    signer = Signer(SECRET)
    _raw, authenticator = signer.request(radius.CoARequest, 1, b"", 0)
    assert signer.reply(reply(authenticator, radius.CoAACK), authenticator) == (None, False)
    nak = reply(authenticator, radius.CoANAK, b"\x65\x06\x00\x00\x01\xf7")
    assert signer.reply(nak, authenticator) == (503, True)
    for bad in (
        reply(authenticator, radius.CoAACK, secret=b"other"),  # another secret
        reply(16 * b"\1", radius.CoAACK),  # made for another request
        reply(authenticator, radius.CoAACK, b"\x65\x01"),  # attribute length below 2
        reply(authenticator, radius.CoAACK, b"\x50\x12" + 16 * b"\0"),  # wrong Message-Authenticator
        nak[:-1],  # shorter than its Length field
    ):
        with pytest.raises(ValueError):
            signer.reply(bad, authenticator)
    # A right Message-Authenticator (RFC 3579 section 3.2: over the reply with the
    # request's authenticator and itself zeroed) is accepted.
    attributes = b"\x50\x12" + 16 * b"\0"
    header = struct.pack("!BBH", radius.CoAACK, 1, 38)
    mac = hmac.new(SECRET, header + authenticator + attributes, "md5").digest()
    assert signer.reply(reply(authenticator, radius.CoAACK, b"\x50\x12" + mac), authenticator) == (
        None,
        False,
    )
