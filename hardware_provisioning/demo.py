"""Demo hardware: three types, two storage sites, a dozen items, loans to demo
members (cmartin's router tied to their DSL line, a pending request from
lbernard, a past loan)."""

import datetime

from django.db import transaction
from django.utils import timezone

from coin.members.models import Member
from coin.offers.models import OfferSubscription
from hardware_provisioning.loans import open_loan
from hardware_provisioning.models import Item, ItemType, Loan, Storage

ITEMS = [
    # type, designation, site, MAC, serial
    ("Router", "TP-Link Archer C7", "Local associatif", "c0:4a:00:10:20:01", "TPL-C7-0001"),
    ("Router", "TP-Link Archer C7", "Local associatif", "c0:4a:00:10:20:02", "TPL-C7-0002"),
    ("Router", "Turris Omnia", "Cave de Maxime", "d8:58:d7:00:11:01", "OMNIA-7781"),
    ("Router", "Turris Omnia", "Cave de Maxime", "d8:58:d7:00:11:02", "OMNIA-7782"),
    ("DSL modem", "Zyxel VMG1312", "Local associatif", "5c:f4:ab:30:00:01", "ZYX-1312-A1"),
    ("DSL modem", "Zyxel VMG1312", "Local associatif", "5c:f4:ab:30:00:02", "ZYX-1312-A2"),
    ("DSL modem", "Zyxel VMG1312", "Cave de Maxime", "5c:f4:ab:30:00:03", "ZYX-1312-A3"),
    ("Wi-Fi antenna", "Ubiquiti NanoStation M5", "Cave de Maxime", "24:a4:3c:50:00:01", "UBNT-NSM5-01"),
    ("Wi-Fi antenna", "Ubiquiti NanoStation M5", "Cave de Maxime", "24:a4:3c:50:00:02", "UBNT-NSM5-02"),
    ("Wi-Fi antenna", "Ubiquiti NanoStation M5", None, "24:a4:3c:50:00:03", "UBNT-NSM5-03"),
]
SITES = [
    ("Local associatif", "12 rue des Lilas, Lyon", "Clé chez le trésorier; permanence le jeudi soir."),
    ("Cave de Maxime", "4 impasse du Moulin, Villeurbanne", "Sur rendez-vous."),
]


def load(stdout) -> None:
    if ItemType.objects.exists():
        stdout.write("Hardware: already there")
        return
    today = timezone.localdate()
    with transaction.atomic():
        sites = {
            name: Storage.objects.create(name=name, truncated_address=address, notes=notes)
            for name, address, notes in SITES
        }
        types = {name: ItemType.objects.create(name=name) for name in dict.fromkeys(row[0] for row in ITEMS)}
        items = [
            Item.objects.create(
                type=types[kind],
                designation=designation,
                storage=sites.get(site) if site else None,
                mac_address=mac,
                serial=serial,
                buy_date=datetime.date(2024, 3, 1),
                warranty_end=datetime.date(2026, 3, 1),
            )
            for kind, designation, site, mac, serial in ITEMS
        ]
        items[-1].deployed = True  # the antenna on the water tower
        items[-1].comment = "Point haut du château d'eau"
        items[-1].save()
        members = {
            m.username: m for m in Member.objects.filter(username__in=["cmartin", "lbernard", "ddurand"])
        }
        if "cmartin" in members:
            line = OfferSubscription.objects.filter(member=members["cmartin"], offer__reference="DSL").first()
            open_loan(
                items[4],
                members["cmartin"],
                start=today - datetime.timedelta(days=60),
                subscription=line,
                location="Domicile",
            )
            open_loan(items[0], members["cmartin"], start=today - datetime.timedelta(days=30))
        if "lbernard" in members:
            open_loan(items[2], members["lbernard"], state=Loan.State.REQUESTED)
        if "ddurand" in members:
            past = open_loan(items[7], members["ddurand"], start=today - datetime.timedelta(days=400))
            past.state, past.end = Loan.State.ENDED, today - datetime.timedelta(days=60)
            past.save()
            items[7].storage = sites["Cave de Maxime"]
            items[7].save(update_fields=["storage"])
    stdout.write(
        f"Hardware: {Item.objects.count()} items in {len(SITES)} storage sites, {Loan.objects.count()} loans"
    )
