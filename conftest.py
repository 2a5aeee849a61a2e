"""Fixtures shared by every test module."""

import os

import pytest

# Playwright's browser tests leave an event loop in the test process; Django's
# async-safety check would then refuse plain database calls in later tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, headless, and no traffic to anything but the test server."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: rate-limit counters (coin.ratelimit) and
    cached feeds never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def english(settings):
    """Messages are checked in English, the source language, whatever translations are
    compiled (the site is French by default). A folder's conftest makes it autouse with
    ``autouse_english``; a module with ``pytest.mark.usefixtures("english")``."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def member_factory(db):
    from coin.members.models import Member

    counter = {"n": 0}

    def make(**fields):
        counter["n"] += 1
        n = counter["n"]
        defaults = {
            "first_name": "Camille",
            "last_name": f"Martin{n}",
            "email": f"member{n}@example.org",
            "status": Member.Status.MEMBER,
        }
        defaults.update(fields)
        password = defaults.pop("password", "correct horse battery")
        member = Member(**defaults)
        member.set_password(password)
        member.save()
        return member

    return make


@pytest.fixture
def member(member_factory):
    return member_factory(username="camille", first_name="Camille", last_name="Martin")


@pytest.fixture
def other_member(member_factory):
    return member_factory(username="dominique", first_name="Dominique", last_name="Durand")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def operator_client(client, member_factory):
    """A client logged in as a superuser who is not a member ("admin"), so that the
    admin's member counts and lists show only the test's members (pytest-django's
    ``admin_client`` makes its superuser a member)."""
    operator = member_factory(username="admin", is_staff=True, is_superuser=True, status="not_member")
    client.force_login(operator)
    return client


@pytest.fixture
def isp(db):
    from coin.isp_database.models import BankInfo, ISPInfo

    isp = ISPInfo.objects.create(
        name="Association Réseau Libre du Plateau",
        shortname="ARLP",
        email="contact@arlp.example",
        administrative_email="tresorerie@arlp.example",
        support_email="support@arlp.example",
        website="https://arlp.example",
    )
    BankInfo.objects.create(isp=isp, iban="FR7630006000011234567890189", bic="AGRIFRPP", check_order="ARLP")
    return isp


@pytest.fixture
def full_isp(isp):
    """The ISP above, with its registered office, SIRET and bank name (what invoices print)."""
    from coin.isp_database.models import RegisteredOffice

    RegisteredOffice.objects.create(
        isp=isp,
        street_address="12 rue des Lilas",
        postal_code="69100",
        locality="Villeurbanne",
        region="Auvergne-Rhône-Alpes",
        country_name="France",
        siret="12345678900017",
    )
    bank = isp.bank_info
    bank.bank_name = "Crédit Coopératif"
    bank.save()
    return isp


@pytest.fixture
def inventory():
    """The far end of the sample app coin_fiber (tests/thirdparty): an HTTP inventory,
    down until the test calls ``inventory.up()``."""
    from django.test import override_settings

    from tests.inventory import InventoryServer

    server = InventoryServer()
    with override_settings(FIBER_INVENTORY_URL=server.url):
        yield server
    server.down()


@pytest.fixture
def private_root(settings, tmp_path):
    """The test writes its PDFs and media into its own folder, never into var/private
    (autouse for the billing tests, coin/billing/tests/conftest.py)."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.PRIVATE_STORAGE_ROOT


@pytest.fixture(scope="session")
def slapd_server():
    """One private slapd per test process (so per xdist worker)."""
    from tests.harness.slapd import private_slapd

    with private_slapd() as server:
        yield server


@pytest.fixture
def ldap_server(slapd_server, settings):
    """The private slapd, empty, with the LDAP_* settings pointing at it. Set
    through pytest-django's ``settings`` (not override_settings), so that a test's
    own ``settings`` changes are undone in the right order whatever the order of
    its fixtures."""
    slapd_server.start()  # a test may have stopped it
    slapd_server.clear()
    env = slapd_server.env
    settings.LDAP_URI = env["LDAP_URI"]
    settings.LDAP_BIND_DN = env["LDAP_BIND_DN"]
    settings.LDAP_BIND_PASSWORD = env["LDAP_BIND_PASSWORD"]
    settings.VPN_LDAP_BASE_DN = env["VPN_LDAP_BASE_DN"]
    yield slapd_server
    slapd_server.start()


def pytest_collection_modifyitems(config, items):
    """Tests marked postgres_only check what only PostgreSQL guarantees (row locks
    under real concurrency, database triggers): on another database they are
    deselected, and the run's header says so (never a silent skip)."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    deselected = [item for item in items if item.get_closest_marker("postgres_only")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("postgres_only")]


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    note = "" if engine == "postgresql" else " (postgres_only tests deselected)"
    return f"database: {engine}{note}"
