"""A real FreeRADIUS (tests/harness/freeradius.py, contrib/freeradius/'s configuration)
reads the rows Coin writes: radtest and radclient get what the subscription holds."""

import pytest
from django.db import connection, connections

from coa.conf import setting
from coa.models import BNG, RadiusGroup, RadiusGroupAttribute
from coa.radius import sync_group, sync_nas
from coa.tests.conftest import add_subnet
from coin.provisioning.jobs import run_due_jobs
from coin.provisioning.models import ProvisioningJob
from tests.harness.freeradius import private_freeradius

SECRET = "bng-test-secret"  # noqa: S105 (a throw-away BNG)
FULL_SUBNETS = {
    "v4": ["198.51.100.7/32", "198.51.100.16/29"],
    "v6": ["2001:db8:0:1::/64", "2001:db8:100::/56"],
}


def pg_conninfo() -> dict[str, str]:
    """The test database as FreeRADIUS's rlm_sql_postgresql reaches it (unix socket)."""
    params = connection.get_connection_params()
    return {
        "dialect": "postgresql",
        "conninfo": f"host={params['host']} dbname={params['dbname']} user={params['user']}",
    }


@pytest.fixture
def local_bng(db):
    """The BNG that radtest and radclient play: FreeRADIUS knows it from the nas table."""
    return BNG.objects.create(name="bng-local", address="127.0.0.1", secret=SECRET)


@pytest.fixture
def subscriber(account, pools, radius_offer, local_bng):
    """The account with two IPv4 and two IPv6 subnets and its offer's group in FreeRADIUS."""
    for version, subnets in FULL_SUBNETS.items():
        for inet in subnets:
            add_subnet(account, pools[version], inet)
    sync_group(radius_offer.radius_group)
    assert not ProvisioningJob.objects.exclude(state="done").exists()
    return account


@pytest.fixture
def freeradius(local_bng):
    """A private FreeRADIUS on the test's PostgreSQL database (rows must be committed,
    so the tests using it are transactional)."""
    if connection.vendor != "postgresql":
        pytest.fail("this FreeRADIUS fixture reads PostgreSQL (the SQLite case has its own test)")
    with private_freeradius(pg_conninfo()) as server:
        yield server


EXPECTED_FULL = sorted(
    [
        ("Framed-IP-Address", "198.51.100.7"),
        ("Framed-Route", "198.51.100.16/29 0.0.0.0 1"),
        ("Framed-IPv6-Prefix", "2001:db8:0:1::/64"),
        ("Delegated-IPv6-Prefix", "2001:db8:100::/56"),
        ("Mikrotik-Rate-Limit", "100M/100M"),
    ]
)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_accept_carries_exactly_the_subscription_and_group(subscriber, freeradius):
    reply = freeradius.radtest(subscriber.login, "right-password", SECRET)
    assert reply.code == "Access-Accept", freeradius.log()[-3000:]
    assert sorted(reply.attributes) == EXPECTED_FULL
    assert freeradius.radtest(subscriber.login, "wrong-password", SECRET).code == "Access-Reject"
    assert freeradius.radtest("nobody-1", "right-password", SECRET).code == "Access-Reject"
    # Not Coin's login form: rejected by coin_filter_username before any query.
    assert freeradius.radtest(subscriber.login.upper(), "right-password", SECRET).code == "Access-Reject"
    assert "User-Name is not a Coin login" in freeradius.log()
    # Nothing of the typed passwords lands in radpostauth (no post-auth logging).
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM radpostauth")
        assert cursor.fetchone() == (0,)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_login_with_a_realm_without_dot_is_accepted(account, local_bng, freeradius):
    account.login = "jdoe@isp"
    account.save()
    reply = freeradius.radtest("jdoe@isp", "right-password", SECRET)
    assert reply.code == "Access-Accept", freeradius.log()[-3000:]
    assert reply.values("Mikrotik-Rate-Limit") == []  # the group's rows were never synced here


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_suspended_account_gets_the_suspended_profile(subscriber, freeradius):
    suspended = RadiusGroup.objects.create(name=setting("RADIUS_SUSPENDED_GROUP"))
    RadiusGroupAttribute.objects.create(group=suspended, attribute="Filter-Id", value="captive-portal")
    RadiusGroupAttribute.objects.create(group=suspended, attribute="Mikrotik-Rate-Limit", value="1M/1M")
    sync_group(suspended)
    subscriber.provision("suspend")
    run_due_jobs()
    reply = freeradius.radtest(subscriber.login, "right-password", SECRET)
    assert reply.code == "Access-Accept"
    assert reply.values("Filter-Id") == ["captive-portal"]
    assert reply.values("Mikrotik-Rate-Limit") == ["1M/1M"]
    subscriber.provision("resume")
    run_due_jobs()
    reply = freeradius.radtest(subscriber.login, "right-password", SECRET)
    assert sorted(reply.attributes) == EXPECTED_FULL


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_next_accept_carries_the_new_addresses(subscriber, pools, freeradius):
    subscriber.ip_subnet.get(inet="198.51.100.7/32").delete()
    subscriber.ip_subnet.get(inet="2001:db8:100::/56").delete()
    add_subnet(subscriber, pools["v4"], "198.51.100.9/32")
    add_subnet(subscriber, pools["v6"], "2001:db8:200::/56")
    run_due_jobs()
    reply = freeradius.radtest(subscriber.login, "right-password", SECRET)
    assert sorted(reply.attributes) == sorted(
        [
            ("Framed-IP-Address", "198.51.100.9"),
            ("Framed-Route", "198.51.100.16/29 0.0.0.0 1"),
            ("Framed-IPv6-Prefix", "2001:db8:0:1::/64"),
            ("Delegated-IPv6-Prefix", "2001:db8:200::/56"),
            ("Mikrotik-Rate-Limit", "100M/100M"),
        ]
    )


@pytest.mark.django_db(transaction=True)
def test_sqlite_database_unreachable_during_100_changes_then_freeradius_accepts(
    account, radius_offer, local_bng, settings, tmp_path
):
    """FreeRADIUS's database is an SQLite file (the demo's setup) in a folder that does not
    exist yet: 100 password changes all save; once it is there the jobs catch up and a
    real FreeRADIUS reading that file accepts the last password only."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    from coa import models as coa_models

    folder = tmp_path / "down"
    path = folder / "radius.sqlite3"
    connections["radius_sqlite"] = DatabaseWrapper(
        {
            **connections.settings["default"],
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {},
            "TEST": {},
        },
        alias="radius_sqlite",
    )
    settings.RADIUS_DATABASE = "radius_sqlite"
    try:
        for n in range(100):
            account.set_password(f"password-{n}")
            account.save()  # never raises; the worker's attempt fails
        assert ProvisioningJob.objects.filter(configuration=account).exclude(state="done").count() == 100
        folder.mkdir()
        with connections["radius_sqlite"].schema_editor() as editor:
            for model in coa_models.FREERADIUS_MODELS:
                editor.create_model(model)
        sync_nas(local_bng)
        sync_group(radius_offer.radius_group)
        ProvisioningJob.objects.update(next_attempt_at="2000-01-01T00:00:00Z")
        run_due_jobs()
        assert not ProvisioningJob.objects.exclude(state="done").exists()
        with private_freeradius({"dialect": "sqlite", "filename": str(path)}) as server:
            reply = server.radtest(account.login, "password-99", SECRET)
            assert reply.code == "Access-Accept", server.log()[-3000:]
            assert reply.attributes == [("Mikrotik-Rate-Limit", "100M/100M")]
            assert server.radtest(account.login, "password-98", SECRET).code == "Access-Reject"
    finally:
        connections["radius_sqlite"].close()
        del connections["radius_sqlite"]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_accounting_start_interim_stop_land_in_radacct_and_on_the_pages(
    subscriber, freeradius, client, admin_client, member
):
    import time

    from django.urls import reverse

    from coa.accounting import rollup, traffic_totals
    from coa.models import RadAcct

    now = int(time.time())
    session = {
        "User-Name": subscriber.login,
        "Acct-Session-Id": "sess-0001",
        "NAS-IP-Address": "127.0.0.1",
        "NAS-Port-Id": "ge-0/0/1.100",
        "Framed-IP-Address": "198.51.100.7",
        "Delegated-IPv6-Prefix": "2001:db8:100::/56",
    }

    def send(status: str, at: int, **counters: str) -> None:
        attributes = {**session, "Acct-Status-Type": status, "Event-Timestamp": str(at), **counters}
        reply = freeradius.radclient("acct", attributes, SECRET)
        assert reply.code == "Accounting-Response", freeradius.log()[-3000:]

    send("Start", now - 600)
    row = RadAcct.objects.get(username=subscriber.login)
    assert row.acctstoptime is None and row.framedipaddress == "198.51.100.7"
    assert row.nasipaddress == "127.0.0.1" and int(row.acctstarttime.timestamp()) == now - 600
    send("Interim-Update", now - 300, **{"Acct-Input-Octets": "1000000", "Acct-Output-Octets": "5000000"})
    row.refresh_from_db()
    assert (row.acctinputoctets, row.acctoutputoctets) == (1_000_000, 5_000_000)
    assert int(row.acctupdatetime.timestamp()) == now - 300
    rollup()
    assert traffic_totals(subscriber.login) == {"download": 5_000_000, "upload": 1_000_000}

    client.force_login(member)
    page = client.get(reverse("radius:details", kwargs={"pk": subscriber.pk})).content.decode()
    assert "198.51.100.7" in page and "bng-local" in page and "Not connected." not in page
    assert "5.0 MB" in page and "1.0 MB" in page and "<svg" in page
    online = admin_client.get("/admin/coa/radacct/?state=online").content.decode()
    assert subscriber.login in online and "sess-0001" not in online  # list shows login, times, addresses
    sessions_link = f"/admin/coa/radacct/?username={subscriber.login}"
    assert (
        sessions_link
        in admin_client.get(f"/admin/coa/radiusaccount/{subscriber.pk}/change/").content.decode()
    )
    assert "198.51.100.7" in admin_client.get(sessions_link).content.decode()

    send(
        "Stop",
        now,
        **{
            "Acct-Input-Octets": "3000000",
            "Acct-Output-Octets": "9000000",
            "Acct-Terminate-Cause": "User-Request",
        },
    )
    row.refresh_from_db()
    assert int(row.acctstoptime.timestamp()) == now and row.acctterminatecause == "User-Request"
    assert row.acctsessiontime == 600
    rollup()
    rollup()  # twice counts nothing twice
    assert traffic_totals(subscriber.login) == {"download": 9_000_000, "upload": 3_000_000}
    page = client.get(reverse("radius:details", kwargs={"pk": subscriber.pk})).content.decode()
    assert "Not connected." in page and "9.0 MB" in page
    assert subscriber.login not in admin_client.get("/admin/coa/radacct/?state=online").content.decode()
