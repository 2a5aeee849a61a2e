"""Inlines that one app adds to another app's admin page, without that app knowing
it (a member's LDAP entry on the member's page, an offer's pools on the offer's)."""

from typing import Any

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.db.models import Model


def add_inline(
    model: type[Model], inline: type[admin.options.InlineModelAdmin[Any, Any]], site: admin.AdminSite
) -> None:
    """Re-register ``model``'s admin as a subclass with one more inline, whatever admin
    class is registered (nothing when the model has no admin or already has it)."""
    try:
        model_admin = site.get_model_admin(model)
    except NotRegistered:
        return
    base = type(model_admin)
    if inline in base.inlines:
        return
    extended = type(
        base.__name__, (base,), {"inlines": [*base.inlines, inline], "__module__": base.__module__}
    )
    site.unregister(model)
    site.register(model, extended)
