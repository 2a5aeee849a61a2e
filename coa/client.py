"""A RADIUS Dynamic Authorization client (RFC 5176) on pyrad's packets.

Rules:
- every request carries Event-Timestamp (RFC 5176 section 3.4) and a
  Message-Authenticator (RFC 2869 section 5.14, the BlastRADIUS countermeasure);
- a request is sent to the BNG's address (IPv4 or IPv6) and CoA port with its shared
  secret, waits ``timeout`` seconds for an answer and is sent again, unchanged (same
  Identifier and Authenticator), ``retries`` more times before it counts as unanswered;
- an answer counts only if it comes from the address and port the request went to and
  its Response Authenticator and Message-Authenticator (when present) verify;
- many requests are in flight at once (``exchange``): one UDP socket holds up to 256
  (the Identifier is one octet), more sockets are opened for more.

This module knows no Django model: ``Target`` carries what it needs of a BNG.
"""

import hashlib
import hmac
import ipaddress
import selectors
import socket
import struct
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyrad import packet as radius
from pyrad.dictionary import Dictionary

from coa.dictionary import Pair, get_dictionary

CODE_NAMES = {
    radius.DisconnectRequest: "Disconnect-Request",
    radius.DisconnectACK: "Disconnect-ACK",
    radius.DisconnectNAK: "Disconnect-NAK",
    radius.CoARequest: "CoA-Request",
    radius.CoAACK: "CoA-ACK",
    radius.CoANAK: "CoA-NAK",
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


def build_packet(
    code: int, pairs: Iterable[Pair], secret: bytes, dictionary: Dictionary, identifier: int = 0
) -> radius.CoAPacket:
    """A CoA-Request or Disconnect-Request with the attributes (already validated),
    Event-Timestamp and a Message-Authenticator."""
    if code not in (radius.CoARequest, radius.DisconnectRequest):
        raise ValueError(f"not a Dynamic Authorization request code: {code}")
    request = radius.CoAPacket(code=code, id=identifier, secret=secret, dict=dictionary)
    request.add_message_authenticator()
    for name, value in pairs:
        request.AddAttribute(name, value)
    request.AddAttribute("Event-Timestamp", int(time.time()))
    return request


def encode_request(request: radius.CoAPacket) -> bytes:
    """The request on the wire, as pyrad's ``RequestPacket()`` makes it (RFC 5176
    section 3.3, RFC 2869 section 5.14) but encoding the attributes once: the
    Message-Authenticator (first attribute, zeroed) is computed over them, put in
    place, then the Request Authenticator over the result."""
    attributes = bytearray(request._PktEncodeAttributes())
    if attributes[:2] != b"\x50\x12":
        raise ValueError("the Message-Authenticator must be the first attribute")
    header = struct.pack("!BBH", request.code, request.id, 20 + len(attributes))
    zero = 16 * b"\0"
    attributes[2:18] = hmac.new(request.secret, header + zero + attributes, "md5").digest()
    body = bytes(attributes)
    request.authenticator = hashlib.md5(header + zero + body + request.secret).digest()
    return header + request.authenticator + body


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


def _error_cause(reply: radius.Packet) -> int | None:
    values = dict.get(reply, ERROR_CAUSE)
    if not values or len(values[0]) != 4:
        return None
    return struct.unpack("!I", values[0])[0]


@dataclass
class _InFlight:
    index: int
    target: Target
    request: radius.CoAPacket
    raw: bytes
    sock: socket.socket
    first_sent: float
    deadline: float
    sends: int = 1


class _Sockets:
    """UDP sockets per address family, each lending the 256 Identifiers."""

    def __init__(self, selector: selectors.BaseSelector) -> None:
        self.selector = selector
        self.free: dict[socket.socket, deque[int]] = {}

    def lend(self, family: int) -> tuple[socket.socket, int]:
        for sock, ids in self.free.items():
            if sock.family == family and ids:
                return sock, ids.popleft()
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.selector.register(sock, selectors.EVENT_READ)
        self.free[sock] = deque(range(256))
        return sock, self.free[sock].popleft()

    def give_back(self, sock: socket.socket, identifier: int) -> None:
        self.free[sock].append(identifier)

    def close(self) -> None:
        for sock in self.free:
            self.selector.unregister(sock)
            sock.close()


def exchange(
    requests: Sequence[tuple[Target, int, Sequence[Pair]]],
    window: int = 256,
    dictionary: Dictionary | None = None,
) -> list[Answer]:
    """Send every (target, code, pairs) request, keeping up to ``window`` in flight,
    and return their answers in the same order (``code`` None when unanswered)."""
    dictionary = dictionary or get_dictionary()
    answers: list[Answer | None] = [None] * len(requests)
    waiting = deque(range(len(requests)))
    flying: dict[tuple[socket.socket, int], _InFlight] = {}
    selector = selectors.DefaultSelector()
    sockets = _Sockets(selector)
    # Free slots are refilled in bursts (or when the last answers came): fewer
    # wake-ups of the BNG and of this loop than one send per answer.
    burst = max(1, min(32, window // 4))
    try:
        while waiting or flying:
            if waiting and (len(flying) <= window - burst or not flying or len(waiting) < burst):
                while waiting and len(flying) < window:
                    index = waiting.popleft()
                    target, code, pairs = requests[index]
                    sock, identifier = sockets.lend(target.family)
                    request = build_packet(code, pairs, target.secret, dictionary, identifier)
                    raw = encode_request(request)
                    now = time.monotonic()
                    try:
                        sock.sendto(raw, (target.address, target.port))
                    except OSError:
                        pass  # e.g. no route: counts as a lost send, retried like one
                    flying[(sock, identifier)] = _InFlight(
                        index, target, request, raw, sock, now, now + target.timeout
                    )
            nearest = min(f.deadline for f in flying.values())
            events = selector.select(max(0.0, nearest - time.monotonic()))
            for key, _mask in events:
                _receive(key.fileobj, flying, sockets, answers)
            now = time.monotonic()
            if now < nearest:
                continue
            for slot, flight in list(flying.items()):
                if flight.deadline > now:
                    continue
                if flight.sends > flight.target.retries:
                    del flying[slot]
                    sockets.give_back(*slot)
                    answers[flight.index] = Answer(code=None, sends=flight.sends)
                    continue
                flight.sends += 1
                flight.deadline = now + flight.target.timeout
                try:
                    flight.sock.sendto(flight.raw, (flight.target.address, flight.target.port))
                except OSError:
                    pass
    finally:
        sockets.close()
        selector.close()
    return [answer for answer in answers if answer is not None]


def _same_peer(source: tuple, target: Target) -> bool:
    try:
        return ipaddress.ip_address(source[0]) == ipaddress.ip_address(target.address) and (
            source[1] == target.port
        )
    except ValueError:
        return False


def _receive(sock, flying: dict, sockets: _Sockets, answers: list) -> None:
    while True:
        try:
            raw, source = sock.recvfrom(MAX_DATAGRAM)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            continue  # ICMP port unreachable of an earlier send: keep waiting
        if len(raw) < 20:
            continue
        flight = flying.get((sock, raw[1]))
        if flight is None or not _same_peer(source, flight.target):
            continue
        try:
            reply = flight.request.CreateReply(packet=raw)
            if not flight.request.VerifyReply(reply, raw):
                continue
        except (radius.PacketError, KeyError, ValueError, struct.error):
            continue
        if reply.code not in CODE_NAMES:
            continue
        del flying[(sock, raw[1])]
        sockets.give_back(sock, raw[1])
        answers[flight.index] = Answer(
            code=reply.code,
            attributes=packet_pairs(reply),
            error_cause=_error_cause(reply),
            latency=time.monotonic() - flight.first_sent,
            sends=flight.sends,
        )


def send(target: Target, code: int, pairs: Sequence[Pair], dictionary: Dictionary | None = None) -> Answer:
    """Send one request and wait for its answer (``code`` None when unanswered)."""
    return exchange([(target, code, pairs)], window=1, dictionary=dictionary)[0]
