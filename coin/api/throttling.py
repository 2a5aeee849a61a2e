"""Request rates of the API, per client address (anonymous) and per account.

DRF's throttles read their rates once, when the class is defined; these read
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` at each request, so that a changed
setting (``settings_local``, ``override_settings`` in tests) applies."""

from rest_framework import throttling
from rest_framework.settings import api_settings


class CurrentRatesMixin:
    scope: str | None

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return None if rate is None else str(rate)


class AnonRateThrottle(CurrentRatesMixin, throttling.AnonRateThrottle):
    """Requests without an account, per address (scope ``anon``)."""


class UserRateThrottle(CurrentRatesMixin, throttling.UserRateThrottle):
    """Requests of one account (scope ``user``)."""
