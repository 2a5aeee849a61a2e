"""Coin's own app config and the mixins that optional apps use to plug in."""

import importlib.util

from django.apps import AppConfig
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_tasks_db.apps import TasksAppConfig


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
    default = True  # this module holds other app configs too

    def ready(self) -> None:
        from coin import checks  # noqa: F401 (registers them)


class TasksDatabaseConfig(TasksAppConfig):
    """django-tasks-db (the background worker's queue), named in the admin in the
    admin's language: the package's own name is a plain string."""

    default = False
    verbose_name = _("Background tasks")  # type: ignore[assignment]  # the package types it str, Django takes a lazy one


# django-tasks-db's model names are its own gettext_lazy strings, and it ships no
# French: listed here so that makemessages puts them in Coin's catalogue.
TASKS_DB_MODEL_NAMES = (gettext_noop("Task Result"), gettext_noop("Task Results"))


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
