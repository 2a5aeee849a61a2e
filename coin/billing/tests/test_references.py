"""ISO 11649 creditor references: built, printed and found again in a transfer's text."""

import pytest
from stdnum import iso11649

from coin.billing.references import (
    body_of,
    creditor_reference,
    find_creditor_references,
    printed,
)


def test_reference_of_an_invoice_number_checks_and_keeps_the_number():
    reference = creditor_reference("2026-12-000123")
    assert iso11649.is_valid(reference)
    assert body_of(reference) == "202612000123"
    assert printed(reference) == "RF61 2026 1200 0123"


def test_known_reference_from_the_standard():
    assert creditor_reference("539007547034") == "RF18539007547034"


@pytest.mark.parametrize("body", ["", "-", "A" * 22])
def test_body_out_of_bounds_is_refused(body):
    with pytest.raises(ValueError, match="1 to 21"):
        creditor_reference(body)


def test_found_printed_compact_and_lowercase():
    text = "Virement RF18 5390 0754 7034 merci / rf61202612000123"
    assert find_creditor_references(text) == ["RF18539007547034", "RF61202612000123"]


def test_a_block_after_the_reference_is_not_swallowed():
    assert find_creditor_references("RF18 5390 0754 7034 ABCD") == ["RF18539007547034"]


def test_wrong_check_digits_match_nothing():
    assert find_creditor_references("RF17 5390 0754 7034") == []


def test_each_reference_once():
    assert find_creditor_references("RF18539007547034 RF18 5390 0754 7034") == ["RF18539007547034"]
