"""The demo data that `make demo` loads: a fresh database gets a small, coherent
ISP, and running the command again changes nothing."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from coin.isp_database.models import ISPInfo
from coin.members.models import Member
from coin.offers.models import OfferSubscription

pytestmark = pytest.mark.django_db


def login_request():
    """django-axes (the login lockout) needs the request in authenticate()."""
    return RequestFactory().post("/login/")


def test_demo_data_loads_once_and_prints_the_admin_login():
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    password = out.getvalue().split("password: ")[1].split()[0]
    assert authenticate(login_request(), username="admin", password=password).is_superuser
    assert ISPInfo.objects.count() == 1
    assert Member.objects.members().count() >= 4
    assert OfferSubscription.objects.running().exists()
    assert authenticate(login_request(), username="cmartin", password="demo-member-pw") is not None
    counts = (Member.objects.count(), OfferSubscription.objects.count())

    out = StringIO()
    call_command("load_demo_data", stdout=out)
    assert "already loaded" in out.getvalue()
    assert (Member.objects.count(), OfferSubscription.objects.count()) == counts

    out = StringIO()
    call_command("load_demo_data", "--reset-admin-password", stdout=out)
    new_password = out.getvalue().split("password: ")[1].split()[0]
    assert new_password != password
    assert authenticate(login_request(), username="admin", password=new_password) is not None
