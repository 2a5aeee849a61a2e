"""ISO 11649 structured creditor references ("RF" references).

A creditor reference is what a payer copies into the structured-reference field of a
SEPA transfer; banks carry it unchanged into the CAMT statement, so a credit that holds
one matches its invoice (or, for a standing order, its member) exactly, without reading
the free-text label. The check digits (ISO 7064 mod 97-10, as in an IBAN) make a typo
detectable: a reference whose digits do not check matches nothing.

The body (what follows "RF" and the two check digits) is the invoice number without its
dashes for an invoice (``2026-12-000123`` → ``202612000123``), and ``M`` followed by the
member's id for a member, so the two kinds never collide.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

if TYPE_CHECKING:
    from coin.billing.models import Invoice
    from coin.members.models import Member

MEMBER_PREFIX = "M"
# "RF" and two check digits, then the body written in one piece or in blocks of four
# separated by single spaces (the last block may be shorter).
_CANDIDATE_RE = re.compile(
    r"\bRF\d{2}(?:[A-Z0-9]{5,21}|(?: ?[A-Z0-9]{4})*(?: ?[A-Z0-9]{1,4})?)\b", re.IGNORECASE
)


def creditor_reference(body: str) -> str:
    """The RF reference (compact, no spaces) for a body of 1 to 21 letters and digits."""
    body = re.sub(r"[^A-Za-z0-9]", "", body).upper()
    if not 1 <= len(body) <= 21:
        raise ValueError(f"A creditor reference body has 1 to 21 letters or digits, not {body!r}.")
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def invoice_creditor_reference(invoice: Invoice) -> str:
    """The invoice's RF reference, or "" while it is a draft (it has no number yet)."""
    return creditor_reference(invoice.number) if invoice.number else ""


def member_creditor_reference(member: Member) -> str:
    """The member's RF reference, for standing orders that pay whatever is due."""
    return creditor_reference(f"{MEMBER_PREFIX}{member.pk}")


def printed(reference: str) -> str:
    """The reference in blocks of four, as it is printed for people to copy."""
    return iso11649.format(reference) if reference else ""


def find_creditor_references(text: str) -> list[str]:
    """Every valid RF reference in a text, compact and in order of appearance.

    Candidates whose check digits fail are left out: a mistyped reference must fall
    back to the free-text matching rather than match another invoice.
    """
    found: list[str] = []
    for candidate in _CANDIDATE_RE.findall(text or ""):
        reference = _longest_valid_prefix(candidate)
        if reference and reference not in found:
            found.append(reference)
    return found


def _longest_valid_prefix(candidate: str) -> str:
    """The longest run of whole blocks of a candidate that checks, or "".

    A block that follows the reference ("RF18 5390 0754 7034 MERC") is swallowed by the
    pattern; dropping blocks from the end until the check digits agree recovers it.
    """
    blocks = candidate.split(" ")
    for end in range(len(blocks), 0, -1):
        reference = iso11649.compact("".join(blocks[:end]))
        if len(reference) > 4 and iso11649.is_valid(reference):
            return reference
    return ""


def body_of(reference: str) -> str:
    """What follows "RF" and the check digits of a valid reference."""
    return iso11649.compact(reference)[4:]
