"""Coin's own middleware and the client-address rule shared by the login lockout and
the rate limits."""

from collections.abc import Callable

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or, behind REVERSE_PROXY_COUNT proxies that
    each append the address they got to X-Forwarded-For, the entry the outermost of
    them wrote (entries further left are the client's own claims, never trusted)."""
    proxies = int(getattr(settings, "REVERSE_PROXY_COUNT", 0) or 0)
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


class PrivateCacheMiddleware:
    """``Cache-Control: private, no-store`` on every response to a logged-in user
    (portal pages, admin pages, API answers, PDFs), so that no shared cache or proxy
    keeps them and the browser does not keep them on disk."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


class CoinCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, plus:

    - the images a page asked for through ``request.csp_img_sources`` (the ISP's
      logo, set by the portal's context processor when the page shows it);
    - inline styles (never scripts) under CSP_ALLOW_INLINE_STYLE_PREFIXES: the REST
      framework's browsable API styles its pages inline.
    """

    def get_policy_parts(self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False):
        parts = super().get_policy_parts(request, response, report_only)
        update = dict(parts.update or {})
        sources = getattr(request, "csp_img_sources", None)
        if sources:
            update["img-src"] = [*update.get("img-src", []), *sources]
        prefixes = tuple(getattr(settings, "CSP_ALLOW_INLINE_STYLE_PREFIXES", ()))
        if prefixes and request.path_info.startswith(prefixes):
            update["style-src"] = [*update.get("style-src", []), UNSAFE_INLINE]
        parts.update = update or parts.update
        return parts
