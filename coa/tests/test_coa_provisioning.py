"""Session changes reach a BNG (manage.py coa_server) through the provisioning queue:
suspension for an unpaid invoice and resumption on payment, offer and subnet changes,
deletion, a BNG down meanwhile (and its attempts in the history), and no packet when
nobody is online."""

import datetime
import io
import socket
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from coa.models import CoARequest, RadAcct, RadiusGroup, RadiusGroupAttribute
from coa.tests.coa_peer import coa_server, go_online
from coa.tests.conftest import add_subnet
from coin.billing.tests.documents_support import line, make_invoice
from coin.offers.models import Offer
from coin.provisioning.jobs import run_due_jobs
from coin.provisioning.models import ProvisioningJob

pytestmark = pytest.mark.django_db

SUSPEND_DAY = datetime.date(2026, 3, 3)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def online(account):
    """The account's session is open on a BNG at 127.0.0.1 (whose CoA port is set by each test)."""
    return lambda port, vendor="juniper": go_online(account, port, vendor)


def identification(account) -> list[str]:
    return [
        f'    User-Name = "{account.login}"',
        '    Acct-Session-Id = "0000A1B2"',
        '    Framed-IP-Address = "198.51.100.7"',
        '    NAS-IP-Address = "127.0.0.1"',
    ]


def attributes(block: str) -> list[str]:
    """A printed request's attribute lines, without Event-Timestamp and the answer."""
    return [x for x in block.splitlines()[1:] if x.startswith("    ") and "Event-Timestamp" not in x]


def suspend(capture) -> None:
    with capture(execute=True):
        call_command("suspend_unpaid_services", f"--date={SUSPEND_DAY}", stdout=io.StringIO())


def test_unpaid_invoice_suspends_by_coa_and_payment_resumes(
    account, online, member, full_isp, settings, django_capture_on_commit_callbacks
):
    from coin.billing.payments import record_payment

    settings.SUSPEND_SERVICE_AFTER_DAYS = 30
    with coa_server() as bng:
        online(bng.port, "juniper")
        make_invoice(
            member, [line("Fibre", "30.00")], day=datetime.date(2026, 1, 2), due=datetime.date(2026, 2, 1)
        )
        suspend(django_capture_on_commit_callbacks)
        (suspended,) = bng.wait_for(1)
        with django_capture_on_commit_callbacks(execute=True):
            record_payment(member, Decimal("30.00"), date=SUSPEND_DAY)
        resumed = bng.wait_for(2)[1]
    assert suspended.startswith("CoA-Request") and suspended.endswith("-> CoA-ACK")
    assert attributes(suspended) == identification(account) + [
        '    ERX-Service-Deactivate = "fibre-100"',
        '    ERX-Service-Activate:1 = "coin-suspended"',
    ]
    assert attributes(resumed) == identification(account) + [
        '    ERX-Service-Deactivate = "coin-suspended"',
        '    ERX-Service-Activate:1 = "fibre-100"',
    ]
    history = list(CoARequest.objects.order_by("id").values_list("operation", "origin", "outcome", "answer"))
    assert history == [("suspend", "provisioning", "ack", 44), ("resume", "provisioning", "ack", 44)]
    assert not ProvisioningJob.objects.exclude(state="done").exists()


def test_bng_down_during_the_changes_retries_in_order_when_back(
    account, online, member, full_isp, settings, django_capture_on_commit_callbacks
):
    from coin.billing.payments import record_payment

    settings.SUSPEND_SERVICE_AFTER_DAYS = 30
    port = free_port()
    online(port, "cisco")  # nothing listens there yet: the BNG is down
    make_invoice(
        member, [line("Fibre", "30.00")], day=datetime.date(2026, 1, 2), due=datetime.date(2026, 2, 1)
    )
    suspend(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        record_payment(member, Decimal("30.00"), date=SUSPEND_DAY)
    coa_jobs = ProvisioningJob.objects.filter(provisioner="coa.session_changes.CoAProvisioner").order_by("id")
    assert [(job.action, job.state) for job in coa_jobs] == [("suspend", "failed"), ("resume", "pending")]
    assert "test-bng answered nothing" in coa_jobs[0].last_error
    # The failed attempt is in the history although its job's transaction rolled back.
    (down,) = CoARequest.objects.all()
    assert (down.operation, down.outcome, down.answer, down.attempts) == ("suspend", "timeout", None, 2)
    assert down.account == account and down.username == account.login
    with coa_server(port=port) as bng:
        ProvisioningJob.objects.update(next_attempt_at=timezone.now())
        run_due_jobs()
        blocks = bng.wait_for(2)
    assert attributes(blocks[0])[-2:] == [
        '    Cisco-AVPair = "subscriber:sd=fibre-100"',
        '    Cisco-AVPair = "subscriber:sa=coin-suspended"',
    ]
    assert attributes(blocks[1])[-2:] == [
        '    Cisco-AVPair = "subscriber:sd=coin-suspended"',
        '    Cisco-AVPair = "subscriber:sa=fibre-100"',
    ]
    assert not ProvisioningJob.objects.exclude(state="done").exists()
    history = CoARequest.objects.order_by("id").values_list("operation", "outcome")
    assert list(history) == [("suspend", "timeout"), ("suspend", "ack"), ("resume", "ack")]


def test_a_nak_fails_the_job_and_stays_in_the_history(account, online, django_capture_on_commit_callbacks):
    with coa_server("--nak-on", "User-Name", "--error-cause", "Unsupported-Service") as bng:
        online(bng.port, "juniper")
        with django_capture_on_commit_callbacks(execute=True):
            account.provision("suspend")
        bng.wait_for(1)
    job = ProvisioningJob.objects.get(provisioner="coa.session_changes.CoAProvisioner")
    assert job.state == "failed" and "CoA-NAK (Error-Cause 405)" in job.last_error
    nak = CoARequest.objects.get()
    assert (nak.operation, nak.origin, nak.outcome, nak.answer, nak.error_cause) == (
        "suspend",
        "provisioning",
        "nak",
        45,
        405,
    )
    assert ["Error-Cause", "Unsupported-Service"] in nak.reply_attributes


def test_subnet_change_disconnects_and_a_gone_session_counts_as_done(
    account, online, pools, django_capture_on_commit_callbacks
):
    with coa_server("--nak-on", "User-Name", "--error-cause", "503") as bng:
        online(bng.port, "generic")
        with django_capture_on_commit_callbacks(execute=True):
            add_subnet(account, pools["v4"], "198.51.100.9/32")
        (block,) = bng.wait_for(1)
    assert block.startswith("Disconnect-Request")
    assert attributes(block) == identification(account)
    assert block.endswith("-> Disconnect-NAK Error-Cause=503")
    assert CoARequest.objects.get().outcome == "gone"
    assert not ProvisioningJob.objects.exclude(state="done").exists()


def test_offer_change_switches_the_service(account, online, django_capture_on_commit_callbacks):
    faster = Offer.objects.create(name="Fibre 1G", reference="BNG1G", configuration_type="coa.RadiusAccount")
    RadiusGroup.objects.create(name="fibre-1000", offer=faster)
    with coa_server() as bng:
        online(bng.port, "cisco")
        subscription = account.offersubscription
        subscription.offer = faster
        with django_capture_on_commit_callbacks(execute=True):
            subscription.save()
        (block,) = bng.wait_for(1)
    assert attributes(block)[-2:] == [
        '    Cisco-AVPair = "subscriber:sd=fibre-100"',
        '    Cisco-AVPair = "subscriber:sa=fibre-1000"',
    ]
    from coa.models import RadUserGroup

    assert list(RadUserGroup.objects.values_list("groupname", flat=True)) == ["fibre-1000"]


def test_mikrotik_suspension_sends_the_suspended_groups_rate(account, online, settings):
    group = RadiusGroup.objects.create(name="coin-suspended")
    RadiusGroupAttribute.objects.create(group=group, attribute="Mikrotik-Rate-Limit", value="64k/64k")
    RadiusGroupAttribute.objects.create(group=group, attribute="Filter-Id", value="captive")  # not Mikrotik-*
    with coa_server() as bng:
        online(bng.port, "mikrotik")
        account.provision("suspend")
        account.provision("resume")
        run_due_jobs()
        blocks = bng.wait_for(2)
    assert attributes(blocks[0])[-1:] == ['    Mikrotik-Rate-Limit = "64k/64k"']
    assert attributes(blocks[1])[-1:] == ['    Mikrotik-Rate-Limit = "100M/100M"']


def test_no_open_session_no_packet(account, online, django_capture_on_commit_callbacks):
    with coa_server() as bng:
        session = online(bng.port, "juniper")
        RadAcct.objects.filter(pk=session.pk).update(acctstoptime=timezone.now())
        with django_capture_on_commit_callbacks(execute=True):
            account.provision("suspend")
        job = ProvisioningJob.objects.filter(provisioner="coa.session_changes.CoAProvisioner").get()
        assert job.state == "done"
    assert bng.blocks() == [] and not CoARequest.objects.exists()


def test_deleting_the_subscription_disconnects_its_session_after_the_rows_and_when_the_bng_is_back(
    account, online, django_capture_on_commit_callbacks
):
    from coa.models import RadCheck

    port = free_port()
    online(port, "cisco")  # nothing listens there yet: the BNG is down
    login, pk = account.login, account.pk
    assert RadCheck.objects.filter(username=login).exists()
    with django_capture_on_commit_callbacks(execute=True):
        account.offersubscription.delete()  # cascades to the account
    jobs = ProvisioningJob.objects.filter(subject=f"configuration:{pk}", action="delete").order_by("id")
    assert [(job.provisioner, job.state) for job in jobs] == [
        ("coa.provisioning.RadiusProvisioner", "done"),  # the rows first: no way back in
        ("coa.session_changes.CoAProvisioner", "failed"),
    ]
    assert not RadCheck.objects.filter(username=login).exists()
    (down,) = CoARequest.objects.all()
    assert (down.operation, down.outcome, down.account, down.username) == ("delete", "timeout", None, login)
    with coa_server(port=port) as bng:
        ProvisioningJob.objects.update(next_attempt_at=timezone.now())
        run_due_jobs()
        (block,) = bng.wait_for(1)
    assert block.startswith("Disconnect-Request") and block.endswith("-> Disconnect-ACK")
    assert attributes(block) == [
        f'    User-Name = "{login}"',
        '    Acct-Session-Id = "0000A1B2"',
        '    Framed-IP-Address = "198.51.100.7"',
        '    NAS-IP-Address = "127.0.0.1"',
    ]
    assert not ProvisioningJob.objects.exclude(state="done").exists()
    assert list(CoARequest.objects.order_by("id").values_list("outcome", flat=True)) == ["timeout", "ack"]


def test_deleting_an_account_offline_sends_nothing(account, online, django_capture_on_commit_callbacks):
    with coa_server() as bng:
        session = online(bng.port, "juniper")
        RadAcct.objects.filter(pk=session.pk).update(acctstoptime=timezone.now())
        with django_capture_on_commit_callbacks(execute=True):
            account.delete()
        assert not ProvisioningJob.objects.exclude(state="done").exists()
    assert bng.blocks() == [] and not CoARequest.objects.exists()
