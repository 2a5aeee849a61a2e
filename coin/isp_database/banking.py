"""Bank details: IBAN and BIC checks (python-stdnum: ISO 13616 with each country's
length and format, ISO 9362), and the one way Coin prints an IBAN."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.eu import at_02
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError


def compact_iban(iban: str) -> str:
    """Without spaces, upper case: how an IBAN is stored."""
    return "".join(iban.split()).upper()


def _iban_reason(error: StdnumError) -> str:
    if isinstance(error, InvalidChecksum):
        return _("This IBAN is not valid (check its digits).")
    if isinstance(error, InvalidComponent):
        return _("This IBAN has an unknown country code.")
    return _("This IBAN does not have the length and format of its country's IBANs.")


def _bic_reason(error: StdnumError) -> str:
    if isinstance(error, InvalidLength):
        return _("A BIC has 8 or 11 characters.")
    if isinstance(error, InvalidComponent):
        return _("This BIC has an unknown country code.")
    return _("A BIC is 4 letters (bank), 2 letters (country), then letters or digits.")


def check_iban(iban: str) -> str:
    """The IBAN compacted, or a ValidationError saying why it is refused: the wrong
    length or format for its country, or wrong check digits."""
    try:
        return str(stdnum_iban.validate(compact_iban(iban)))
    except StdnumError as error:
        raise ValidationError(_iban_reason(error)) from None


def check_bic(bic: str) -> str:
    """The BIC compacted (8 or 11 characters), or a ValidationError saying why not."""
    try:
        return str(stdnum_bic.validate(bic))
    except StdnumError as error:
        raise ValidationError(_bic_reason(error)) from None


def check_creditor_identifier(identifier: str) -> str:
    """A SEPA creditor identifier (ICS in France, AT-02 in the rulebook) compacted, or a
    ValidationError: its country, check digits and national part are checked."""
    try:
        return str(at_02.validate(identifier))
    except StdnumError as error:
        if isinstance(error, InvalidChecksum):
            raise ValidationError(_("This creditor identifier is not valid (check its digits).")) from None
        raise ValidationError(
            _(
                "A SEPA creditor identifier is a country code, two check digits, three letters "
                "and the national id."
            )
        ) from None


def iban_is_valid(iban: str) -> bool:
    try:
        check_iban(iban)
    except ValidationError:
        return False
    return True


def format_iban(iban: str) -> str:
    """Groups of four, as banks print it: FR7630006000011234567890189 → FR76 3000 6000
    0112 3456 7890 189 (invoices, emails, the admin)."""
    compact = compact_iban(iban)
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
