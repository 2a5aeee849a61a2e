"""Reverse DNS: host names, zone cuts, delegations, zone files checked by BIND's
own named-checkzone."""

import datetime
import io
import ipaddress
import shutil
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from coin.resources.allocation import allocate_subnet
from coin.resources.models import IPSubnet, NameServer, ReverseDNSEntry
from coin.resources.reverse_dns import (
    DelegationError,
    Record,
    ReverseZone,
    check_ptr_address,
    delegation_records,
    delegation_zone_names,
    mailbox_to_rname,
    network_reverse_name,
    next_serial,
    normalise_hostname,
    read_serial,
    zones_for_pool,
)

net = ipaddress.ip_network
addr = ipaddress.ip_address

# --- Plain rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mail.Example.ORG.", "mail.example.org"),
        ("a-b.c1.example", "a-b.c1.example"),
        ("xn--caf-dma.fr", "xn--caf-dma.fr"),
    ],
)
def test_host_names_are_normalised(value, expected):
    assert normalise_hostname(value) == expected


@pytest.mark.parametrize(
    "value",
    ["", "localhost", "-bad.example.org", "bad-.example.org", "under_score.example.org", "a..b.org",
     "café.fr", "1.2.3.4", "x" * 64 + ".example.org", ("a" * 60 + ".") * 5 + "org", "with space.org"],
)  # fmt: skip
def test_invalid_host_names_are_refused(value):
    with pytest.raises(ValidationError):
        normalise_hostname(value)


def test_ptr_address_must_be_inside_the_subnet_and_not_delegated():
    assert check_ptr_address("192.0.2.5", net("192.0.2.4/30"), False) == addr("192.0.2.5")
    for value, subnet in [("192.0.2.8", net("192.0.2.4/30")), ("2001:db8::1", net("192.0.2.4/30"))]:
        with pytest.raises(ValidationError, match="not inside"):
            check_ptr_address(value, subnet, False)
    with pytest.raises(ValidationError, match="delegated"):
        check_ptr_address("192.0.2.5", net("192.0.2.4/30"), True)
    with pytest.raises(ValidationError):
        check_ptr_address("not an address", net("192.0.2.4/30"), False)


def test_reverse_names():
    assert network_reverse_name(net("192.0.2.0/24")) == "2.0.192.in-addr.arpa"
    assert network_reverse_name(net("10.0.0.0/8")) == "10.in-addr.arpa"
    assert network_reverse_name(net("2001:db8::/32")) == "8.b.d.0.1.0.0.2.ip6.arpa"
    assert network_reverse_name(net("2001:db8:0:ab00::/56")) == "b.a.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
    with pytest.raises(ValueError):
        network_reverse_name(net("192.0.2.0/25"))


def test_zone_cuts_of_pools():
    assert [z.name for z in zones_for_pool(net("192.0.2.0/24"))] == ["2.0.192.in-addr.arpa"]
    assert [z.name for z in zones_for_pool(net("192.0.0.0/22"))] == [
        "0.0.192.in-addr.arpa",
        "1.0.192.in-addr.arpa",
        "2.0.192.in-addr.arpa",
        "3.0.192.in-addr.arpa",
    ]
    assert [z.name for z in zones_for_pool(net("10.1.0.0/16"))] == ["1.10.in-addr.arpa"]
    assert [z.name for z in zones_for_pool(net("2001:db8::/32"))] == ["8.b.d.0.1.0.0.2.ip6.arpa"]
    assert len(zones_for_pool(net("2001:db8::/29"))) == 8
    assert [z.name for z in zones_for_pool(net("2001:db8:ab00::/40"))] == [
        "b.a.8.b.d.0.1.0.0.2.ip6.arpa",  # /40 is a nibble boundary
    ]
    (classless,) = zones_for_pool(net("198.51.100.64/27"))
    assert (classless.name, classless.classless) == ("64-27.100.51.198.in-addr.arpa", True)
    assert classless.owner(addr("198.51.100.70")) == "70.64-27.100.51.198.in-addr.arpa."


def test_delegation_of_a_v4_block_of_24_or_more_uses_ns_records():
    zone = zones_for_pool(net("10.1.0.0/16"))[0]
    records = delegation_records(net("10.1.4.0/23"), ["ns.member.example"], zone)
    assert records == [
        Record("4.1.10.in-addr.arpa.", "NS", "ns.member.example."),
        Record("5.1.10.in-addr.arpa.", "NS", "ns.member.example."),
    ]


def test_rfc_2317_delegation_of_a_26():
    zone = zones_for_pool(net("192.0.2.0/24"))[0]
    records = delegation_records(net("192.0.2.64/26"), ["ns1.member.example", "ns2.member.example."], zone)
    ns = [r for r in records if r.type == "NS"]
    cnames = [r for r in records if r.type == "CNAME"]
    assert ns == [
        Record("64-26.2.0.192.in-addr.arpa.", "NS", "ns1.member.example."),
        Record("64-26.2.0.192.in-addr.arpa.", "NS", "ns2.member.example."),
    ]
    assert len(cnames) == 64
    assert cnames[0] == Record("64.2.0.192.in-addr.arpa.", "CNAME", "64.64-26.2.0.192.in-addr.arpa.")
    assert cnames[-1] == Record("127.2.0.192.in-addr.arpa.", "CNAME", "127.64-26.2.0.192.in-addr.arpa.")
    assert delegation_zone_names(net("192.0.2.64/26")) == ["64-26.2.0.192.in-addr.arpa"]


def test_rfc_2317_label_format_is_configurable():
    zone = zones_for_pool(net("192.0.2.0/24"))[0]
    records = delegation_records(net("192.0.2.128/25"), ["ns.m.example"], zone, "{first}-{last}")
    assert records[0].owner == "128-255.2.0.192.in-addr.arpa."


def test_ipv6_delegations_follow_nibble_boundaries():
    zone = zones_for_pool(net("2001:db8::/32"))[0]
    assert delegation_records(net("2001:db8:0:ab00::/56"), ["ns.m.example"], zone) == [
        Record("b.a.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", "NS", "ns.m.example.")
    ]
    records = delegation_records(net("2001:db8:0:ab04::/62"), ["ns.m.example"], zone)
    assert [r.owner.split(".")[0] for r in records] == ["4", "5", "6", "7"]  # four /64 names
    assert delegation_zone_names(net("2001:db8:0:ab04::/62"))[0].startswith("4.0.b.a.")


def test_a_delegation_at_the_zone_apex_is_refused():
    zone = zones_for_pool(net("192.0.2.0/24"))[0]
    with pytest.raises(DelegationError):
        delegation_records(net("192.0.2.0/24"), ["ns.m.example"], zone)
    with pytest.raises(DelegationError):
        delegation_records(net("10.2.0.0/24"), ["ns.m.example"], zone)  # not in the zone
    big = ReverseZone("1.10.in-addr.arpa", net("10.1.0.0/16"))
    assert len(delegation_records(net("10.1.0.0/17"), ["ns.m.example"], big)) == 128  # /24 names


def test_serials_always_increase():
    today = datetime.date(2025, 3, 4)
    assert next_serial(None, today) == 2025030400
    assert next_serial(2025030400, today) == 2025030401
    assert next_serial(2024123117, today) == 2025030400
    assert next_serial(2025030599, today) == 2025030600  # never goes back


def test_rname():
    assert mailbox_to_rname("hostmaster@isp.example") == "hostmaster.isp.example."
    assert mailbox_to_rname("dns.admin@isp.example") == "dns\\.admin.isp.example."


# --- Zone files ----------------------------------------------------------------------------

NAMED_CHECKZONE = shutil.which("named-checkzone") or "/usr/bin/named-checkzone"


def check_zone(zone: str, path) -> str:
    """Run BIND's checker; ``-i local`` keeps it from resolving the members'
    name servers on the network, ``-k fail`` makes bad host names errors."""
    result = subprocess.run(
        [NAMED_CHECKZONE, "-k", "fail", "-i", "local", zone, str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def member_ns(member):
    return NameServer.objects.create(name="ns1.camille.example", owner=member), NameServer.objects.create(
        name="ns2.camille.example", owner=member
    )


def write_zones(tmp_path, *args) -> str:
    out = io.StringIO()
    call_command("write_reverse_zones", "--output", str(tmp_path), *args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.mark.django_db
def test_ipv4_24_zone_with_ptr_and_rfc_2317_delegation_passes_named_checkzone(
    tmp_path, zone_settings, pool_v4, configuration, member_ns
):
    single = allocate_subnet(pool_v4, configuration=configuration)
    block = IPSubnet.objects.create(ip_pool=pool_v4, inet="192.0.2.64/26", configuration=configuration)
    block.delegate_reverse_dns = True
    block.save()
    block.name_server.set(member_ns)
    ReverseDNSEntry.objects.create(subnet=single, ip="192.0.2.0", name="home.camille.example")
    # A record left from before the delegation: the member's servers answer now.
    ReverseDNSEntry.objects.create(subnet=block, ip="192.0.2.65", name="old.camille.example")
    output = write_zones(tmp_path)
    assert "1 reverse zone(s), 1 changed" in output
    path = tmp_path / "2.0.192.in-addr.arpa.zone"
    check_zone("2.0.192.in-addr.arpa", path)
    text = path.read_text()
    assert "0.2.0.192.in-addr.arpa.\tIN\tPTR\thome.camille.example." in text
    assert "64-26.2.0.192.in-addr.arpa.\tIN\tNS\tns1.camille.example." in text
    assert "65.2.0.192.in-addr.arpa.\tIN\tCNAME\t65.64-26.2.0.192.in-addr.arpa." in text
    assert "old.camille.example" not in text
    assert "2.0.192.in-addr.arpa.\tIN\tNS\tns1.isp.example." in text
    assert "hostmaster.isp.example." in text
    include = (tmp_path / "named.conf.coin-reverse").read_text()
    assert f'zone "2.0.192.in-addr.arpa" {{ type primary; file "{path}"; }};' in include


@pytest.mark.django_db
def test_ipv6_nibble_zone_passes_named_checkzone(tmp_path, zone_settings, pool_v6, configuration, member_ns):
    first = allocate_subnet(pool_v6, configuration=configuration)
    second = allocate_subnet(pool_v6, configuration=configuration, prefixlen=62)
    second.delegate_reverse_dns = True
    second.save()
    second.name_server.set(member_ns)
    ReverseDNSEntry.objects.create(subnet=first, ip="2001:db8::1", name="router.camille.example")
    write_zones(tmp_path)
    path = tmp_path / "8.b.d.0.1.0.0.2.ip6.arpa.zone"
    check_zone("8.b.d.0.1.0.0.2.ip6.arpa", path)
    text = path.read_text()
    assert addr("2001:db8::1").reverse_pointer + ".\tIN\tPTR\trouter.camille.example." in text
    assert text.count("IN\tNS\tns1.camille.example.") == 4  # a /62 is four /64 delegations


@pytest.mark.django_db
def test_small_pool_zone_with_nested_rfc_2317_delegation_passes(
    tmp_path, zone_settings, make_pool, configuration, member_ns
):
    pool = make_pool("198.51.100.64/26", 29)
    block = allocate_subnet(pool, configuration=configuration)
    block.delegate_reverse_dns = True
    block.save()
    block.name_server.set(member_ns)
    single = allocate_subnet(pool, configuration=configuration, prefixlen=32)
    ReverseDNSEntry.objects.create(
        subnet=single, ip=str(single.inet.network_address), name="www.camille.example"
    )
    write_zones(tmp_path)
    zone = "64-26.100.51.198.in-addr.arpa"
    check_zone(zone, tmp_path / f"{zone}.zone")
    text = (tmp_path / f"{zone}.zone").read_text()
    assert f"64.{zone}.\tIN\tCNAME\t64.64-29.{zone}." in text
    assert f"72.{zone}.\tIN\tPTR\twww.camille.example." in text


@pytest.mark.django_db
def test_writing_twice_keeps_the_serial_and_a_change_raises_it(
    tmp_path, zone_settings, pool_v4, configuration
):
    subnet = allocate_subnet(pool_v4, configuration=configuration)
    write_zones(tmp_path)
    path = tmp_path / "2.0.192.in-addr.arpa.zone"
    serial = read_serial(path.read_text())
    assert "0 changed" in write_zones(tmp_path)
    assert read_serial(path.read_text()) == serial
    entry = ReverseDNSEntry.objects.create(subnet=subnet, ip="192.0.2.0", name="a.camille.example")
    dry = write_zones(tmp_path, "--dry-run")
    assert "[dry run]" in dry and "updated" in dry
    assert read_serial(path.read_text()) == serial and "a.camille.example" not in path.read_text()
    write_zones(tmp_path)
    assert read_serial(path.read_text()) == serial + 1
    check_zone("2.0.192.in-addr.arpa", path)
    entry.delete()
    write_zones(tmp_path)
    assert read_serial(path.read_text()) == serial + 2


@pytest.mark.django_db
def test_delegation_problems_are_reported_not_written(tmp_path, zone_settings, pool_v4, configuration):
    subnet = IPSubnet.objects.create(ip_pool=pool_v4, inet="192.0.2.128/25", configuration=configuration)
    subnet.delegate_reverse_dns = True
    subnet.save()
    output = write_zones(tmp_path)
    assert "no name server" in output
    check_zone("2.0.192.in-addr.arpa", tmp_path / "2.0.192.in-addr.arpa.zone")


@pytest.mark.django_db
def test_the_command_needs_the_isp_name_servers(tmp_path, settings, pool_v4):
    settings.REVERSE_DNS_NAMESERVERS = []
    with pytest.raises(CommandError, match="REVERSE_DNS_NAMESERVERS"):
        write_zones(tmp_path)


@pytest.mark.django_db
def test_dry_run_writes_nothing(tmp_path, zone_settings, pool_v4, pool_v6):
    output = write_zones(tmp_path / "zones", "--dry-run")
    assert "2 reverse zone(s), 2 changed" in output
    assert not (tmp_path / "zones").exists()


# --- Records and name servers in the database --------------------------------------------


@pytest.mark.django_db
def test_ptr_record_rules_are_checked_by_the_model(pool_v4, configuration):
    subnet = allocate_subnet(pool_v4, configuration=configuration, prefixlen=30)
    entry = ReverseDNSEntry(subnet=subnet, ip="192.0.2.3", name="Host.Example.org.")
    entry.full_clean()
    entry.save()
    assert ReverseDNSEntry.objects.get().name == "host.example.org"
    for ip, name, field in [("192.0.2.4", "ok.example.org", "ip"), ("192.0.2.2", "bad_name", "name")]:
        with pytest.raises(ValidationError) as excinfo:
            ReverseDNSEntry(subnet=subnet, ip=ip, name=name).full_clean()
        assert field in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        ReverseDNSEntry(subnet=subnet, ip="192.0.2.3", name="other.example.org").full_clean()
    assert "ip" in excinfo.value.message_dict  # one PTR per address


@pytest.mark.django_db
def test_changing_hands_drops_the_previous_holders_reverse_dns(
    pool_v4, configuration, other_configuration, member
):
    subnet = allocate_subnet(pool_v4, configuration=configuration)
    isp_ns = NameServer.objects.create(name="ns1.isp.example")
    own_ns = NameServer.objects.create(name="ns.camille.example", owner=member)
    subnet.name_server.set([isp_ns, own_ns])
    ReverseDNSEntry.objects.create(subnet=subnet, ip="192.0.2.0", name="home.camille.example")
    subnet.configuration = other_configuration
    subnet.save()
    assert not ReverseDNSEntry.objects.exists()
    assert list(subnet.name_server.all()) == [isp_ns]


@pytest.mark.django_db
def test_a_deleted_subscription_leaves_no_reverse_dns_behind(pool_v4, configuration, member):
    subnet = allocate_subnet(pool_v4, configuration=configuration)
    isp_ns = NameServer.objects.create(name="ns1.isp.example")
    subnet.name_server.set([isp_ns, NameServer.objects.create(name="ns.camille.example", owner=member)])
    ReverseDNSEntry.objects.create(subnet=subnet, ip="192.0.2.0", name="home.camille.example")
    configuration.offersubscription.delete()
    subnet.refresh_from_db()
    assert subnet.configuration is None
    assert not ReverseDNSEntry.objects.exists()
    assert list(subnet.name_server.all()) == [isp_ns]


@pytest.mark.django_db
def test_name_servers_are_unique_per_owner(member, other_member):
    NameServer(name="NS.Shared.example.").save()
    assert NameServer.objects.get().name == "ns.shared.example"
    with pytest.raises(ValidationError):
        NameServer(name="ns.shared.example").full_clean()
    NameServer(name="ns.shared.example", owner=member).full_clean()
    NameServer.objects.create(name="ns.shared.example", owner=member)
    NameServer.objects.create(name="ns.shared.example", owner=other_member)
    with pytest.raises(ValidationError):
        NameServer(name="ns.shared.example", owner=member).full_clean()
