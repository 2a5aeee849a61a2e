"""Issue 14, point 7: each member says which language Coin writes to them in (set on
sign-up from the browser's language, changed in the profile), and every email Coin
sends a member is written in it, whatever the language of the request or the site."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from coin.members.models import Member

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-enough-passphrase-42"
SIGNUP = {
    "type": "natural_person",
    "first_name": "Sacha",
    "last_name": "Petit",
    "email": "sacha@example.org",
    "address": "1 place de la Mairie",
    "postal_code": "21000",
    "city": "Dijon",
    "country": "France",
    "username": "",
    "password1": NEW_PASSWORD,
    "password2": NEW_PASSWORD,
}

# The subject of each email, in English and in French (the compiled catalogue).
SUBJECTS = {
    "welcome": ("Welcome to ARLP", "Bienvenue chez ARLP"),
    "signup": ("Confirm your sign-up to ARLP", "Confirmez votre inscription à ARLP"),
    "invoice": ("ARLP: invoice ", "ARLP : facture "),
    "reminder": ("ARLP: reminder, invoice ", "ARLP : relance, la facture "),
    "fee": ("Your membership of ARLP ends soon", "Votre adhésion à ARLP se termine bientôt"),
    "suspended": (
        "ARLP: your service is suspended for unpaid invoices",
        "ARLP : votre service est suspendu pour factures impayées",
    ),
    "resumed": ("ARLP: your service is back", "ARLP : votre service est rétabli"),
    "refused": ("Your request for VPN", "Votre demande pour VPN"),
    "resigned": ("Termination of your subscription", "Résiliation de votre abonnement"),
}


@pytest.fixture
def registration(settings, isp):
    settings.MEMBER_SELF_REGISTRATION = True
    settings.LANGUAGE_CODE = "fr"
    return settings


@pytest.mark.parametrize("browser, expected", [("en-GB,en;q=0.9", "en"), ("fr-FR,fr;q=0.9", "fr")])
def test_sign_up_takes_the_browsers_language_and_writes_in_it(client, registration, browser, expected):
    page = client.get(reverse("members:signup"), HTTP_ACCEPT_LANGUAGE=browser)
    assert page.context["form"]["language"].value() == expected
    assert 'name="language"' in page.content.decode()
    response = client.post(reverse("members:signup"), SIGNUP, HTTP_ACCEPT_LANGUAGE=browser)
    assert response.status_code == 302
    assert Member.objects.get(email="sacha@example.org").language == expected
    confirmation = next(message for message in mail.outbox if message.to == ["sacha@example.org"])
    english, french = SUBJECTS["signup"]
    assert confirmation.subject == (english if expected == "en" else french)


def test_sign_up_keeps_the_language_chosen_over_the_browsers(client, registration):
    response = client.post(reverse("members:signup"), {**SIGNUP, "language": "en"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 302
    assert Member.objects.get(email="sacha@example.org").language == "en"
    response = client.post(
        reverse("members:signup"),
        {**SIGNUP, "email": "x@example.org", "language": "tlh"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 200 and "language" in response.context["form"].errors


def test_the_profile_changes_the_language(member_client, member, settings):
    settings.MEMBER_CAN_EDIT_PROFILE = True
    settings.LANGUAGE_CODE = "fr"
    assert member.language == ""
    form = member_client.get(reverse("members:edit")).context["form"]
    assert form["language"].value() == "fr"  # the site's default, shown as a choice
    assert [code for code, _name in form.fields["language"].choices] == ["fr", "en"]
    data = {"email": member.email, "language": "en", "country": "France"}
    response = member_client.post(reverse("members:edit"), data, follow=True)
    member.refresh_from_db()
    assert member.language == "en"
    # The portal answers in it from then on, even to a browser asking for French.
    assert member_client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Your information was saved." in response.content.decode()
    page = member_client.get(reverse("members:detail"), HTTP_ACCEPT_LANGUAGE="fr")
    assert page.headers["Content-Language"] == "en"


@pytest.mark.parametrize("chosen, expected", [("en", "en"), ("fr", "fr"), ("", "en")])
def test_logging_in_switches_the_portal_to_the_members_language(client, member_factory, chosen, expected):
    member_factory(username="sacha", language=chosen)
    response = client.post(
        reverse("login"),
        {"username": "sacha", "password": "correct horse battery"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    page = client.get(reverse("members:detail"), HTTP_ACCEPT_LANGUAGE="en")  # ("fr": the choice wins)
    assert page.headers["Content-Language"] == expected


@pytest.fixture
def member_in(member_factory, isp, settings):
    """A member who chose ``language``, on a French site, while the request speaks the
    other language (what the emails must not follow)."""
    settings.LANGUAGE_CODE = "fr"

    def make(language: str) -> Member:
        return member_factory(username=f"sacha-{language}", language=language)

    return make


def sent_subjects(outbox) -> list[str]:
    return [message.subject for message in outbox]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_email_to_a_member_is_in_their_language(
    member_in, language, private_root, django_capture_on_commit_callbacks
):
    from coin.billing import emails as billing_emails
    from coin.billing.invoices import Line, issue_invoice
    from coin.members.emails import build_fee_reminder, send_signup_confirmation
    from coin.members.tasks import send_welcome_email
    from coin.offers.models import Offer
    from coin.offers.subscriptions import refuse_request, request_subscription, resign, subscribe

    member = member_in(language)
    other = "fr" if language == "en" else "en"
    offer = Offer.objects.create(
        name="VPN", reference="VPN", billing_period=1, period_fees=Decimal("10"), requestable=True
    )
    with translation.override(other), django_capture_on_commit_callbacks(execute=True):
        send_welcome_email.func(member.pk)
        send_signup_confirmation(member, "https://coin.isp.example/confirm/")
        invoice = issue_invoice(member, [Line("VPN", Decimal("10.00"))], datetime.date(2025, 1, 10))
        assert billing_emails.send_new_invoice_email(invoice)
        billing_emails.invoice_reminder_email(invoice, Decimal("10.00"), 15).send()
        build_fee_reminder(member, datetime.date(2025, 2, 1), -1).send()
        refuse_request(request_subscription(member, offer), by=None, answer="")
        subscription = subscribe(member, offer, subscription_date=datetime.date(2025, 1, 1))
        billing_emails.send_service_suspended_on_commit(member, [invoice], [subscription])
        billing_emails.send_service_resumed_on_commit(member, [subscription])
        resign(subscription, datetime.date(2030, 1, 1), by_member=False)
    to_member = [message for message in mail.outbox if message.to == [member.email]]
    subjects = sent_subjects(to_member)
    index = 0 if language == "en" else 1
    for kind, texts in SUBJECTS.items():
        assert any(subject.startswith(texts[index]) for subject in subjects), (kind, subjects)
        assert not any(subject.startswith(texts[1 - index]) for subject in subjects), (kind, subjects)
    # Nothing else reached the member in another language (issuing the invoice emailed
    # it too, through the worker).
    for subject in subjects:
        assert any(subject.startswith(texts[index]) for texts in SUBJECTS.values()), subject


def test_a_member_without_a_choice_gets_the_sites_language(member_factory, isp, settings):
    from coin.members.emails import build_fee_reminder

    settings.LANGUAGE_CODE = "fr"
    member = member_factory(username="sans-choix")
    assert member.preferred_language == "fr"
    with translation.override("en"):
        message = build_fee_reminder(member, datetime.date(2025, 2, 1), -1)
    assert message.subject == SUBJECTS["fee"][1]


@pytest.mark.parametrize(
    "language, subject", [("en", "Your password on "), ("fr", "Votre mot de passe sur ")]
)
def test_the_password_reset_email_is_in_the_members_language(
    client, member_factory, settings, language, subject
):
    settings.LANGUAGE_CODE = "fr"
    member = member_factory(username="oubli", email="oubli@example.org", language=language)
    other = "fr" if language == "en" else "en"
    response = client.post(reverse("password_reset"), {"email": member.email}, HTTP_ACCEPT_LANGUAGE=other)
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.subject.startswith(subject), message.subject
