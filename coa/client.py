"""A RADIUS Dynamic Authorization client (RFC 5176) on pyrad's dictionaries.

Rules:
- every request carries Event-Timestamp (RFC 5176 section 3.4) and a
  Message-Authenticator (RFC 2869 section 5.14, the BlastRADIUS countermeasure);
- a request is sent to the BNG's address (IPv4 or IPv6) and CoA port with its shared
  secret, waits ``timeout`` seconds for an answer and is sent again, unchanged (same
  Identifier and Authenticator), ``retries`` more times before it counts as unanswered;
- an answer counts only if it comes from the address and port the request went to, is
  the ACK or NAK of the request's kind, and its Response Authenticator and
  Message-Authenticator (when present) verify;
- many requests are in flight at once (``exchange``): one UDP socket holds up to 256
  (the Identifier is one octet, given back when its answer came), more sockets are
  opened for more. To keep that cheap, attributes are encoded once per request
  (``Encoder``, names looked up once), each secret's HMAC key is prepared once
  (``Signer``), and a reply is decoded by pyrad only when it carries attributes
  besides its Message-Authenticator (e.g. a NAK's Error-Cause).

This module knows no Django model: ``Target`` carries what it needs of a BNG.
"""

import hashlib
import hmac
import ipaddress
import math
import selectors
import socket
import struct
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyrad import packet as radius
from pyrad.dictionary import Dictionary

from coa.dictionary import Pair, get_dictionary
from coa.encoding import UINT32 as _UINT32
from coa.encoding import encoder_for

CODE_NAMES = {
    radius.DisconnectRequest: "Disconnect-Request",
    radius.DisconnectACK: "Disconnect-ACK",
    radius.DisconnectNAK: "Disconnect-NAK",
    radius.CoARequest: "CoA-Request",
    radius.CoAACK: "CoA-ACK",
    radius.CoANAK: "CoA-NAK",
}
#: The answers a request code may get (ACK, NAK).
REPLY_CODES = {
    radius.CoARequest: (radius.CoAACK, radius.CoANAK),
    radius.DisconnectRequest: (radius.DisconnectACK, radius.DisconnectNAK),
}
ERROR_CAUSE = 101
SESSION_CONTEXT_NOT_FOUND = 503
MAX_DATAGRAM = 4096


@dataclass(frozen=True)
class Target:
    """Where a request goes: a BNG's CoA endpoint."""

    address: str
    port: int
    secret: bytes
    timeout: float = 3.0
    retries: int = 2

    @classmethod
    def of(cls, bng: Any) -> "Target":
        """The target of a coa.models.BNG."""
        return cls(
            address=str(bng.address),
            port=int(bng.coa_port),
            secret=bng.secret.encode(),
            timeout=float(bng.timeout),
            retries=int(bng.retries),
        )

    @property
    def family(self) -> int:
        return socket.AF_INET6 if ipaddress.ip_address(self.address).version == 6 else socket.AF_INET


@dataclass
class Answer:
    """What came back: the reply's code (None when none came), its attributes,
    its Error-Cause, the time from the first send to the answer, and how many sends."""

    code: int | None
    attributes: list[Pair] = field(default_factory=list)
    error_cause: int | None = None
    latency: float | None = None
    sends: int = 0

    @property
    def name(self) -> str:
        return CODE_NAMES.get(self.code, "no answer") if self.code is not None else "no answer"

    @property
    def acknowledged(self) -> bool:
        return self.code in (radius.CoAACK, radius.DisconnectACK)

    @property
    def session_gone(self) -> bool:
        """A NAK saying the BNG has no such session (Error-Cause 503)."""
        return (
            self.code in (radius.CoANAK, radius.DisconnectNAK)
            and self.error_cause == SESSION_CONTEXT_NOT_FOUND
        )


_PACKET_HEADER = struct.Struct("!BBH")
_ZERO = 16 * b"\0"
_MESSAGE_AUTHENTICATOR = b"\x50\x12"
_EVENT_TIMESTAMP = b"\x37\x06"


class Signer:
    """Signs requests and checks replies with one shared secret (RFC 5176 section 3.3:
    Request Authenticator = MD5(Code+Identifier+Length+16 zero octets+Attributes+Secret);
    RFC 3579 section 3.2: Message-Authenticator = HMAC-MD5 over the packet with its
    own value zeroed and, in a reply, the request's authenticator in place of the
    reply's). The keyed HMAC state is made once and copied for each packet."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self._hmac = hmac.new(secret, digestmod="md5")

    def _mac(self, data: bytes) -> bytes:
        mac = self._hmac.copy()
        mac.update(data)
        return mac.digest()

    def request(self, code: int, identifier: int, attributes: bytes, timestamp: int) -> tuple[bytes, bytes]:
        """A request on the wire with its attributes, Event-Timestamp and (first) a
        Message-Authenticator; returns the packet and its Request Authenticator."""
        length = 20 + 18 + len(attributes) + 6
        if length > MAX_DATAGRAM:
            raise ValueError(f"request too long ({length} octets, at most {MAX_DATAGRAM})")
        header = _PACKET_HEADER.pack(code, identifier, length)
        tail = attributes + _EVENT_TIMESTAMP + _UINT32.pack(timestamp)
        mac = self._mac(header + _ZERO + _MESSAGE_AUTHENTICATOR + _ZERO + tail)
        body = _MESSAGE_AUTHENTICATOR + mac + tail
        authenticator = hashlib.md5(header + _ZERO + body + self.secret).digest()
        return header + authenticator + body, authenticator

    def reply(self, raw: bytes, authenticator: bytes) -> tuple[int | None, bool]:
        """Whether ``raw`` is a genuine reply to the request of ``authenticator``:
        (its Error-Cause, whether it has attributes besides the Message-Authenticator),
        or raises ValueError. Checks the length, the Response Authenticator and the
        Message-Authenticator when there is one."""
        length = _PACKET_HEADER.unpack_from(raw)[2] if len(raw) >= 20 else 0
        if length < 20 or length > len(raw):
            raise ValueError("bad length")
        raw = raw[:length]
        body = raw[20:]
        if hashlib.md5(raw[:4] + authenticator + body + self.secret).digest() != raw[4:20]:
            raise ValueError("bad Response Authenticator")
        position, mac_at, error_cause, others = 20, -1, None, False
        while position < length:
            if position + 2 > length:
                raise ValueError("truncated attribute")
            kind, size = raw[position], raw[position + 1]
            if size < 2 or position + size > length:
                raise ValueError("bad attribute length")
            if kind == 80:
                if size != 18 or mac_at >= 0:
                    raise ValueError("bad Message-Authenticator")
                mac_at = position
            else:
                others = True
                if kind == ERROR_CAUSE and size == 6:
                    error_cause = _UINT32.unpack_from(raw, position + 2)[0]
            position += size
        if mac_at >= 0:
            signed = raw[:4] + authenticator + raw[20 : mac_at + 2] + _ZERO + raw[mac_at + 18 :]
            if not hmac.compare_digest(self._mac(signed), raw[mac_at + 2 : mac_at + 18]):
                raise ValueError("bad Message-Authenticator")
        return error_cause, others


def encode_request(
    code: int,
    pairs: Iterable[Pair],
    secret: bytes,
    dictionary: Dictionary | None = None,
    identifier: int = 0,
    timestamp: int | None = None,
) -> tuple[bytes, bytes]:
    """A CoA-Request or Disconnect-Request on the wire with the attributes (already
    validated), Event-Timestamp and a Message-Authenticator; and its authenticator."""
    if code not in REPLY_CODES:
        raise ValueError(f"not a Dynamic Authorization request code: {code}")
    attributes = encoder_for(dictionary or get_dictionary()).pairs(pairs)
    now = int(time.time()) if timestamp is None else timestamp
    return Signer(secret).request(code, identifier, attributes, now)


def packet_pairs(pkt: radius.Packet) -> list[Pair]:
    """Any packet's attributes in order as (name, value) pairs, without the
    Message-Authenticator; tagged attributes named ``Name:tag``."""
    pairs: list[Pair] = []
    dictionary = pkt.dict
    for key, raw_values in OrderedDict.items(pkt):
        if key == 80:
            continue
        name = dictionary.attrindex.GetBackward(key) if dictionary.attrindex.HasBackward(key) else None
        for raw in raw_values:
            if name is None or isinstance(raw, dict):
                label = name or (
                    f"Vendor-{key[0]}-Attr-{key[1]}" if isinstance(key, tuple) else f"Attr-{key}"
                )
                pairs.append((label, raw.hex() if isinstance(raw, bytes) else str(raw)))
                continue
            attribute = dictionary[name]
            tag, value = radius.Packet._SplitTag(attribute, raw)
            decoded = pkt._DecodeValue(attribute, value)
            if isinstance(decoded, bytes):
                decoded = "0x" + decoded.hex()
            pairs.append((f"{name}:{tag}" if attribute.has_tag and tag else name, decoded))
    return pairs


class _Flight:
    """A request in flight: where it went, its bytes and when to send it again."""

    __slots__ = (
        "index", "peer", "signer", "code", "raw", "authenticator", "sock", "first_sent", "deadline", "sends",
        "timeout", "retries",
    )  # fmt: skip

    def __init__(
        self,
        index: int,
        peer: tuple,
        signer: Signer,
        code: int,
        raw: bytes,
        authenticator: bytes,
        sock: socket.socket,
        now: float,
        target: Target,
    ) -> None:
        self.index, self.peer, self.signer, self.code = index, peer, signer, code
        self.raw, self.authenticator, self.sock = raw, authenticator, sock
        self.first_sent, self.deadline, self.sends = now, now + target.timeout, 1
        self.timeout, self.retries = target.timeout, target.retries


class _Sockets:
    """UDP sockets per address family, each lending its 256 Identifiers (the first
    socket of a family is used until its Identifiers are all in flight)."""

    def __init__(self, selector: selectors.BaseSelector) -> None:
        self.selector = selector
        self.free: dict[socket.socket, list[int]] = {}

    def lend(self, family: int) -> tuple[socket.socket, int]:
        for sock, ids in self.free.items():
            if ids and sock.family == family:
                return sock, ids.pop()
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.selector.register(sock, selectors.EVENT_READ)
        self.free[sock] = list(range(255, -1, -1))
        return sock, self.free[sock].pop()

    def give_back(self, sock: socket.socket, identifier: int) -> None:
        self.free[sock].append(identifier)

    def close(self) -> None:
        for sock in self.free:
            self.selector.unregister(sock)
            sock.close()


def _peer(target: Target) -> tuple[str, int]:
    """The target as recvfrom() names its source (the address in canonical form)."""
    return str(ipaddress.ip_address(target.address)), target.port


def exchange(
    requests: Sequence[tuple[Target, int, Sequence[Pair]]],
    window: int = 256,
    dictionary: Dictionary | None = None,
) -> list[Answer]:
    """Send every (target, code, pairs) request, keeping up to ``window`` in flight,
    and return their answers in the same order (``code`` None when unanswered).
    The attributes are all encoded before anything is sent (a bad one raises
    ValueError and nothing goes out)."""
    dictionary = dictionary or get_dictionary()
    encoder = encoder_for(dictionary)
    for _target, code, _pairs in requests:
        if code not in REPLY_CODES:
            raise ValueError(f"not a Dynamic Authorization request code: {code}")
    encoded = [encoder.pairs(pairs) for _target, _code, pairs in requests]
    targets: dict[Target, tuple[tuple[str, int], int, Signer]] = {}
    for target, _code, _pairs in requests:
        if target not in targets:
            targets[target] = (_peer(target), target.family, Signer(target.secret))
    answers: list[Answer | None] = [None] * len(requests)
    flying: dict[tuple[socket.socket, int], _Flight] = {}
    selector = selectors.DefaultSelector()
    sockets = _Sockets(selector)
    context = _Context(flying, sockets, answers, dictionary)
    following = 0
    # The earliest deadline in flight, or earlier: a flight answered keeps its deadline
    # here until the next wake-up rescans (cheaper than a min() over the window per loop).
    nearest = math.inf
    try:
        while following < len(requests) or flying:
            if following < len(requests) and len(flying) < window:
                now = time.monotonic()
                timestamp = int(time.time())
                while following < len(requests) and len(flying) < window:
                    target, code, _pairs = requests[following]
                    peer, family, signer = targets[target]
                    sock, identifier = sockets.lend(family)
                    raw, authenticator = signer.request(code, identifier, encoded[following], timestamp)
                    try:
                        sock.sendto(raw, peer)
                    except OSError:
                        pass  # a full send buffer, no route…: a lost send, retried like one
                    flight = _Flight(following, peer, signer, code, raw, authenticator, sock, now, target)
                    flying[(sock, identifier)] = flight
                    nearest = min(nearest, flight.deadline)
                    following += 1
            for key, _mask in selector.select(max(0.0, nearest - time.monotonic())):
                context.receive(key.fileobj)
            now = time.monotonic()
            if now >= nearest:
                _resend_or_give_up(flying, sockets, answers, now)
                nearest = min((flight.deadline for flight in flying.values()), default=math.inf)
    finally:
        sockets.close()
        selector.close()
    return [answer for answer in answers if answer is not None]


def _resend_or_give_up(flying: dict, sockets: _Sockets, answers: list, now: float) -> None:
    for slot, flight in list(flying.items()):
        if flight.deadline > now:
            continue
        if flight.sends > flight.retries:
            del flying[slot]
            sockets.give_back(*slot)
            answers[flight.index] = Answer(code=None, sends=flight.sends)
            continue
        flight.sends += 1
        flight.deadline = now + flight.timeout
        try:
            flight.sock.sendto(flight.raw, flight.peer)
        except OSError:
            pass


@dataclass
class _Context:
    flying: dict[tuple[socket.socket, int], _Flight]
    sockets: _Sockets
    answers: list[Answer | None]
    dictionary: Dictionary

    def receive(self, sock: Any) -> None:
        """Read every datagram waiting on ``sock``; a genuine reply ends its flight."""
        flying = self.flying
        while True:
            try:
                raw, source = sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # ICMP port unreachable of an earlier send: keep waiting
            if len(raw) < 20:
                continue
            slot = (sock, raw[1])
            flight = flying.get(slot)
            if flight is None or source[:2] != flight.peer or raw[0] not in REPLY_CODES[flight.code]:
                continue
            try:
                error_cause, others = flight.signer.reply(raw, flight.authenticator)
                attributes = self._attributes(raw, flight) if others else []
            except (radius.PacketError, KeyError, ValueError, struct.error):
                continue
            del flying[slot]
            self.sockets.give_back(sock, raw[1])
            self.answers[flight.index] = Answer(
                code=raw[0],
                attributes=attributes,
                error_cause=error_cause,
                latency=time.monotonic() - flight.first_sent,
                sends=flight.sends,
            )

    def _attributes(self, raw: bytes, flight: _Flight) -> list[Pair]:
        length = _PACKET_HEADER.unpack_from(raw)[2]
        reply = radius.Packet(packet=raw[:length], secret=flight.signer.secret, dict=self.dictionary)
        return packet_pairs(reply)


def send(target: Target, code: int, pairs: Sequence[Pair], dictionary: Dictionary | None = None) -> Answer:
    """Send one request and wait for its answer (``code`` None when unanswered)."""
    return exchange([(target, code, pairs)], window=1, dictionary=dictionary)[0]
