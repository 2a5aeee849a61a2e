"""Member portal: my subnets and PTR records; nobody sees or changes another
member's."""

import pytest
from django.urls import reverse

from coin.resources.allocation import allocate_subnet
from coin.resources.models import NameServer, ReverseDNSEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def my_subnet(pool_v4, configuration):
    return allocate_subnet(pool_v4, configuration=configuration, prefixlen=30)


@pytest.fixture
def their_subnet(pool_v4, other_configuration):
    return allocate_subnet(pool_v4, configuration=other_configuration)


@pytest.fixture
def their_entry(their_subnet):
    return ReverseDNSEntry.objects.create(
        subnet=their_subnet, ip=str(their_subnet.inet.network_address), name="x.dominique.example"
    )


def test_pages_need_login(client, my_subnet):
    entry = ReverseDNSEntry.objects.create(subnet=my_subnet, ip="192.0.2.1", name="a.camille.example")
    for url in [
        reverse("resources:subnets"),
        reverse("resources:ptr_add", args=[my_subnet.pk]),
        reverse("resources:ptr_edit", args=[entry.pk]),
        reverse("resources:ptr_delete", args=[entry.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert ReverseDNSEntry.objects.count() == 1


def test_my_subnets_are_listed_with_their_records_and_not_others(
    member_client, my_subnet, their_subnet, their_entry
):
    ReverseDNSEntry.objects.create(subnet=my_subnet, ip="192.0.2.2", name="mail.camille.example")
    response = member_client.get(reverse("resources:subnets"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "192.0.2.0/30" in content and "mail.camille.example" in content
    assert str(their_subnet.inet) not in content and "dominique.example" not in content


def test_the_portal_menu_has_an_entry(member_client, my_subnet):
    response = member_client.get(reverse("resources:subnets"))
    assert ("My IP addresses", reverse("resources:subnets")) in [
        (str(label), url) for label, url in response.context["menu_entries"]
    ]


def test_delegated_subnets_show_their_zone_instead_of_records(member_client, my_subnet, member):
    my_subnet.delegate_reverse_dns = True
    my_subnet.save()
    my_subnet.name_server.add(NameServer.objects.create(name="ns.camille.example", owner=member))
    content = member_client.get(reverse("resources:subnets")).content.decode()
    assert "0-30.2.0.192.in-addr.arpa" in content and "ns.camille.example" in content
    response = member_client.post(
        reverse("resources:ptr_add", args=[my_subnet.pk]), {"ip": "192.0.2.1", "name": "a.camille.example"}
    )
    assert response.status_code == 200 and "delegated" in response.content.decode()
    assert not ReverseDNSEntry.objects.exists()


def test_add_edit_and_delete_a_record(member_client, my_subnet):
    add = reverse("resources:ptr_add", args=[my_subnet.pk])
    assert member_client.get(add).context["form"].initial["ip"] == "192.0.2.0"
    response = member_client.post(add, {"ip": "192.0.2.1", "name": "Mail.Camille.example."})
    assert response.status_code == 302
    entry = ReverseDNSEntry.objects.get()
    assert (entry.ip, entry.name, entry.subnet) == ("192.0.2.1", "mail.camille.example", my_subnet)
    edit = reverse("resources:ptr_edit", args=[entry.pk])
    assert member_client.get(edit).status_code == 200
    assert member_client.post(edit, {"ip": "192.0.2.2", "name": "smtp.camille.example"}).status_code == 302
    entry.refresh_from_db()
    assert (entry.ip, entry.name) == ("192.0.2.2", "smtp.camille.example")
    delete = reverse("resources:ptr_delete", args=[entry.pk])
    assert member_client.get(delete).status_code == 200
    assert member_client.post(delete).status_code == 302
    assert not ReverseDNSEntry.objects.exists()


@pytest.mark.parametrize(
    ("ip", "name", "field", "message"),
    [
        ("192.0.2.9", "a.camille.example", "ip", "not inside"),
        ("198.51.100.1", "a.camille.example", "ip", "not inside"),
        ("2001:db8::1", "a.camille.example", "ip", "not inside"),
        ("192.0.2.1", "bad name.example.org", "name", "not a valid part"),
        ("192.0.2.1", "localhost", "name", "fully qualified"),
        ("nonsense", "a.camille.example", "ip", ""),
    ],
)
def test_invalid_records_are_refused_with_the_reason(member_client, my_subnet, ip, name, field, message):
    response = member_client.post(reverse("resources:ptr_add", args=[my_subnet.pk]), {"ip": ip, "name": name})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not ReverseDNSEntry.objects.exists()


def test_an_address_has_one_record(member_client, my_subnet):
    ReverseDNSEntry.objects.create(subnet=my_subnet, ip="192.0.2.1", name="a.camille.example")
    response = member_client.post(
        reverse("resources:ptr_add", args=[my_subnet.pk]), {"ip": "192.0.2.1", "name": "b.camille.example"}
    )
    assert response.status_code == 200 and "ip" in response.context["form"].errors


def test_another_members_subnet_and_records_are_404(member_client, their_subnet, their_entry):
    assert member_client.get(reverse("resources:ptr_add", args=[their_subnet.pk])).status_code == 404
    response = member_client.post(
        reverse("resources:ptr_add", args=[their_subnet.pk]),
        {"ip": str(their_subnet.inet.network_address), "name": "evil.example.org"},
    )
    assert response.status_code == 404
    for name in ("resources:ptr_edit", "resources:ptr_delete"):
        url = reverse(name, args=[their_entry.pk])
        assert member_client.get(url).status_code == 404
        assert member_client.post(url, {"ip": their_entry.ip, "name": "evil.example.org"}).status_code == 404
    their_entry.refresh_from_db()
    assert their_entry.name == "x.dominique.example"


def test_a_record_cannot_be_moved_into_another_members_subnet(member_client, my_subnet, their_subnet):
    entry = ReverseDNSEntry.objects.create(subnet=my_subnet, ip="192.0.2.1", name="a.camille.example")
    response = member_client.post(
        reverse("resources:ptr_edit", args=[entry.pk]),
        {"ip": str(their_subnet.inet.network_address), "name": "a.camille.example"},
    )
    assert response.status_code == 200 and "ip" in response.context["form"].errors
    entry.refresh_from_db()
    assert entry.ip == "192.0.2.1"


def test_unassigned_subnets_belong_to_nobody(member_client, pool_v4):
    subnet = allocate_subnet(pool_v4)
    assert member_client.get(reverse("resources:ptr_add", args=[subnet.pk])).status_code == 404
