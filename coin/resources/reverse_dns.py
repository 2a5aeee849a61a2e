"""Reverse DNS rules as plain functions: host names, reverse zone cuts, delegations
(RFC 2317 for IPv4 blocks smaller than a /24, nibble boundaries for IPv6), zone
file text and SOA serials. No database access here: coin.resources.zonefiles feeds
these functions with the pools, subnets and records.

Every name these functions return is absolute, with its trailing dot, except zone
names (``2.0.192.in-addr.arpa``), which are written without it as BIND's
``zone "…"`` statements and file names use them.
"""

import datetime
import ipaddress
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from coin.resources.ip import IPAddress, IPNetwork, parse_address, subnet_of

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
DEFAULT_CLASSLESS_LABEL = "{first}-{prefixlen}"


def normalise_hostname(value: str) -> str:
    """A fully qualified host name, lower-cased, without its trailing dot.

    Host name rules (RFC 952/1123) rather than any DNS name: PTR targets and
    name servers must be host names, and BIND's check-names refuses the others.
    """
    name = (value or "").strip().lower()
    if name.endswith("."):
        name = name[:-1]
    if not name:
        raise ValidationError(_("Enter a host name."), code="required")
    if len(name) > 253:
        raise ValidationError(_("A host name has 253 characters at most."), code="too_long")
    labels = name.split(".")
    if len(labels) < 2:
        raise ValidationError(
            _("Enter a fully qualified host name, e.g. server.example.org."), code="not_qualified"
        )
    for label in labels:
        if not _LABEL.match(label):
            raise ValidationError(
                _(
                    "“%(label)s” is not a valid part of a host name: letters, digits and hyphens "
                    "only (xn-- form for accented names), 63 characters at most, no hyphen at "
                    "either end."
                ),
                code="invalid_label",
                params={"label": label},
            )
    if labels[-1].isdigit():
        raise ValidationError(_("A host name cannot end with a number."), code="numeric_tld")
    return name


def validate_hostname(value: str) -> None:
    normalise_hostname(value)


def check_ptr_address(value: "str | IPAddress", subnet: IPNetwork | None, delegated: bool) -> IPAddress:
    """The address of a member's PTR record: inside their subnet, and not in a
    subnet whose reverse zone is delegated to their own name servers (the record
    belongs there, and Coin's zone only holds CNAMEs for it)."""
    address = parse_address(value)
    if subnet is None or address.version != subnet.version or address not in subnet:
        raise ValidationError(
            _("%(address)s is not inside your subnet %(subnet)s."),
            code="outside_subnet",
            params={"address": address, "subnet": subnet},
        )
    if delegated:
        raise ValidationError(
            _("The reverse zone of %(subnet)s is delegated to your name servers: set this record there."),
            code="delegated",
            params={"subnet": subnet},
        )
    return address


def absolute(name: str) -> str:
    return name if name.endswith(".") else f"{name}."


def mailbox_to_rname(mailbox: str) -> str:
    """``hostmaster@isp.example`` → ``hostmaster.isp.example.`` (SOA RNAME field)."""
    if "@" in mailbox:
        local, domain = mailbox.rsplit("@", 1)
        return absolute(f"{local.replace('.', chr(92) + '.')}.{domain}")
    return absolute(mailbox)


# --- Reverse names and zone cuts -------------------------------------------------


def ceil_to(value: int, step: int) -> int:
    return -(-value // step) * step


def boundary(version: int) -> int:
    """Reverse names exist on octet boundaries for IPv4 and nibbles for IPv6."""
    return 8 if version == 4 else 4


def network_reverse_name(network: IPNetwork) -> str:
    """Reverse zone name of a network on an octet (IPv4) or nibble (IPv6) boundary."""
    step = boundary(network.version)
    if network.prefixlen % step:
        raise ValueError(f"{network} is not on a /{step} boundary")
    if network.version == 4:
        octets = str(network.network_address).split(".")[: network.prefixlen // 8]
        return ".".join([*reversed(octets), "in-addr", "arpa"])
    nibbles = network.network_address.exploded.replace(":", "")[: network.prefixlen // 4]
    return ".".join([*reversed(nibbles), "ip6", "arpa"])


def reverse_pointer(address: IPAddress) -> str:
    return absolute(address.reverse_pointer)


def classless_label(network: ipaddress.IPv4Network, label_format: str = DEFAULT_CLASSLESS_LABEL) -> str:
    """RFC 2317 label of an IPv4 block smaller than a /24, e.g. ``64-26`` for
    192.0.2.64/26 with the default format. The member's name server must serve
    exactly this zone, so the format is a setting (REVERSE_DNS_CLASSLESS_LABEL)."""
    return label_format.format(
        first=int(network.network_address) & 0xFF,
        last=int(network.broadcast_address) & 0xFF,
        prefixlen=network.prefixlen,
    )


@dataclass(frozen=True)
class ReverseZone:
    """A reverse zone that Coin writes: its name and the addresses it covers.
    ``classless`` zones are RFC 2317 children of a /24 (pools smaller than a /24,
    delegated to the ISP by its upstream)."""

    name: str
    network: IPNetwork
    classless: bool = False

    def owner(self, address: IPAddress) -> str:
        """The owner name of an address's PTR record inside this zone."""
        if self.classless:
            return f"{int(address) & 0xFF}.{self.name}."
        return reverse_pointer(address)


def zones_for_pool(network: IPNetwork, label_format: str = DEFAULT_CLASSLESS_LABEL) -> list[ReverseZone]:
    """The reverse zones that cover a pool: cut at the next octet (IPv4) or nibble
    (IPv6) boundary at or below the pool's prefix, as registries delegate them
    (a /22 gives four /24 zones, a /32 IPv6 one zone, a /29 IPv6 eight /32 zones).
    An IPv4 pool smaller than a /24 is one RFC 2317 zone."""
    if network.version == 4 and network.prefixlen > 24:
        parent = network_reverse_name(network.supernet(new_prefix=24))
        return [ReverseZone(f"{classless_label(network, label_format)}.{parent}", network, classless=True)]
    step = boundary(network.version)
    cut = max(step, ceil_to(network.prefixlen, step))
    return [ReverseZone(network_reverse_name(block), block) for block in network.subnets(new_prefix=cut)]


# --- Records ------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Record:
    owner: str
    type: str
    value: str

    def line(self) -> str:
        return f"{self.owner}\tIN\t{self.type}\t{self.value}"


class DelegationError(ValueError):
    """A delegation that this zone cannot hold (its name is the zone apex)."""


def delegation_records(
    subnet: IPNetwork,
    nameservers: list[str],
    zone: ReverseZone,
    label_format: str = DEFAULT_CLASSLESS_LABEL,
) -> list[Record]:
    """Records that delegate a subnet's reverse zone to the member's name servers.

    - IPv4 /24 or larger, IPv6: NS records on every octet / nibble boundary name
      that the subnet covers (a /23 gives two /24 delegations, a /62 four /64 ones);
    - IPv4 smaller than a /24: RFC 2317 — NS records on a child name such as
      ``64-26.2.0.192.in-addr.arpa`` and, for each address of the block, a CNAME
      from its usual reverse name to the same label under the child.
    """
    if not subnet_of(subnet, zone.network):
        raise DelegationError(f"{subnet} is not inside zone {zone.name}")
    if subnet == zone.network:
        raise DelegationError(f"{subnet} is the whole zone {zone.name}: its parent must delegate it")
    targets = [absolute(ns) for ns in nameservers]
    records: list[Record] = []
    if subnet.version == 4 and subnet.prefixlen > 24:
        base = zone.name if zone.classless else network_reverse_name(subnet.supernet(new_prefix=24))
        child = f"{classless_label(subnet, label_format)}.{base}."
        records += [Record(child, "NS", target) for target in targets]
        records += [
            Record(zone.owner(address), "CNAME", f"{int(address) & 0xFF}.{child}")
            for address in _addresses(subnet)
        ]
        return records
    step = boundary(subnet.version)
    cut = ceil_to(subnet.prefixlen, step)
    if cut <= zone.network.prefixlen:
        raise DelegationError(f"{subnet} would be delegated at the apex of zone {zone.name}")
    for block in subnet.subnets(new_prefix=cut):
        owner = f"{network_reverse_name(block)}."
        records += [Record(owner, "NS", target) for target in targets]
    return records


def delegation_zone_names(subnet: IPNetwork, label_format: str = DEFAULT_CLASSLESS_LABEL) -> list[str]:
    """Names of the zones the member's name servers must serve for a subnet
    (shown in the portal so that the member configures exactly these)."""
    if subnet.version == 4 and subnet.prefixlen > 24:
        parent = network_reverse_name(subnet.supernet(new_prefix=24))
        return [f"{classless_label(subnet, label_format)}.{parent}"]
    step = boundary(subnet.version)
    cut = ceil_to(subnet.prefixlen, step)
    return [network_reverse_name(block) for block in subnet.subnets(new_prefix=cut)]


def ptr_record(address: IPAddress, hostname: str, zone: ReverseZone) -> Record:
    return Record(zone.owner(address), "PTR", absolute(hostname))


def _addresses(network: IPNetwork):
    first = int(network.network_address)
    cls = type(network.network_address)
    return (cls(first + offset) for offset in range(network.num_addresses))


# --- Zone files ---------------------------------------------------------------------


@dataclass(frozen=True)
class SOA:
    mname: str
    rname: str
    refresh: int = 3600
    retry: int = 900
    expire: int = 1209600
    minimum: int = 3600


@dataclass
class ZoneContent:
    zone: ReverseZone
    nameservers: list[str]
    records: list[Record] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


_SOA_LINE = re.compile(r"^\S+\s+IN\s+SOA\s+\S+\s+\S+\s+(\d+)\s", re.MULTILINE)


def render_zone(content: ZoneContent, soa: SOA, serial: int, ttl: int) -> str:
    """BIND zone-file text: SOA, the ISP's NS at the apex, then the records in the
    order given (address order, as the caller builds them)."""
    apex = f"{content.zone.name}."
    lines = [
        f"; Reverse zone {content.zone.name} ({content.zone.network}), written by Coin's",
        "; manage.py write_reverse_zones: edit the data in Coin, not this file.",
        f"$TTL {ttl}",
        f"{apex}\tIN\tSOA\t{absolute(soa.mname)} {absolute(soa.rname)} {serial} "
        f"{soa.refresh} {soa.retry} {soa.expire} {soa.minimum}",
    ]
    lines += [Record(apex, "NS", absolute(ns)).line() for ns in content.nameservers]
    lines += [record.line() for record in content.records]
    return "\n".join(lines) + "\n"


def read_serial(text: str) -> int | None:
    """The SOA serial of a zone file that render_zone() wrote, if any."""
    match = _SOA_LINE.search(text)
    return int(match.group(1)) if match else None


def next_serial(previous: int | None, today: datetime.date) -> int:
    """Date-based serial (YYYYMMDDnn) that always increases: secondaries only
    reload a zone whose serial went up."""
    candidate = int(today.strftime("%Y%m%d")) * 100
    if previous is None:
        return candidate
    return max(candidate, previous + 1)
