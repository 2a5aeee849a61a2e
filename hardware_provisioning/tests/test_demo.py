import io

import pytest
from django.core.management import call_command

from hardware_provisioning.models import Item, ItemType, Loan, Storage

pytestmark = pytest.mark.django_db


def test_demo_hardware():
    out = io.StringIO()
    call_command("load_demo_data", stdout=out)
    assert "Hardware: 10 items in 2 storage sites, 4 loans" in out.getvalue()
    assert ItemType.objects.count() == 3 and Storage.objects.count() == 2
    for item in Item.objects.all():
        item.full_clean()
    for loan in Loan.objects.all():
        loan.full_clean()
    states = {(loan.member.username, loan.state) for loan in Loan.objects.select_related("member")}
    assert states == {("cmartin", "running"), ("lbernard", "requested"), ("ddurand", "ended")}
    line = Loan.objects.get(member__username="cmartin", subscription__isnull=False)
    assert line.subscription.offer.reference == "DSL" and line.item.type.name == "DSL modem"
    assert sorted(item.state for item in Item.objects.with_loan_state()).count("in_storage") == 6
