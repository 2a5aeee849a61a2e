import io

import pytest
from django.core.management import call_command

from vpn.models import VPNConfiguration

pytestmark = pytest.mark.django_db


def test_demo_vpn_offers_and_accounts():
    out = io.StringIO()
    call_command("load_demo_data", stdout=out)
    accounts = {account.login: account for account in VPNConfiguration.objects.all()}
    assert set(accounts) == {"cmartin-vpn1", "lbernard-vpn1", "ddurand-vpn1"}
    for account in accounts.values():
        networks = [str(n) for n in account.networks()]
        assert [n.split(".")[0] if "." in n else n.split(":")[0] for n in networks] == ["192", "2001"]
        assert account.ipv4_endpoint and account.ipv6_endpoint
        account.full_clean()
    assert accounts["cmartin-vpn1"].is_active and not accounts["ddurand-vpn1"].is_active  # resigned
    assert "VPN accounts: " in out.getvalue()
    from coin.offers.models import Offer

    assert set(
        Offer.objects.filter(configuration_type="vpn.VPNConfiguration").values_list("reference", flat=True)
    ) == {
        "VPN",
        "VPN-AN",
    }
