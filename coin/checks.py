"""Start-up checks of Coin's own settings (``manage.py check``, and every command)."""

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Warning, register

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


def site_url_is_local(site_url: str) -> bool:
    """SITE_URL points at this machine (its default, http://127.0.0.1:8000): links in
    emails would lead members nowhere."""
    host = (urlsplit(site_url).hostname or "").lower()
    return host in LOOPBACK_HOSTS or host.endswith(".localhost")


@register()
def site_url_set(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """In production (DEBUG off), say that SITE_URL was left at a local address."""
    if settings.DEBUG or not site_url_is_local(settings.SITE_URL):
        return []
    return [
        Warning(
            f"SITE_URL is {settings.SITE_URL!r}: links in the emails sent to members point at this "
            "machine, not at the portal.",
            hint="Set SITE_URL (or COIN_SITE_URL) to the portal's public address, e.g. https://coin.example.org.",
            id="coin.W001",
        )
    ]
