"""The hardware endpoints' cases for the generic permission test of the API
(tests/api_cases.py merges them into its CASES)."""

from tests.api_cases import EndpointCase


def _type(world):
    from hardware_provisioning.models import ItemType

    return ItemType.objects.get_or_create(name="Router")[0]


def _storage(world):
    from hardware_provisioning.models import Storage

    return Storage.objects.get_or_create(name="Local")[0]


def _item(world, **fields):
    from hardware_provisioning.models import Item

    return Item.objects.create(type=_type(world), designation="Archer C7", storage=_storage(world), **fields)


def _loan(world):
    from hardware_provisioning.models import Loan

    return Loan.objects.create(item=_item(world, mac_address="c0:4a:00:10:20:01"), member=world["member"])


CASES: dict[str, EndpointCase] = {
    "hardware-item-types": EndpointCase(
        "hardware_provisioning.ItemType",
        make=_type,
        create=lambda w: {"name": "ONT"},
        update=lambda w, obj: {"name": "Routers"},
    ),
    "hardware-storages": EndpointCase(
        "hardware_provisioning.Storage",
        make=_storage,
        create=lambda w: {"name": "Cave", "truncated_address": "4 impasse du Moulin"},
        update=lambda w, obj: {"notes": "Keys at the bakery"},
        delete=True,
    ),
    "hardware-items": EndpointCase(
        "hardware_provisioning.Item",
        make=_item,
        create=lambda w: {"type": _type(w).pk, "designation": "Omnia", "mac_address": "D8-58-D7-00-11-01"},
        update=lambda w, obj: {"comment": "Scratched"},
    ),
    "hardware-loans": EndpointCase(
        "hardware_provisioning.Loan",
        make=_loan,
        create=lambda w: {
            "item": _item(w, serial="SN-2").pk,
            "member": w["member"].pk,
            "start": "2026-03-01",
        },
        update=lambda w, obj: {"location": "Flat 3"},
    ),
}
