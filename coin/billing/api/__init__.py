"""Billing over the REST API, for the treasurers' scripts and accounting exports.

Every change goes through the ledger functions (invoices.py, payments.py), as in the
admin: the API never computes an amount, a number or an allocation itself.
"""
