"""One FilterSet per model (hardware_provisioning/filtersets.py) for the admin's
list filters and the API's query parameters: the same items either way."""

import pytest

from hardware_provisioning import loans
from hardware_provisioning.models import Loan
from tests.api_cases import same_rows_in_admin_and_api

pytestmark = pytest.mark.django_db


def test_availability_and_owner_in_the_admin_and_the_api(admin_client, make_item, member, other_member):
    stored = make_item(designation="Stored router")
    lent = make_item(designation="Lent router")
    asked = make_item(designation="Asked router")
    deployed = make_item(designation="Deployed router", deployed=True, storage=None)
    owned = make_item(designation="Member's router", owner=member)
    loans.open_loan(lent, member)
    loans.open_loan(asked, other_member, state=Loan.State.REQUESTED)
    admin, api = "/admin/hardware_provisioning/item/", "/api/hardware-items/"
    same_rows_in_admin_and_api(
        admin_client,
        [
            (f"{admin}?state=in_storage", f"{api}?state=in_storage", {stored.pk, owned.pk}),
            (f"{admin}?state=lent", f"{api}?state=lent", {lent.pk}),
            (f"{admin}?state=requested", f"{api}?state=requested", {asked.pk}),
            (f"{admin}?state=deployed", f"{api}?state=deployed", {deployed.pk}),
            (f"{admin}?owned_by=member", f"{api}?owned_by=member", {owned.pk}),
            (f"{admin}?owned_by=isp", f"{api}?owned_by=isp", {stored.pk, lent.pk, asked.pk, deployed.pk}),
        ],
    )
    assert admin_client.get(f"{api}?state=stolen").status_code == 400
