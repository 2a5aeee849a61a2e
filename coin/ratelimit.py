"""Rate limits on the portal's forms that send email or reach the admins (password
reset, subscription requests), counted in Django's default cache.

A limit is ``"count/period"`` in the ``RATE_LIMITS`` setting, per scope; each scope
is counted per key (an address, an email, a member) in fixed windows of the period.
A request over the limit gets the ``ratelimited.html`` page with HTTP 429 and a
Retry-After header, never a silent drop.

The cache must be shared by every process that serves requests: the default
local-memory cache counts per process (see RATE_LIMITS in settings_base).
"""

import functools
import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from coin.middleware import client_ip

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    """At most ``count`` hits per ``seconds``."""

    count: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """``"5/h"`` → Rate(5, 3600); also ``"10/15m"`` (10 per 15 minutes)."""
    try:
        count, period = text.strip().split("/")
        unit = period[-1]
        multiplier = int(period[:-1] or 1)
        rate = Rate(int(count), multiplier * PERIODS[unit])
    except (ValueError, KeyError, IndexError) as error:
        raise ImproperlyConfigured(
            f"Bad rate {text!r}: write 'count/period', the period in s, m, h or d (e.g. '5/h')."
        ) from error
    if rate.count < 1 or rate.seconds < 1:
        raise ImproperlyConfigured(f"Bad rate {text!r}: the count and the period must be positive.")
    return rate


def scope_rate(scope: str) -> Rate:
    """The configured rate of a scope (RATE_LIMITS)."""
    try:
        return parse_rate(settings.RATE_LIMITS[scope])
    except KeyError as error:
        raise ImproperlyConfigured(f"RATE_LIMITS has no rate for {scope!r}.") from error


def hit(scope: str, key: str, rate: Rate, now: float | None = None) -> int:
    """Count one hit of ``key`` in ``scope``; return how many seconds to wait when it is
    over the limit, 0 when it is allowed."""
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"coin:ratelimit:{scope}:{digest}:{window}"
    if cache.add(cache_key, 1, timeout=rate.seconds):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add() and incr()
            cache.add(cache_key, 1, timeout=rate.seconds)
            count = 1
    if count <= rate.count:
        return 0
    return max(1, int((window + 1) * rate.seconds - now))


def ratelimited_response(request: HttpRequest, retry_after: int) -> HttpResponse:
    minutes = max(1, (retry_after + 59) // 60)
    response = render(request, "ratelimited.html", {"retry_minutes": minutes}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def ratelimit(
    limits: Iterable[tuple[str, Callable[[HttpRequest], str | None]]], methods: Iterable[str] = ("POST",)
) -> Callable:
    """Decorate a view: each (scope, key function) pair counts a hit per request of
    ``methods`` under the key the function returns (None or "": not counted); a
    request over any of the limits gets the 429 page instead of the view."""
    limits = list(limits)
    methods = {method.upper() for method in methods}

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in methods:
                waits = [
                    hit(scope, key, scope_rate(scope))
                    for scope, key_function in limits
                    if (key := key_function(request))
                ]
                if any(waits):
                    return ratelimited_response(request, max(waits))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def by_address(request: HttpRequest) -> str:
    return client_ip(request)


def by_posted_email(request: HttpRequest) -> str:
    return request.POST.get("email", "").strip().lower()


def by_member(request: HttpRequest) -> str | None:
    return str(request.user.pk) if request.user.is_authenticated else None
