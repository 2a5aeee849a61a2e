"""A test BNG: answers CoA-Request and Disconnect-Request (RFC 5176) on 127.0.0.1.

Rules:
- a request whose Request Authenticator does not verify with the secret is dropped
  without an answer (RFC 5176 section 3.3), and so is one whose Message-Authenticator
  does not verify, or one without Message-Authenticator when it is required;
- every accepted request is printed (its code, Identifier, source and attributes, one
  ``Name = value`` line each, tags shown as ``Name:tag``), then its answer;
- it answers ACK, or NAK with an Error-Cause when the request has the ``nak_on``
  attribute (``Name`` or ``Name=value``);
- a retransmission (same source, Identifier and Authenticator) gets the same answer.
"""

import ipaddress
import socket
import sys
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TextIO

from pyrad import packet as radius
from pyrad.dictionary import Dictionary

from coa.client import CODE_NAMES, packet_pairs
from coa.dictionary import get_dictionary


def quoted(value: object) -> str:
    """FreeRADIUS's way of printing a value: strings in double quotes."""
    if isinstance(value, str) and not value.startswith("0x"):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


@dataclass
class BNGServer:
    """The server's settings and its counters (``answered``, ``dropped``)."""

    port: int
    secret: bytes
    address: str = "127.0.0.1"
    nak_on: str | None = None
    error_cause: int = 404
    require_message_authenticator: bool = False
    quiet: bool = False
    out: TextIO = sys.stdout
    dictionary: Dictionary = field(default_factory=get_dictionary)
    answered: int = 0
    dropped: int = 0

    def __post_init__(self) -> None:
        family = socket.AF_INET6 if ipaddress.ip_address(self.address).version == 6 else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
        self.sock.bind((self.address, self.port))
        self.port = self.sock.getsockname()[1]
        self._recent: OrderedDict[tuple, bytes] = OrderedDict()

    def log(self, text: str) -> None:
        if not self.quiet:
            self.out.write(text + "\n")

    def wants_nak(self, pairs: list[tuple[str, object]]) -> bool:
        if not self.nak_on:
            return False
        name, equals, value = self.nak_on.partition("=")
        for attribute, received in pairs:
            if attribute.partition(":")[0] == name and (not equals or str(received) == value):
                return True
        return False

    def check(self, raw: bytes) -> tuple[radius.CoAPacket | None, str]:
        """The decoded request, or None and why it is dropped."""
        try:
            request = radius.CoAPacket(packet=raw, secret=self.secret, dict=self.dictionary)
        except (radius.PacketError, KeyError, ValueError) as error:
            return None, f"undecodable packet ({error})"
        if request.code not in (radius.CoARequest, radius.DisconnectRequest):
            return None, f"not a CoA or Disconnect request (code {request.code})"
        if not request.VerifyCoARequest():
            return None, "bad Request Authenticator (wrong secret?)"
        if request.message_authenticator:
            if not request.verify_message_authenticator():
                return None, "bad Message-Authenticator"
        elif self.require_message_authenticator:
            return None, "no Message-Authenticator"
        return request, ""

    def answer(self, request: radius.CoAPacket) -> bytes:
        pairs = packet_pairs(request) if self.nak_on or not self.quiet else []
        reply = request.CreateReply()
        nak = self.wants_nak(pairs)
        if nak:
            reply.code = radius.CoANAK if request.code == radius.CoARequest else radius.DisconnectNAK
            reply.AddAttribute("Error-Cause", self.error_cause)
        reply.add_message_authenticator()
        if not self.quiet:
            header = (
                f"{CODE_NAMES[request.code]} id={request.id} from {request.source[0]}:{request.source[1]}"
            )
            if request.message_authenticator:
                header += " (Message-Authenticator verified)"
            lines = [header]
            lines += [f"    {name} = {quoted(value)}" for name, value in pairs]
            lines.append(
                f"  -> {CODE_NAMES[reply.code]}" + (f" Error-Cause={self.error_cause}" if nak else "")
            )
            self.log("\n".join(lines))
        return reply.ReplyPacket()

    def handle(self, raw: bytes, source: tuple) -> None:
        key = (source[0], source[1], raw[1:2], raw[4:20])
        if key in self._recent:  # a retransmission: the same answer again
            self.sock.sendto(self._recent[key], source)
            return
        request, reason = self.check(raw)
        if request is None:
            self.dropped += 1
            self.log(f"dropped from {source[0]}:{source[1]}: {reason}")
            return
        request.source = source
        reply = self.answer(request)
        self._recent[key] = reply
        if len(self._recent) > 4096:
            self._recent.popitem(last=False)
        self.sock.sendto(reply, source)
        self.answered += 1

    def serve_forever(self) -> None:
        self.log(f"Listening on {self.address} port {self.port}")
        self.out.flush()
        while True:
            raw, source = self.sock.recvfrom(4096)
            self.handle(raw, source)
            self.out.flush()
