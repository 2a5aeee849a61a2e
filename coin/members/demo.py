"""Demo members: people and an organisation, up to date or late with their fee."""

import datetime
from decimal import Decimal

from django.utils import timezone

from coin.dates import add_months
from coin.members.membership import record_fee, save_member
from coin.members.models import Member, MembershipFee

DEMO_PASSWORD = "demo-member-pw"

PEOPLE = [
    ("Camille", "Martin", "", "member", 3),
    ("Dominique", "Durand", "", "member", -1),
    ("Lou", "Bernard", "", "member", 11),
    ("Sacha", "Petit", "", "pending", None),
    ("Alex", "Moreau", "", "not_member", -14),
    ("", "", "Café Associatif La Rotonde", "member", 6),
]


def load(stdout) -> None:
    today = timezone.localdate()
    for first, last, organization, status, months_left in PEOPLE:
        member = Member(
            first_name=first,
            last_name=last,
            organization_name=organization,
            type=Member.Type.LEGAL_ENTITY if organization else Member.Type.NATURAL_PERSON,
            status=Member.Status.PENDING if status == "pending" else status,
            email=f"{(first or organization.split()[-1]).lower()}@members.example",
            address="3 place du Marché",
            postal_code="69001",
            city="Lyon",
        )
        member.set_password(DEMO_PASSWORD)
        save_member(member)
        if months_left is not None:
            end = add_months(today, months_left)
            record_fee(
                MembershipFee(
                    member=member,
                    amount=Decimal("20.00"),
                    start_date=add_months(end, -12) + datetime.timedelta(days=1),
                    end_date=end,
                    payment_method=MembershipFee.PaymentMethod.TRANSFER,
                    payment_date=add_months(end, -12),
                )
            )
            if status != "member":
                Member.objects.filter(pk=member.pk).update(status=status)
    stdout.write(f"Members: {len(PEOPLE)} (password '{DEMO_PASSWORD}')")
