"""Coin's own app config and the mixins that optional apps use to plug in."""

import importlib.util

from django.apps import AppConfig
from django.utils.functional import Promise


def has_module(name: str) -> bool:
    """Whether an app provides an optional module (``<app>.demo``, ``<app>.api.views``…).
    Only a missing module answers False: one that fails to import raises."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # its parent package does not exist
        return False


class CoinConfig(AppConfig):
    name = "coin"
    verbose_name = "Coin"


class AppURLs:
    """Mixin for an app's AppConfig: mount the app's URLs automatically.

    By default ``<app label>/`` serves ``<app module>.urls`` in the namespace of the
    app label. ``exported_urlpatterns`` (a list of ``(prefix, urls module)``)
    customises that.
    """

    # Given by the AppConfig it is mixed into.
    label: str
    name: str

    exported_urlpatterns: list[tuple[str, str]] | None = None

    def get_exported_urlpatterns(self) -> list[tuple[str, str]]:
        if self.exported_urlpatterns is not None:
            return list(self.exported_urlpatterns)
        return [(self.label, f"{self.name}.urls")]


class PortalMenu:
    """Mixin for an app's AppConfig: add entries to the member portal menu.

    ``portal_menu`` lists ``(label, url name)`` pairs (the label usually lazily
    translated); they show only when the app is installed, in INSTALLED_APPS order.
    """

    portal_menu: list[tuple[str | Promise, str]] = []
