"""Who is on the members' mailing lists."""

from collections.abc import Iterator

from coin.members.models import Member


def member_emails() -> Iterator[str]:
    """Emails of members (the ``status`` field decides, not the fees), sorted and
    without duplicates or blanks."""
    emails = Member.objects.members().exclude(email="").values_list("email", flat=True)
    # An address made of spaces only is blank too: strip before dropping blanks.
    yield from sorted({email.strip().lower() for email in emails} - {""})
