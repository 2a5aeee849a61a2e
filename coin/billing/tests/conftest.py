"""Fixtures of the ledger tests: offers, subscriptions, invoices.

Tests marked postgres_only check what only PostgreSQL guarantees (triggers, row locks
under real concurrency): on SQLite the root conftest.py deselects them and says so.
"""

import datetime
from decimal import Decimal

import pytest


@pytest.fixture(autouse=True)
def _private_storage(private_root):
    """Every billing test writes its PDFs into its own folder (root conftest)."""
    return private_root


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


@pytest.fixture
def offer_factory(db):
    from coin.offers.models import Offer

    counter = {"n": 0}

    def make(**fields):
        counter["n"] += 1
        defaults = {
            "name": f"Offer {counter['n']}",
            "reference": f"OFF{counter['n']}",
            "billing_period": 1,
            "period_fees": Decimal("10.00"),
            "initial_fees": Decimal("0"),
        }
        defaults.update(fields)
        return Offer.objects.create(**defaults)

    return make


@pytest.fixture
def vpn(offer_factory):
    """A monthly offer at 10 €."""
    return offer_factory(name="VPN", reference="VPN", period_fees=Decimal("10.00"))


@pytest.fixture
def subscribe(db):
    """Create a subscription without provisioning it (billing does not need a
    configuration or addresses): bulk_create skips OfferSubscription.save()."""
    from coin.offers.models import OfferSubscription

    def make(member, offer, since: str, resign: str | None = None):
        subscription = OfferSubscription(
            member=member,
            offer=offer,
            subscription_date=d(since),
            resign_date=d(resign) if resign else None,
        )
        return OfferSubscription.objects.bulk_create([subscription])[0]

    return make


@pytest.fixture
def invoice_for(db):
    """Issue (create and validate) an invoice of one line."""
    from coin.billing.invoices import Line, issue_invoice

    def make(member, amount, on: str = "2025-01-10", label: str = "Service"):
        return issue_invoice(member, [Line(label, Decimal(amount))], d(on))

    return make


@pytest.fixture
def resumed(monkeypatch):
    """Record the calls to suspension.resume_if_paid (the suspension part decides
    what to do with them)."""
    from coin.billing import suspension

    calls = []
    monkeypatch.setattr(suspension, "resume_if_paid", lambda member: calls.append(member.pk))
    return calls
