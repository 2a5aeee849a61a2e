"""Daily rollup of radacct, stale sessions, purge, the member's traffic page, the router."""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from coa.accounting import (
    close_sessions,
    counter_delta,
    rollup,
    stale_sessions,
    traffic_per_day,
    traffic_per_month,
    traffic_totals,
)
from coa.charts import human_bytes, traffic_svg
from coa.models import RadAcct, RadiusSessionMark, RadiusTrafficDay

pytestmark = pytest.mark.django_db


def session(login: str, n: int, start: datetime.datetime, **fields) -> RadAcct:
    return RadAcct.objects.create(
        acctsessionid=f"s{n}",
        acctuniqueid=f"u{n}",
        username=login,
        nasipaddress="192.0.2.254",
        acctstarttime=start,
        acctupdatetime=fields.pop("acctupdatetime", start),
        framedipaddress="198.51.100.7",
        **fields,
    )


def test_counter_delta():
    assert counter_delta(150, 100) == 50
    assert counter_delta(None, 0) == 0
    assert counter_delta(30, 100) == 30  # restarted counter counts from zero


def test_rollup_counts_growth_once_on_the_day_of_the_update():
    now = timezone.now().replace(microsecond=0)
    row = session("jdoe-1", 1, now - datetime.timedelta(days=2), acctinputoctets=100, acctoutputoctets=1000)
    assert rollup().rows_read == 1
    day_one = timezone.localtime(row.acctupdatetime).date()
    assert list(RadiusTrafficDay.objects.values_list("username", "day", "input_octets", "output_octets")) == [
        ("jdoe-1", day_one, 100, 1000)
    ]
    rollup()  # nothing new: nothing counted twice
    assert traffic_totals("jdoe-1") == {"download": 1000, "upload": 100}
    RadAcct.objects.filter(pk=row.pk).update(acctinputoctets=250, acctoutputoctets=4000, acctupdatetime=now)
    rollup()
    assert traffic_totals("jdoe-1") == {"download": 4000, "upload": 250}
    today = timezone.localtime(now).date()
    assert RadiusTrafficDay.objects.get(day=today).output_octets == 3000
    assert RadiusSessionMark.objects.get(pk=row.pk).output_octets == 4000


def test_rollup_reads_only_recent_updates():
    old = timezone.now() - datetime.timedelta(days=3)
    for n in range(5):
        session("jdoe-1", n, old, acctinputoctets=1, acctoutputoctets=1)
    assert rollup().rows_read == 5
    session("jdoe-2", 98, timezone.now(), acctinputoctets=7, acctoutputoctets=7)
    assert rollup().rows_read == 6  # the old ones were the latest seen: read again, counted once
    session("jdoe-2", 99, timezone.now(), acctinputoctets=7, acctoutputoctets=7)
    assert rollup().rows_read == 2  # the five old rows are now behind the watermark
    assert traffic_totals("jdoe-1") == {"download": 5, "upload": 5}


def test_traffic_per_day_and_month_fill_gaps():
    today = datetime.date(2026, 3, 15)
    RadiusTrafficDay.objects.create(username="a", day=today, input_octets=1, output_octets=2)
    RadiusTrafficDay.objects.create(
        username="a", day=datetime.date(2026, 1, 31), input_octets=10, output_octets=20
    )
    RadiusTrafficDay.objects.create(username="b", day=today, input_octets=99, output_octets=99)
    days = traffic_per_day("a", today)
    assert len(days) == 30 and days[-1].download == 2 and days[-1].upload == 1 and days[0].total == 0
    months = traffic_per_month("a", today)
    assert [m.start for m in months][-3:] == [
        datetime.date(2026, 1, 1),
        datetime.date(2026, 2, 1),
        today.replace(day=1),
    ]
    assert [(m.download, m.upload) for m in months][-3:] == [(20, 10), (0, 0), (2, 1)]
    assert months[0].start == datetime.date(2025, 4, 1)


def test_svg_chart_and_units():
    assert human_bytes(999) == "999 B" and human_bytes(1_234_567) == "1.2 MB"
    points = traffic_per_day("nobody", datetime.date(2026, 3, 15))
    svg = str(traffic_svg(points, "T <&>"))
    assert svg.startswith("<svg") and svg.count("<rect") == 60 and "T &lt;&amp;&gt;" in svg


def test_stale_sessions_and_closing(settings):
    settings.RADIUS_STALE_SESSION_MINUTES = 30
    now = timezone.now()
    fresh = session(
        "a", 1, now - datetime.timedelta(hours=5), acctupdatetime=now - datetime.timedelta(minutes=5)
    )
    stale = session(
        "b", 2, now - datetime.timedelta(hours=5), acctupdatetime=now - datetime.timedelta(hours=1)
    )
    closed = session(
        "c",
        3,
        now - datetime.timedelta(hours=5),
        acctupdatetime=now - datetime.timedelta(hours=2),
        acctstoptime=now,
    )
    assert list(stale_sessions(now)) == [stale]
    assert close_sessions(stale_sessions(now), now) == 1
    stale.refresh_from_db()
    assert stale.acctstoptime == stale.acctupdatetime and stale.acctterminatecause == "Stale-Session"
    fresh.refresh_from_db()
    closed.refresh_from_db()
    assert fresh.acctstoptime is None and closed.acctterminatecause is None


def test_admin_stale_filter_and_close_action(admin_client, settings):
    settings.RADIUS_STALE_SESSION_MINUTES = 30
    now = timezone.now()
    fresh = session("fresh-1", 1, now - datetime.timedelta(hours=5), acctupdatetime=now)
    stale = session(
        "stale-1", 2, now - datetime.timedelta(hours=5), acctupdatetime=now - datetime.timedelta(hours=1)
    )
    page = admin_client.get("/admin/coa/radacct/?state=stale").content.decode()
    assert "stale-1" in page and "fresh-1" not in page
    response = admin_client.post(
        "/admin/coa/radacct/",
        {"action": "close_stale", "_selected_action": [fresh.pk, stale.pk]},
        follow=True,
    )
    assert "1 stale session(s) closed, 1 left (not stale)." in response.content.decode()
    assert RadAcct.objects.filter(acctstoptime__isnull=True).get() == fresh


def test_purge_radius_accounting_keeps_the_retention_and_open_sessions(capsys, settings):
    settings.RADIUS_ACCOUNTING_RETENTION_DAYS = 365
    now = timezone.now()
    old = now - datetime.timedelta(days=400)
    ended_old = session("a", 1, old, acctstoptime=old + datetime.timedelta(hours=1))
    session("a", 2, old)  # still open: kept
    session("a", 3, now - datetime.timedelta(days=10), acctstoptime=now - datetime.timedelta(days=9))
    RadiusSessionMark.objects.create(radacctid=ended_old.pk, input_octets=1, output_octets=1)
    RadiusTrafficDay.objects.create(username="a", day=old.date(), input_octets=1, output_octets=1)
    RadiusTrafficDay.objects.create(username="a", day=now.date(), input_octets=1, output_octets=1)
    call_command("purge_radius_accounting", "--dry-run")
    assert "[dry run] 1 session(s) ended and 1 day(s) of traffic before" in capsys.readouterr().out
    assert RadAcct.objects.count() == 3
    call_command("purge_radius_accounting")
    assert "1 session(s) ended and 1 day(s) of traffic before" in capsys.readouterr().out
    assert sorted(RadAcct.objects.values_list("acctsessionid", flat=True)) == ["s2", "s3"]
    assert not RadiusSessionMark.objects.exists() and RadiusTrafficDay.objects.count() == 1
    with pytest.raises(CommandError, match="inside the retention period"):
        call_command("purge_radius_accounting", "--before", now.date().isoformat())
    with pytest.raises(CommandError, match="is not a date"):
        call_command("purge_radius_accounting", "--before", "yesterday")


def test_member_page_without_sessions(client, member, account):
    client.force_login(member)
    page = client.get(reverse("radius:details", kwargs={"pk": account.pk})).content.decode()
    assert "Not connected." in page and page.count("<svg") == 2 and "<table" in page


def test_router_sends_radius_models_where_the_setting_says(settings):
    from coa.models import BNG, RadCheck, RadiusTrafficDay
    from coa.routers import RadiusRouter

    router = RadiusRouter()
    assert router.db_for_read(RadCheck) == "default" and router.db_for_write(RadiusTrafficDay) == "default"
    assert router.db_for_read(BNG) is None
    assert router.allow_migrate("default", "coa", "radacct") is None
    settings.RADIUS_DATABASE = "radius"
    assert router.db_for_write(RadAcct) == "radius" and router.db_for_read(BNG) is None
    assert router.allow_migrate("radius", "coa", "radacct") is True
    assert router.allow_migrate("default", "coa", "radacct") is False
    assert router.allow_migrate("radius", "coa", "bng") is False
    assert router.allow_migrate("default", "coa", "bng") is True
    assert router.allow_migrate("radius", "members", "member") is None


def test_router_routes_queries_through_django(settings):
    from django.db import router

    from coa.models import RadCheck

    settings.RADIUS_DATABASE = "radius"
    settings.DATABASE_ROUTERS = ["coa.routers.RadiusRouter"]
    assert router.db_for_write(RadCheck) == "radius"
    assert RadCheck.objects.all().db == "radius"


def test_checks_name_a_wrong_alias_and_a_missing_router():
    from coa.checks import ROUTER, radius_database_check, radius_database_errors

    assert radius_database_check() == []
    databases = {"default": {}, "radius": {}}
    assert [e.id for e in radius_database_errors("nowhere", databases, [])] == ["coa.E001"]
    assert [e.id for e in radius_database_errors("radius", databases, [])] == ["coa.E002"]
    assert radius_database_errors("radius", databases, [ROUTER]) == []


def test_radius_rollup_command(capsys):
    session("jdoe-1", 1, timezone.now(), acctinputoctets=5, acctoutputoctets=6)
    call_command("radius_rollup")
    assert "1 radacct row(s) read, 1 login-day(s) updated." in capsys.readouterr().out


def test_freeradius_tables_in_another_database(settings, tmp_path, account, admin_client, client, member):
    """RADIUS_DATABASE names another database and the router is on: the provisioner, the
    rollup, the admin and the member's page all use it, and the default one stays empty."""
    from django.db import connections
    from django.db.backends.sqlite3.base import DatabaseWrapper

    from coa import models as coa_models
    from coa.models import RadCheck
    from coin.provisioning.jobs import run_due_jobs

    connections["radius_other"] = DatabaseWrapper(
        {
            **connections.settings["default"],
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(tmp_path / "radius.sqlite3"),
            "OPTIONS": {},
            "TEST": {},
        },
        alias="radius_other",
    )
    try:
        with connections["radius_other"].schema_editor() as editor:
            for model in coa_models.RADIUS_DATABASE_MODELS:
                editor.create_model(model)
        run_due_jobs()
        RadCheck.objects.all().delete()
        settings.RADIUS_DATABASE = "radius_other"
        settings.DATABASE_ROUTERS = ["coa.routers.RadiusRouter"]
        account.set_password("elsewhere")
        account.save()
        run_due_jobs()
        assert RadCheck.objects.filter(username=account.login).count() == 1
        assert not RadCheck.objects.using("default").exists()
        session(account.login, 1, timezone.now(), acctinputoctets=2_000_000, acctoutputoctets=7_000_000)
        assert (
            RadAcct.objects.using("radius_other").count() == 1
            and not RadAcct.objects.using("default").exists()
        )
        rollup()
        assert RadiusTrafficDay.objects.using("radius_other").count() == 1
        assert account.login in admin_client.get("/admin/coa/radacct/?state=online").content.decode()
        client.force_login(member)
        page = client.get(reverse("radius:details", kwargs={"pk": account.pk})).content.decode()
        assert "7.0 MB" in page and "198.51.100.7" in page
    finally:
        connections["radius_other"].close()
        del connections["radius_other"]
