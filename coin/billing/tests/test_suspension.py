"""Suspension of service for unpaid invoices, and resumption on payment.

Two configuration apps: the sample third-party ``coin_fiber`` (its provisioner pushes
to an HTTP inventory, whose jobs are checked) and ``simple_dsl`` (no provisioner: the
suspension is still recorded).
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction

from coin.billing import suspension
from coin.billing.models import Invoice, ServiceSuspension
from coin.billing.tests.documents_support import line, make_invoice
from coin.offers.models import Offer, OfferSubscription
from coin.offers.subscriptions import subscribe
from coin.provisioning.models import ProvisioningJob

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

DUE = datetime.date(2026, 2, 1)
DAY = datetime.timedelta(days=1)
GRACE = 30
SUSPEND_DAY = DUE + GRACE * DAY


@pytest.fixture(autouse=True)
def grace(settings):
    settings.SUSPEND_SERVICE_AFTER_DAYS = GRACE


@pytest.fixture
def fiber(member, inventory, django_capture_on_commit_callbacks):
    inventory.up()
    offer = Offer.objects.create(
        name="Fibre", reference="FTTH", configuration_type="coin_fiber.FiberLine", period_fees="30.00"
    )
    with django_capture_on_commit_callbacks(execute=True):
        return subscribe(member=member, offer=offer, subscription_date=datetime.date(2025, 6, 1))


@pytest.fixture
def dsl(member):
    offer = Offer.objects.create(
        name="ADSL", reference="DSL", configuration_type="simple_dsl.SimpleDSL", period_fees="25.00"
    )
    return subscribe(member=member, offer=offer, subscription_date=datetime.date(2025, 6, 1))


@pytest.fixture
def unpaid(member, full_isp):
    return make_invoice(member, [line("Fibre", "30.00")], day=datetime.date(2026, 1, 2), due=DUE)


def run(day: datetime.date, *args: str, capture=None) -> str:
    out = io.StringIO()
    if capture is None:
        call_command("suspend_unpaid_services", f"--date={day.isoformat()}", *args, stdout=out)
    else:
        with capture(execute=True):
            call_command("suspend_unpaid_services", f"--date={day.isoformat()}", *args, stdout=out)
    return out.getvalue()


def jobs(subscription, action: str) -> list[ProvisioningJob]:
    return list(ProvisioningJob.objects.filter(configuration=subscription.configuration, action=action))


def open_suspensions(subscription) -> int:
    return ServiceSuspension.objects.filter(offersubscription=subscription, resumed_at__isnull=True).count()


# --- Suspending ---------------------------------------------------------------------------


def test_off_by_default(settings, unpaid, dsl):
    settings.SUSPEND_SERVICE_AFTER_DAYS = None
    assert "Suspension is off" in run(SUSPEND_DAY + 100 * DAY)
    assert not ServiceSuspension.objects.exists()


def test_suspends_after_the_grace_period_with_a_provisioning_job(
    fiber, unpaid, member, inventory, django_capture_on_commit_callbacks
):
    run(SUSPEND_DAY - DAY, capture=django_capture_on_commit_callbacks)
    assert open_suspensions(fiber) == 0
    assert jobs(fiber, "suspend") == []

    output = run(SUSPEND_DAY, capture=django_capture_on_commit_callbacks)
    assert "1 subscription(s) of 1 member(s) suspended" in output
    suspended = ServiceSuspension.objects.get(offersubscription=fiber)
    assert suspended.invoice == unpaid and suspended.resumed_at is None
    (job,) = jobs(fiber, "suspend")
    # Recorded with the suspension, then pushed by the worker to the far end.
    assert job.state == ProvisioningJob.State.DONE
    assert [method for method, _line, _body in inventory.requests] == ["PUT", "PUT"]  # creation, suspension
    (message,) = mail.outbox
    assert message.to == [member.email]
    assert "suspended" in message.subject
    body = " ".join(message.body.split())
    assert unpaid.number in body and "30.00 €" in body
    assert fiber.reference in body
    assert "FR7630006000011234567890189" in body
    assert suspension.is_suspended(fiber)


def test_suspending_twice_does_nothing(fiber, unpaid, django_capture_on_commit_callbacks):
    run(SUSPEND_DAY, capture=django_capture_on_commit_callbacks)
    output = run(SUSPEND_DAY + DAY, capture=django_capture_on_commit_callbacks)
    assert "0 subscription(s) of 0 member(s) suspended" in output
    assert ServiceSuspension.objects.count() == 1
    assert len(jobs(fiber, "suspend")) == 1
    assert len(mail.outbox) == 1


def test_a_configuration_without_provisioner_is_still_suspended(dsl, unpaid):
    run(SUSPEND_DAY)
    assert open_suspensions(dsl) == 1
    assert not ProvisioningJob.objects.exists()  # simple_dsl has no backend


def test_the_database_refuses_a_second_open_suspension(dsl, unpaid):
    ServiceSuspension.objects.create(offersubscription=dsl, invoice=unpaid)
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceSuspension.objects.create(offersubscription=dsl, invoice=unpaid)
    # A run that lost the race skips that subscription instead of failing.
    due = suspension.DueSuspension(dsl.member, [unpaid], [dsl])
    assert suspension.suspend(due) == []


def test_what_is_not_suspended(member, other_member, full_isp, dsl, fiber):
    offer = Offer.objects.create(name="Gratuit", reference="FREE", non_billable=True)
    free = subscribe(member=member, offer=offer, subscription_date=datetime.date(2025, 6, 1))
    fiber.resign_date = SUSPEND_DAY  # ended: nothing to suspend
    fiber.save()
    make_invoice(member, [line("ADSL", "25.00")], day=datetime.date(2026, 1, 2), due=DUE)
    # Another member whose invoice is overdue, but not long enough.
    make_invoice(other_member, [line("ADSL", "25.00")], day=datetime.date(2026, 1, 20), due=DUE + 10 * DAY)
    run(SUSPEND_DAY)
    assert set(ServiceSuspension.objects.values_list("offersubscription", flat=True)) == {dsl.pk}
    assert open_suspensions(free) == 0


def test_paid_or_disputed_invoices_suspend_nothing(dsl, unpaid):
    Invoice.objects.filter(pk=unpaid.pk).update(status=Invoice.Status.DISPUTED)
    run(SUSPEND_DAY + 5 * DAY)
    assert not ServiceSuspension.objects.exists()


def test_dry_run_changes_nothing(fiber, dsl, unpaid):
    before = ProvisioningJob.objects.count()
    output = run(SUSPEND_DAY, "--dry-run")
    assert "would suspend: camille" in output and unpaid.number in output
    assert "would suspend 2 subscription(s) of 1 member(s)" in output
    assert not ServiceSuspension.objects.exists()
    assert ProvisioningJob.objects.count() == before
    assert mail.outbox == []


# --- Resuming -----------------------------------------------------------------------------


def test_payment_resumes_the_service(fiber, unpaid, member, django_capture_on_commit_callbacks):
    from coin.billing.payments import record_payment

    run(SUSPEND_DAY, capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        record_payment(member, Decimal("30.00"), date=SUSPEND_DAY + DAY)
    suspended = ServiceSuspension.objects.get(offersubscription=fiber)
    assert suspended.resumed_at is not None
    (job,) = jobs(fiber, "resume")
    assert job.state == ProvisioningJob.State.DONE
    assert mail.outbox[-1].to == [member.email]
    assert "back" in mail.outbox[-1].subject
    assert fiber.reference in mail.outbox[-1].body
    assert not suspension.is_suspended(fiber)


def test_a_partial_payment_keeps_the_service_suspended(dsl, unpaid, member):
    from coin.billing.payments import record_payment

    run(SUSPEND_DAY)
    record_payment(member, Decimal("10.00"), date=SUSPEND_DAY + DAY)
    assert open_suspensions(dsl) == 1


def test_every_overdue_invoice_must_be_paid(dsl, unpaid, member, full_isp):
    older = make_invoice(member, [line("ADSL", "25.00")], day=datetime.date(2025, 12, 2), due=DUE - 31 * DAY)
    run(SUSPEND_DAY)
    assert ServiceSuspension.objects.get().invoice == older  # the oldest overdue one
    suspension.resume_if_paid(member)
    assert open_suspensions(dsl) == 1
    for invoice in (older, unpaid):
        Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.CLOSED)
    assert len(suspension.resume_if_paid(member)) == 1
    assert open_suspensions(dsl) == 0


def test_a_recent_invoice_does_not_keep_the_service_suspended(dsl, unpaid, member):
    run(SUSPEND_DAY)
    # Due yesterday: unpaid, but within the grace period.
    make_invoice(member, [line("ADSL", "25.00")], day=SUSPEND_DAY - 31 * DAY, due=SUSPEND_DAY - DAY)
    Invoice.objects.filter(pk=unpaid.pk).update(status=Invoice.Status.CLOSED)
    assert len(suspension.resume_if_paid(member, today=SUSPEND_DAY)) == 1


def test_the_daily_run_resumes_members_who_no_longer_owe(dsl, unpaid, member):
    run(SUSPEND_DAY)
    Invoice.objects.filter(pk=unpaid.pk).update(status=Invoice.Status.CLOSED)  # settled by hand
    assert "would resume: camille" in run(SUSPEND_DAY + DAY, "--dry-run")
    assert open_suspensions(dsl) == 1
    output = run(SUSPEND_DAY + DAY)
    assert "1 subscription(s) of 1 member(s) resumed" in output
    assert open_suspensions(dsl) == 0


def test_a_resigned_subscription_is_closed_without_resuming_it(fiber, unpaid, member):
    run(SUSPEND_DAY)
    OfferSubscription.objects.filter(pk=fiber.pk).update(resign_date=SUSPEND_DAY + DAY)
    Invoice.objects.filter(pk=unpaid.pk).update(status=Invoice.Status.CLOSED)
    suspension.resume_if_paid(member, today=SUSPEND_DAY + 2 * DAY)
    assert open_suspensions(fiber) == 0
    assert jobs(fiber, "resume") == []


def test_resume_if_paid_without_suspension_or_member(member):
    assert suspension.resume_if_paid(member) == []
    assert suspension.resume_if_paid(None) == []


def test_suspended_again_when_a_later_invoice_goes_unpaid(dsl, unpaid, member, full_isp):
    run(SUSPEND_DAY)
    Invoice.objects.filter(pk=unpaid.pk).update(status=Invoice.Status.CLOSED)
    suspension.resume_if_paid(member, today=SUSPEND_DAY + DAY)
    later = make_invoice(member, [line("ADSL", "25.00")], day=datetime.date(2026, 3, 2), due=DUE + 40 * DAY)
    run(DUE + 70 * DAY)
    rows = [(row.invoice_id, row.resumed_at is None) for row in ServiceSuspension.objects.order_by("pk")]
    assert rows == [(unpaid.pk, False), (later.pk, True)]
