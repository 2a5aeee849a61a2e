from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise

from coin.apps import PortalMenu
from coin.isp_database.models import ISPInfo


def menu_entries() -> list[tuple[str | Promise, str]]:
    """(label, url) of every installed app's portal menu entries."""
    entries: list[tuple[str | Promise, str]] = []
    for config in apps.get_app_configs():
        if isinstance(config, PortalMenu):
            for label, url_name in config.portal_menu:
                try:
                    entries.append((label, reverse(url_name)))
                except NoReverseMatch:
                    continue
    return entries


def image_source(url: str) -> str | None:
    """The CSP source that allows exactly this http(s) image URL (None for anything
    else: data: images are allowed anyway, and nothing odd goes into the header)."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    source = f"{parts.scheme}://{parts.netloc}{parts.path or '/'}"
    if any(char in source for char in " ;,'\"\t\r\n"):
        return None
    return source


def portal(request) -> dict:
    """Branding and menu for every portal page (the ISP row is read lazily: pages
    that do not show it cost no query)."""
    context = {
        "INSTALLED_APPS": settings.INSTALLED_APPS,
        "self_registration": settings.MEMBER_SELF_REGISTRATION,
        "isp": _LazyISP(request),
    }
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        context["menu_entries"] = menu_entries()
    return context


class _LazyISP:
    """Stands for the ISPInfo row in templates and fetches it on first use."""

    def __init__(self, request=None) -> None:
        self._request = request
        self._loaded = False
        self._isp: ISPInfo | None = None

    def _get(self):
        if not self._loaded:
            self._isp = ISPInfo.objects.select_related("bank_info").first()
            self._loaded = True
            if self._isp is not None and self._request is not None:
                # The logo may live on the ISP's website: the page's CSP allows that
                # one image (coin.middleware.CoinCSPMiddleware).
                source = image_source(self._isp.logoURL)
                if source:
                    self._request.csp_img_sources = [source]
        return self._isp

    def __bool__(self) -> bool:
        return self._get() is not None

    def __getattr__(self, name):
        if name.startswith("_"):
            # Private and dunder names (copy, pickle, _isp before __init__) are not
            # ISP fields: looking them up on the row would recurse forever.
            raise AttributeError(name)
        isp = self._get()
        if isp is None:
            return ""
        return getattr(isp, name)

    def __str__(self) -> str:
        isp = self._get()
        return str(isp) if isp else "Coin"
