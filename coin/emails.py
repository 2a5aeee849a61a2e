"""Emails from overridable templates, branded with the ISP's identity.

Each email is three templates under ``emails/``: ``<name>.subject.txt``,
``<name>.txt`` and, optionally, ``<name>.html``. Put files with the same names in
an EXTRA_TEMPLATE_DIRS folder to change them.
"""

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

from coin.isp_database.models import ISPInfo

logger = logging.getLogger(__name__)


def sender_address(administrative: bool) -> str:
    """``administrative_email`` of the ISP, when set, sends administrative emails
    (welcome, fees, invoices); DEFAULT_FROM_EMAIL sends everything else."""
    if administrative:
        isp = ISPInfo.objects.first()
        if isp and isp.administrative_email:
            name = isp.shortname or isp.name
            return f"{name} <{isp.administrative_email}>"
    return settings.DEFAULT_FROM_EMAIL


def email_context(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "isp": ISPInfo.objects.select_related("bank_info").first(),
        "site_url": settings.SITE_URL.rstrip("/"),
        "membership_info_url": settings.MEMBER_MEMBERSHIP_INFO_URL,
        **extra,
    }


def build_email(
    template: str,
    context: dict[str, Any],
    to: Iterable[str],
    *,
    bcc: Iterable[str] = (),
    administrative: bool = True,
    language: str | None = None,
) -> EmailMultiAlternatives:
    with translation.override(language or settings.LANGUAGE_CODE):
        context = email_context(context)
        subject = render_to_string(f"emails/{template}.subject.txt", context)
        body = render_to_string(f"emails/{template}.txt", context)
        try:
            html = render_to_string(f"emails/{template}.html", context)
        except TemplateDoesNotExist:
            html = None
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=body,
        from_email=sender_address(administrative),
        to=list(to),
        bcc=list(bcc),
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message


def send_email(template: str, context: dict[str, Any], to: Iterable[str], **options: Any) -> None:
    build_email(template, context, to, **options).send()


def notify_admins(template: str, context: dict[str, Any]) -> None:
    """Tell NOTIFICATION_EMAILS about an event (sign-up, resignation…)."""
    if settings.NOTIFICATION_EMAILS:
        send_email(template, context, settings.NOTIFICATION_EMAILS, administrative=False)


def send_email_on_commit(template: str, context: dict[str, Any], to: Iterable[str], **options: Any) -> None:
    """Send once the current transaction commits. A mail server that is down is
    logged, never turned into an error for the person whose change was saved."""
    recipients = [address for address in to if address]

    def send() -> None:
        try:
            send_email(template, context, recipients, **options)
        except Exception:
            logger.exception("Could not send the %s email to %s", template, recipients)

    if recipients:
        transaction.on_commit(send)


def notify_admins_on_commit(template: str, context: dict[str, Any]) -> None:
    send_email_on_commit(template, context, settings.NOTIFICATION_EMAILS, administrative=False)
