"""Building the reverse zones from the database and writing them as BIND zone
files (``manage.py write_reverse_zones``). The DNS rules themselves are in
coin.resources.reverse_dns; this module only gathers the data and writes files.

Writing is idempotent: a zone whose content did not change keeps its file and
its serial; a changed zone gets a higher serial and is replaced atomically (a
name server reloading meanwhile never reads half a file).
"""

import datetime
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from coin.resources.ip import end_key, start_key
from coin.resources.models import IPPool, IPSubnet, ReverseDNSEntry
from coin.resources.reverse_dns import (
    SOA,
    DelegationError,
    ZoneContent,
    delegation_records,
    mailbox_to_rname,
    next_serial,
    normalise_hostname,
    ptr_record,
    read_serial,
    render_zone,
    zones_for_pool,
)

INCLUDE_FILE = "named.conf.coin-reverse"


@dataclass(frozen=True)
class ZoneSettings:
    nameservers: list[str]
    soa: SOA
    ttl: int
    classless_label: str


def zone_settings() -> ZoneSettings:
    """The REVERSE_DNS_* settings, checked."""
    nameservers = [normalise_hostname(name) for name in settings.REVERSE_DNS_NAMESERVERS]
    if not nameservers:
        raise ImproperlyConfigured(
            "Set REVERSE_DNS_NAMESERVERS (the ISP's name servers for its reverse zones) in settings_local."
        )
    mname = normalise_hostname(settings.REVERSE_DNS_SOA_MNAME or nameservers[0])
    rname = settings.REVERSE_DNS_SOA_RNAME or f"hostmaster@{mname.split('.', 1)[1]}"
    return ZoneSettings(
        nameservers=nameservers,
        soa=SOA(
            mname=mname,
            rname=mailbox_to_rname(rname),
            refresh=settings.REVERSE_DNS_SOA_REFRESH,
            retry=settings.REVERSE_DNS_SOA_RETRY,
            expire=settings.REVERSE_DNS_SOA_EXPIRE,
            minimum=settings.REVERSE_DNS_SOA_MINIMUM,
        ),
        ttl=settings.REVERSE_DNS_TTL,
        classless_label=settings.REVERSE_DNS_CLASSLESS_LABEL,
    )


def build_zones(config: ZoneSettings) -> list[ZoneContent]:
    """Every reverse zone covering the pools, with its delegations and PTR records."""
    contents = []
    for pool in IPPool.objects.order_by("range_start"):
        for zone in zones_for_pool(pool.inet, config.classless_label):
            contents.append(_zone_content(zone, config))
    return contents


def _zone_content(zone, config: ZoneSettings) -> ZoneContent:
    content = ZoneContent(zone=zone, nameservers=config.nameservers)
    low, high = start_key(zone.network), end_key(zone.network)
    in_zone = IPSubnet.objects.filter(range_start__lte=high, range_end__gte=low).order_by("range_start")
    delegated = []
    for subnet in in_zone.filter(delegate_reverse_dns=True).prefetch_related("name_server"):
        servers = sorted(server.name for server in subnet.name_server.all())
        if not servers:
            content.warnings.append(
                f"{subnet.inet}: delegation asked but no name server chosen; not delegated"
            )
            continue
        try:
            content.records += delegation_records(subnet.inet, servers, zone, config.classless_label)
        except DelegationError as error:
            content.warnings.append(f"{subnet.inet}: {error}; not delegated")
            continue
        delegated.append(subnet.inet)
    entries = ReverseDNSEntry.objects.filter(subnet__in=in_zone).select_related("subnet")
    for entry in sorted(entries, key=lambda entry: entry.address):
        address = entry.address
        if address not in zone.network or address not in entry.subnet.inet:
            continue
        if any(address in network for network in delegated):
            continue  # the member's own servers answer for it
        content.records.append(ptr_record(address, entry.name, zone))
    return content


@dataclass
class WriteResult:
    zone: str
    path: Path
    status: str  # "created", "updated" or "unchanged"
    serial: int
    warnings: list[str] = field(default_factory=list)


def write_zone_files(
    output: Path, config: ZoneSettings, today: datetime.date, dry_run: bool = False
) -> tuple[list[WriteResult], str]:
    """Write one ``<zone>.zone`` file per zone and the ``named.conf`` include that
    declares them. Returns the per-zone results and the include file's status."""
    results = []
    for content in build_zones(config):
        path = output / f"{content.zone.name}.zone"
        old = path.read_text() if path.exists() else None
        previous = read_serial(old) if old else None
        if previous is not None and render_zone(content, config.soa, previous, config.ttl) == old:
            results.append(WriteResult(content.zone.name, path, "unchanged", previous, content.warnings))
            continue
        serial = next_serial(previous, today)
        if not dry_run:
            _write_atomically(path, render_zone(content, config.soa, serial, config.ttl))
        status = "created" if old is None else "updated"
        results.append(WriteResult(content.zone.name, path, status, serial, content.warnings))
    include = "".join(
        f'zone "{result.zone}" {{ type primary; file "{result.path.resolve()}"; }};\n' for result in results
    )
    include_path = output / INCLUDE_FILE
    include_status = "unchanged"
    if not include_path.exists() or include_path.read_text() != include:
        include_status = "created" if not include_path.exists() else "updated"
        if not dry_run:
            _write_atomically(include_path, include)
    return results, include_status


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
