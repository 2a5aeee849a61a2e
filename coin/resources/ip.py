"""Address arithmetic shared by the models, allocation and reverse DNS.

Networks are the standard library's ``ipaddress`` objects (immutable, hashable).
To compare and sort networks the same way on SQLite and PostgreSQL, each stored
network also gets *keys*: the IP version followed by the address as a zero-padded
39-digit decimal number. Keys of the same length made of digits sort the same in
every database and collation, so ``start <= other_end AND end >= other_start`` is
an overlap test and ``ORDER BY start`` is address order, IPv4 before IPv6.
"""

import ipaddress

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

KEY_DIGITS = 39  # 2**128 has 39 decimal digits
KEY_LENGTH = KEY_DIGITS + 1


def max_prefixlen(version: int) -> int:
    return 32 if version == 4 else 128


def parse_network(value: "str | IPNetwork") -> IPNetwork:
    """A network from user input; a bare address means a single-address network.

    Host bits set (``192.0.2.1/24``) are refused rather than silently cleared: it is
    usually a typo, and the message says which network was probably meant.
    """
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return value
    text = str(value).strip()
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as strict_error:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValidationError(
                _("“%(value)s” is not an IPv4 or IPv6 network (e.g. 192.0.2.0/24 or 2001:db8::/48)."),
                code="invalid",
                params={"value": text},
            ) from strict_error
        raise ValidationError(
            _("“%(value)s” has host bits set: the network is %(network)s."),
            code="host_bits",
            params={"value": text, "network": str(network)},
        ) from strict_error


def parse_address(value: "str | IPAddress") -> IPAddress:
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return value
    try:
        return ipaddress.ip_address(str(value).strip())
    except ValueError as error:
        raise ValidationError(
            _("“%(value)s” is not an IPv4 or IPv6 address."), code="invalid", params={"value": value}
        ) from error


def subnet_of(network: IPNetwork, other: IPNetwork) -> bool:
    """``network.subnet_of(other)`` for either version, typed: like the standard
    library, networks of different versions raise ``TypeError``."""
    if isinstance(network, ipaddress.IPv4Network) and isinstance(other, ipaddress.IPv4Network):
        return network.subnet_of(other)
    if isinstance(network, ipaddress.IPv6Network) and isinstance(other, ipaddress.IPv6Network):
        return network.subnet_of(other)
    raise TypeError(f"{network} and {other} are not of the same version")


def make_key(version: int, value: int) -> str:
    return f"{version}{value:0{KEY_DIGITS}d}"


def key_value(key: str) -> tuple[int, int]:
    """(version, integer address) of a key."""
    return int(key[0]), int(key[1:])


def start_key(network: IPNetwork) -> str:
    return make_key(network.version, int(network.network_address))


def end_key(network: IPNetwork) -> str:
    return make_key(network.version, int(network.broadcast_address))


def address_key(address: IPAddress) -> str:
    return make_key(address.version, int(address))


def network_from_range(version: int, first: int, prefixlen: int) -> IPNetwork:
    if version == 4:
        return ipaddress.IPv4Network((first, prefixlen))
    return ipaddress.IPv6Network((first, prefixlen))


def block_size(version: int, prefixlen: int) -> int:
    return 1 << (max_prefixlen(version) - prefixlen)


def align_up(value: int, size: int) -> int:
    """The first multiple of ``size`` (a power of two) that is >= value."""
    return (value + size - 1) & ~(size - 1)


def address_count(network: IPNetwork) -> int:
    return network.num_addresses
