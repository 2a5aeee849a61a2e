import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command

from coin.offers.models import Offer, OfferSubscription, SubscriptionRequest
from coin.offers.signals import subscription_can_start, subscription_created
from coin.offers.subscriptions import (
    accept_request,
    check_subscription_can_start,
    create_subscription,
    refuse_request,
    request_subscription,
    resign,
    subscribe,
)
from simple_dsl.models import SimpleDSL

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def dsl_offer():
    return Offer.objects.create(
        name="ADSL",
        reference="DSL",
        configuration_type="simple_dsl.SimpleDSL",
        period_fees="25.00",
        requestable=True,
    )


def test_reference_follows_the_default_pattern(member, dsl_offer):
    subscription = subscribe(member=member, offer=dsl_offer)
    assert subscription.reference == f"REF-DSL-{subscription.pk}"


def test_reference_pattern_is_a_setting(member, dsl_offer, settings):
    settings.SUBSCRIPTION_REFERENCE = (
        "{subscription.member.username}/{subscription.offer.reference}/{subscription.pk:05d}"
    )
    subscription = subscribe(member=member, offer=dsl_offer)
    assert subscription.reference == f"camille/DSL/{subscription.pk:05d}"


@pytest.mark.parametrize(
    "day, running",
    [
        (D(2026, 2, 28), False),  # the day before it starts
        (D(2026, 3, 1), True),  # the subscription date runs
        (D(2026, 6, 29), True),  # the day before the resign date
        (D(2026, 6, 30), False),  # the resign date is the first day not running
    ],
)
def test_running_at_date_edges(member, dsl_offer, day, running):
    subscription = subscribe(
        member=member, offer=dsl_offer, subscription_date=D(2026, 3, 1), resign_date=D(2026, 6, 30)
    )
    assert subscription.is_running(day) is running
    assert (subscription in OfferSubscription.objects.running(day)) is running


def test_without_resign_date_it_runs_for_ever(member, dsl_offer):
    subscription = subscribe(member=member, offer=dsl_offer, subscription_date=D(2026, 3, 1))
    assert subscription in OfferSubscription.objects.running(D(2099, 1, 1))


def test_resign_date_before_subscription_date_is_refused_naming_the_field(member, dsl_offer):
    subscription = OfferSubscription(
        member=member, offer=dsl_offer, subscription_date=D(2026, 3, 1), resign_date=D(2026, 2, 1)
    )
    with pytest.raises(ValidationError) as error:
        subscription.full_clean()
    assert "resign_date" in error.value.message_dict


def test_creating_a_subscription_creates_its_configuration_of_the_offer_type(member, dsl_offer):
    subscription = subscribe(member=member, offer=dsl_offer)
    assert isinstance(OfferSubscription.objects.get(pk=subscription.pk).real_configuration, SimpleDSL)


def test_an_offer_without_configuration_type_creates_none(member):
    offer = Offer.objects.create(name="Hosting", reference="HOST")
    subscription = subscribe(member=member, offer=offer)
    assert subscription.real_configuration is None


def test_saving_a_subscription_alone_gives_it_nothing(member, dsl_offer):
    """``save()`` keeps to its own row: the configuration comes from
    create_subscription() (the subscription_created signal)."""
    subscription = OfferSubscription.objects.create(member=member, offer=dsl_offer)
    assert subscription.real_configuration is None
    with pytest.raises(ValueError):
        create_subscription(subscription)  # only for a subscription not saved yet


def test_a_refusing_receiver_undoes_the_whole_creation(member, dsl_offer):
    def refuse(sender, subscription, **kwargs):
        assert subscription.real_configuration is not None  # coin.configuration's ran first
        raise ValidationError("refused by a higher app")

    subscription_created.connect(refuse, dispatch_uid="test-refuse")
    try:
        with pytest.raises(ValidationError, match="refused by a higher app"):
            subscribe(member=member, offer=dsl_offer)
    finally:
        subscription_created.disconnect(dispatch_uid="test-refuse")
    assert not OfferSubscription.objects.exists() and not SimpleDSL.objects.exists()


def test_the_apps_above_answer_whether_a_subscription_can_start(dsl_offer):
    asked = []

    def full(sender, offer, **kwargs):
        asked.append(offer)
        raise ValidationError("no room left")

    check_subscription_can_start(dsl_offer)  # nothing refuses an offer without pools
    subscription_can_start.connect(full, dispatch_uid="test-full")
    try:
        with pytest.raises(ValidationError, match="no room left"):
            check_subscription_can_start(dsl_offer)
    finally:
        subscription_can_start.disconnect(dispatch_uid="test-full")
    assert asked == [dsl_offer]


def test_an_unknown_configuration_type_is_refused_naming_the_field():
    with pytest.raises(ValidationError) as error:
        Offer(name="X", reference="X", configuration_type="nowhere.Nothing").full_clean()
    assert "configuration_type" in error.value.message_dict


def test_changing_to_an_offer_of_another_configuration_type_is_refused(member, dsl_offer):
    subscription = subscribe(member=member, offer=dsl_offer)
    subscription.offer = Offer.objects.create(
        name="Fibre", reference="FTTH", configuration_type="coin_fiber.FiberLine"
    )
    with pytest.raises(ValidationError) as error:
        subscription.full_clean()
    assert "offer" in error.value.message_dict


def test_request_then_accept_starts_the_subscription(
    member, admin_user, dsl_offer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = request_subscription(member, dsl_offer, "Line at 3 rue Haute")
    assert mail.outbox[-1].to == ["board@isp.example"]
    assert "camille" in mail.outbox[-1].subject
    with django_capture_on_commit_callbacks(execute=True):
        subscription = accept_request(request, admin_user, subscription_date=D(2026, 4, 1))
    request.refresh_from_db()
    assert request.state == SubscriptionRequest.State.ACCEPTED and request.subscription == subscription
    assert request.handled_by == admin_user
    assert subscription.subscription_date == D(2026, 4, 1)
    assert subscription.comments == "Line at 3 rue Haute"
    assert isinstance(subscription.real_configuration, SimpleDSL)
    assert mail.outbox[-1].to == [member.email] and subscription.reference in mail.outbox[-1].body
    with pytest.raises(ValidationError):
        accept_request(request, admin_user)
    assert OfferSubscription.objects.count() == 1


def test_refused_request_creates_nothing(member, admin_user, dsl_offer, django_capture_on_commit_callbacks):
    request = request_subscription(member, dsl_offer)
    with django_capture_on_commit_callbacks(execute=True):
        refuse_request(request, admin_user, "Not available in your street yet.")
    request.refresh_from_db()
    assert request.state == SubscriptionRequest.State.REFUSED
    assert not OfferSubscription.objects.exists()
    assert "Not available in your street yet." in mail.outbox[-1].body


def test_an_offer_that_is_not_requestable_cannot_be_requested(member, dsl_offer):
    dsl_offer.requestable = False
    dsl_offer.save()
    with pytest.raises(ValidationError) as error:
        request_subscription(member, dsl_offer)
    assert "offer" in error.value.message_dict


def test_member_resigns_from_tomorrow_on(member, dsl_offer, django_capture_on_commit_callbacks):
    subscription = subscribe(member=member, offer=dsl_offer, subscription_date=D(2020, 1, 1))
    today = datetime.date.today()
    with pytest.raises(ValidationError) as error:
        resign(subscription, today, by_member=True)
    assert "resign_date" in error.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        resign(subscription, today + datetime.timedelta(days=10), by_member=True)
    subscription.refresh_from_db()
    assert subscription.resign_date == today + datetime.timedelta(days=10)
    assert {tuple(m.to) for m in mail.outbox} == {("board@isp.example",), (member.email,)}


def test_offer_subscriptions_count(member, other_member, dsl_offer):
    fiber = Offer.objects.create(name="Fibre", reference="FTTH", configuration_type="coin_fiber.FiberLine")
    subscribe(member=member, offer=dsl_offer, subscription_date=D(2026, 1, 1))
    subscribe(
        member=other_member, offer=dsl_offer, subscription_date=D(2026, 1, 1), resign_date=D(2026, 3, 1)
    )
    subscribe(member=other_member, offer=fiber, subscription_date=D(2026, 2, 15))
    out = StringIO()
    call_command("offer_subscriptions_count", "--date", "2026-02-20", stdout=out)
    assert out.getvalue().splitlines() == ["DSL\t2\tADSL", "FTTH\t1\tFibre", "TOTAL\t3\t2026-02-20"]
    out = StringIO()
    call_command("offer_subscriptions_count", "--date", "2026-03-01", stdout=out)
    assert out.getvalue().splitlines()[0] == "DSL\t1\tADSL"
