import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from coa.models import RadAcct, RadCheck, RadiusAccount, RadReply, RadUserGroup
from coa.passwords import check_ssha512
from coin.provisioning.jobs import run_due_jobs

pytestmark = pytest.mark.django_db


def test_demo_offer_bng_accounts_and_sessions(client):
    out = io.StringIO()
    call_command("load_demo_data", stdout=out)
    run_due_jobs()  # what the demo's worker does after the commit
    assert "RADIUS accounts (BNG): " in out.getvalue()
    accounts = list(RadiusAccount.objects.select_related("offersubscription__member"))
    assert len(accounts) == 2
    for account in accounts:
        assert account.offersubscription.offer.name == "Fibre/DSL via BNG" and account.bng.name == "bng-demo"
        assert check_ssha512("demo-radius-pw", RadCheck.objects.get(username=account.login).value)
        attributes = sorted(
            RadReply.objects.filter(username=account.login).values_list("attribute", flat=True)
        )
        assert attributes == ["Delegated-IPv6-Prefix", "Framed-IP-Address"]
        assert RadUserGroup.objects.get(username=account.login).groupname == "fibre-1g"
        assert RadAcct.objects.filter(username=account.login, acctstoptime__isnull=True).count() == 1
        assert RadAcct.objects.filter(username=account.login).count() == 43
        account.full_clean()
    member = accounts[0].offersubscription.member
    client.force_login(member)
    page = client.get(reverse("radius:details", kwargs={"pk": accounts[0].pk})).content.decode()
    assert "Not connected." not in page and "GB" in page and "bng-demo" in page
