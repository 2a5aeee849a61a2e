"""A generic test of every API endpoint's permissions (after NetBox's
``APIViewTestCases``), with a staff user who is not a superuser:

- without any permission: 403 on list, detail, create, update and delete;
- with the endpoint's view permission only: list and detail 200, writes 403;
- with all of the endpoint's permissions: the writes it offers work (201, 200,
  204), the others answer 405.

``CASES`` holds one :class:`EndpointCase` per router prefix; ``test_api_permissions``
fails for an endpoint of the router that has none, so a new endpoint is covered.
"""

import dataclasses
import datetime
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth.models import Permission

from coin.api.urls import router

Data = dict


@dataclasses.dataclass
class EndpointCase:
    """How to test one endpoint. ``make`` builds the object tested by detail, update
    and delete from the shared ``world`` (a dict of ready objects); ``create`` and
    ``update`` give valid request bodies (None: the endpoint does not offer it)."""

    model: str  # "app_label.ModelName", the model whose permissions apply
    make: Callable[[dict], object]
    create: Callable[[dict], Data] | None = None
    update: Callable[[dict, object], Data] | None = None
    delete: bool = False
    put: Callable[[dict, object], Data] | None = None  # PATCH only, unless given
    extra_view_permissions: tuple[str, ...] = ()


def model_permissions(label: str, actions=("view", "add", "change", "delete")) -> list[Permission]:
    app_label, model = label.lower().split(".")
    return list(
        Permission.objects.filter(
            content_type__app_label=app_label, codename__in=[f"{a}_{model}" for a in actions]
        )
    )


def full_names(perms: tuple[str, ...]) -> list[Permission]:
    found = []
    for name in perms:
        app_label, codename = name.split(".")
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def endpoints() -> list[str]:
    return [prefix for prefix, _viewset, _basename in router.registry]


def build_world(member_factory) -> dict:
    """One of everything the endpoints show, made as the admin would."""
    from coin.billing.invoices import Line, issue_invoice
    from coin.billing.payments import record_payment
    from coin.members.models import MembershipFee
    from coin.offers.models import Offer
    from coin.offers.subscriptions import subscribe
    from coin.resources.models import IPPool, IPSubnet, NameServer

    member = member_factory(username="alice", first_name="Alice", last_name="Bernard")
    offer = Offer.objects.create(name="ADSL", reference="DSL", configuration_type="simple_dsl.SimpleDSL")
    subscription = subscribe(member=member, offer=offer, subscription_date=datetime.date(2026, 1, 1))
    pool = IPPool.objects.create(name="v4", inet="192.0.2.0/24", default_subnetsize=30)
    subnet = IPSubnet.objects.create(
        ip_pool=pool, inet="192.0.2.0/30", configuration=subscription.real_configuration
    )
    invoice = issue_invoice(member, [Line(label="Service", amount=Decimal("30.00"))])
    return {
        "member": member,
        "fee": MembershipFee.objects.create(member=member, amount=Decimal("20.00")),
        "offer": offer,
        "subscription": subscription,
        "pool": pool,
        "subnet": subnet,
        "name_server": NameServer.objects.create(name="ns1.example.org"),
        "invoice": invoice,
        "payment": record_payment(None, Decimal("5.00"), label="VIR unknown"),
    }


def _fresh_pool(world):
    from coin.resources.models import IPPool

    return IPPool.objects.create(name="v4b", inet="198.51.100.0/24", default_subnetsize=30)


def _mandate(world):
    from coin.billing.direct_debit import create_mandate

    return create_mandate(
        world["member"],
        iban="DE89370400440532013000",
        account_holder="Alice Bernard",
        signed_on=datetime.date(2026, 1, 2),
        reference="API-MANDATE-1",
    )


def _collection(world):
    from coin.billing.models import DirectDebitBatch, DirectDebitCollection

    batch = DirectDebitBatch.objects.create(
        message_id="API-DD-1",
        collection_date=datetime.date(2026, 2, 5),
        xml="<Document/>",
        total=Decimal("30.00"),
    )
    return DirectDebitCollection.objects.create(
        batch=batch,
        mandate=_mandate(world),
        invoice=world["invoice"],
        amount=Decimal("30.00"),
        sequence="FRST",
        end_to_end_id="DD-API-1",
    )


def _credit_note(world):
    from coin.billing.invoices import issue_credit_note

    return issue_credit_note(world["invoice"], Decimal("1.00"), "geste")


def _offer_ip_pool(world):
    from coin.resources.models import OfferIPPool

    return OfferIPPool.objects.create(offer=world["offer"], pool=world["pool"], order=1)


def _reverse(world):
    from coin.resources.models import ReverseDNSEntry

    return ReverseDNSEntry.objects.create(subnet=world["subnet"], ip="192.0.2.1", name="a.example.org")


def _assignment(world):
    from coin.resources.models import IPSubnetAssignment

    return IPSubnetAssignment.objects.filter(subnet=world["subnet"]).first()


def _coa_request(world):
    """A BNG on 127.0.0.1 where nothing answers (one send, one second) and one request
    of its history."""
    import socket

    from coa.models import BNG, CoARequest

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    world["bng"] = BNG.objects.create(
        name="bng-api", address="127.0.0.1", coa_port=port, secret="s3cret", timeout=1, retries=0
    )
    return CoARequest.objects.create(
        bng=world["bng"], bng_name="bng-api", code=CoARequest.Code.COA, outcome=CoARequest.Outcome.ACK
    )


CASES: dict[str, EndpointCase] = {
    "members": EndpointCase(
        "members.Member",
        make=lambda w: w["member"],
        create=lambda w: {"first_name": "Noé", "last_name": "Girard", "email": "noe@example.org"},
        update=lambda w, obj: {"city": "Lyon"},
    ),
    "membership-fees": EndpointCase(
        "members.MembershipFee",
        make=lambda w: w["fee"],
        create=lambda w: {"member": w["member"].pk, "amount": "20.00", "start_date": "2027-01-01"},
        update=lambda w, obj: {"reference": "CHQ 12"},
        put=lambda w, obj: {"member": w["member"].pk, "amount": "25.00", "start_date": "2026-01-01"},
        delete=True,
    ),
    "offers": EndpointCase(
        "offers.Offer",
        make=lambda w: w["offer"],
        create=lambda w: {"name": "VPN", "reference": "VPN", "period_fees": "5.00"},
        update=lambda w, obj: {"description": "Faster"},
    ),
    "subscriptions": EndpointCase(
        "offers.OfferSubscription",
        make=lambda w: w["subscription"],
        create=lambda w: {
            "member": w["member"].pk,
            "offer": w["offer"].pk,
            "subscription_date": "2026-02-01",
        },
        update=lambda w, obj: {"comments": "Line 2"},
    ),
    "ip-pools": EndpointCase(
        "resources.IPPool",
        make=lambda w: w["pool"],
        create=lambda w: {"name": "v6", "inet": "2001:db8::/48", "default_subnetsize": 56},
        update=lambda w, obj: {"description": "Main"},
    ),
    "ip-subnets": EndpointCase(
        "resources.IPSubnet",
        make=lambda w: w["subnet"],
        create=lambda w: {"ip_pool": w["pool"].pk, "inet": "192.0.2.8/30"},
        update=lambda w, obj: {"delegate_reverse_dns": False},
        delete=True,
    ),
    "offer-ip-pools": EndpointCase(
        "resources.OfferIPPool",
        make=_offer_ip_pool,
        create=lambda w: {"offer": w["offer"].pk, "pool": _fresh_pool(w).pk, "order": 2},
        update=lambda w, obj: {"order": 5},
        delete=True,
    ),
    "ip-assignments": EndpointCase("resources.IPSubnetAssignment", make=_assignment),
    "name-servers": EndpointCase(
        "resources.NameServer",
        make=lambda w: w["name_server"],
        create=lambda w: {"name": "ns2.example.org"},
        update=lambda w, obj: {"comment": "Backup"},
        delete=True,
    ),
    "reverse-dns-entries": EndpointCase(
        "resources.ReverseDNSEntry",
        make=_reverse,
        create=lambda w: {"subnet": w["subnet"].pk, "ip": "192.0.2.2", "name": "b.example.org"},
        update=lambda w, obj: {"name": "c.example.org"},
        delete=True,
    ),
    "invoices": EndpointCase(
        "billing.Invoice",
        make=lambda w: w["invoice"],
        create=lambda w: {"member": w["member"].pk, "lines": [{"label": "Extra", "amount": "3.00"}]},
    ),
    "credit-notes": EndpointCase(
        "billing.CreditNote",
        make=_credit_note,
        create=lambda w: {"invoice": w["invoice"].pk, "amount": "2.00", "reason": "Outage"},
    ),
    "payments": EndpointCase(
        "billing.Payment",
        make=lambda w: w["payment"],
        create=lambda w: {"member": w["member"].pk, "amount": "12.00"},
    ),
    "coa": EndpointCase(
        "coa.CoARequest",
        make=_coa_request,
        create=lambda w: {"bng": w["bng"].pk, "code": "coa", "attributes": {"User-Name": "alice-1"}},
    ),
    "mandates": EndpointCase(
        "billing.Mandate",
        make=_mandate,
        create=lambda w: {
            "member": w["member"].pk,
            "iban": "FR14 2004 1010 0505 0001 3M02 606",
            "account_holder": "Alice Bernard",
            "signed_on": "2026-01-15",
        },
    ),
    "direct-debit-collections": EndpointCase("billing.DirectDebitCollection", make=_collection),
    "member-balances": EndpointCase(
        "members.Member",
        make=lambda w: w["member"],
        extra_view_permissions=("billing.view_invoice", "billing.view_creditnote", "billing.view_payment"),
    ),
}


def _merge_app_cases() -> None:
    """Optional apps keep their endpoints' cases in their own ``tests/api_cases.py``
    (a ``CASES`` dict like the one above), merged here when the app is installed."""
    from django.apps import apps
    from django.utils.module_loading import import_string

    from coin.apps import has_module

    for config in apps.get_app_configs():
        if config.name != "coin" and has_module(f"{config.name}.tests.api_cases"):
            CASES.update(import_string(f"{config.name}.tests.api_cases.CASES"))


_merge_app_cases()


def same_rows_in_admin_and_api(client, pairs: list[tuple[str, str, set[int]]]) -> None:
    """For list filters made from a FilterSet (``coin.admin_filters.list_filter``):
    each (admin list URL, API list URL, expected primary keys) gives those rows in
    the admin's change list and in the API's answer, with a logged-in superuser."""
    for admin_url, api_url, expected in pairs:
        response = client.get(admin_url)
        assert response.status_code == 200, admin_url
        assert {row.pk for row in response.context["cl"].result_list} == expected, admin_url
        response = client.get(api_url)
        assert response.status_code == 200, (api_url, response.content)
        assert {row["id"] for row in response.json()["results"]} == expected, api_url
