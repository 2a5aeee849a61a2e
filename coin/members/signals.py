"""Signals that coin.members sends for apps built on it."""

from django.dispatch import Signal

#: Sent by ``Member.set_password(raw)`` with ``member`` and ``raw_password`` (None
#: for ``set_unusable_password()``), before the member is saved. A receiver may
#: derive what it needs from the clear password (e.g. coin.members_ldap's LDAP
#: hash) but must never keep the clear password itself.
password_set = Signal()
