"""Suspension of service for unpaid bills, and resumption on payment (being written)."""


def resume_if_paid(member) -> None:
    """Called after payments were allocated to the member's invoices."""
