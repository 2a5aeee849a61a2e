"""Demo identity of a small associative ISP."""

import datetime

from coin.isp_database.models import (
    BankInfo,
    ChatRoom,
    CoveredArea,
    ISPInfo,
    OtherWebsite,
    RegisteredOffice,
)


def load(stdout) -> None:
    isp = ISPInfo.objects.create(
        name="Réseau Associatif du Val",
        shortname="RAV",
        description="Fournisseur d'accès à Internet associatif, neutre et local.",
        website="https://rav.example",
        email="contact@rav.example",
        mainMailingList="membres@lists.rav.example",
        administrative_email="tresorerie@rav.example",
        support_email="support@rav.example",
        creationDate=datetime.date(2012, 3, 10),
        ffdnMemberSince=datetime.date(2013, 1, 15),
        progressStatus=ISPInfo.ProgressStatus.RUNNING,
        latitude=45.764,
        longitude=4.8357,
    )
    RegisteredOffice.objects.create(
        isp=isp,
        street_address="12 rue des Canuts",
        postal_code="69004",
        locality="Lyon",
        region="Auvergne-Rhône-Alpes",
        country_name="France",
        siret="90000000100017",  # fictitious, with valid check digits: invoices need one
    )
    BankInfo.objects.create(
        isp=isp,
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        bank_name="Crédit Coopératif",
        creditor_identifier="FR72ZZZ123456",
        check_order="Réseau Associatif du Val",
    )
    OtherWebsite.objects.create(isp=isp, name="wiki", url="https://wiki.rav.example")
    ChatRoom.objects.create(isp=isp, url="irc://irc.libera.chat/#rav")
    CoveredArea.objects.create(isp=isp, name="France (VPN)", technologies=["vpn"])
    CoveredArea.objects.create(
        isp=isp,
        name="Croix-Rousse",
        technologies=["ftth", "wifi"],
        area={
            "type": "Polygon",
            "coordinates": [
                [
                    [4.82, 45.77],
                    [4.84, 45.77],
                    [4.84, 45.78],
                    [4.82, 45.78],
                    [4.82, 45.77],
                ]
            ],
        },
    )
    stdout.write("ISP identity: Réseau Associatif du Val")
