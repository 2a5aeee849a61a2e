"""The rate of requests sent to BNGs through the API, per account (scope ``coa``)."""

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from coa.conf import setting
from coin.api.throttling import UserRateThrottle


class CoAThrottle(UserRateThrottle):
    """POSTs of one account to /api/coa/…: REST_FRAMEWORK's ``coa`` rate, or COA_API_RATE."""

    scope = "coa"

    def get_rate(self) -> str:
        return str(api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or setting("COA_API_RATE"))

    def allow_request(self, request: Request, view: APIView) -> bool:
        if request.method != "POST":
            return True
        return super().allow_request(request, view)
