"""How coin.settings and coin.settings_test assemble the final settings.

Both start from coin.settings_base, add their own overrides, then call
``finalize(globals())`` so that environment variables and the EXTRA_* settings are
applied the same way everywhere.
"""

import os
from collections.abc import Mapping
from typing import Any

import dj_database_url

TRUE_WORDS = {"1", "true", "yes", "on"}


def _env_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def apply_environment(settings: dict[str, Any], environ: Mapping[str, str] | None = None) -> None:
    """Let ``COIN_*`` environment variables override file settings (containers, CI)."""
    if environ is None:
        environ = os.environ
    if url := environ.get("COIN_DATABASE_URL"):
        settings["DATABASES"] = {"default": dj_database_url.parse(url, conn_max_age=60)}
    if key := environ.get("COIN_SECRET_KEY"):
        settings["SECRET_KEY"] = key
    if "COIN_DEBUG" in environ:
        settings["DEBUG"] = environ["COIN_DEBUG"].strip().lower() in TRUE_WORDS
    if hosts := environ.get("COIN_ALLOWED_HOSTS"):
        settings["ALLOWED_HOSTS"] = _env_list(hosts)
    if origins := environ.get("COIN_CSRF_TRUSTED_ORIGINS"):
        settings["CSRF_TRUSTED_ORIGINS"] = _env_list(origins)
    if site_url := environ.get("COIN_SITE_URL"):
        settings["SITE_URL"] = site_url
    if sender := environ.get("COIN_DEFAULT_FROM_EMAIL"):
        settings["DEFAULT_FROM_EMAIL"] = sender
    if backend := environ.get("COIN_EMAIL_BACKEND"):
        settings["EMAIL_BACKEND"] = backend
    if extra_apps := environ.get("COIN_EXTRA_INSTALLED_APPS"):
        settings["EXTRA_INSTALLED_APPS"] = [*settings.get("EXTRA_INSTALLED_APPS", []), *_env_list(extra_apps)]


def apply_extras(settings: dict[str, Any]) -> None:
    """Enable EXTRA_INSTALLED_APPS (after the built-in apps) and put
    EXTRA_TEMPLATE_DIRS in front of Coin's templates so that they override them."""
    apps = list(settings["INSTALLED_APPS"])
    for app in settings.get("EXTRA_INSTALLED_APPS", []):
        if app not in apps:
            apps.append(app)
    settings["INSTALLED_APPS"] = apps
    extra_dirs = [str(d) for d in settings.get("EXTRA_TEMPLATE_DIRS", [])]
    template_settings = settings["TEMPLATES"][0]
    template_settings["DIRS"] = extra_dirs + [
        d for d in template_settings["DIRS"] if str(d) not in extra_dirs
    ]


def finalize(settings: dict[str, Any]) -> None:
    apply_environment(settings)
    apply_extras(settings)
