"""The OpenAPI document lists the errors every endpoint may answer, not only its
successes: 401/403 (not a staff account, or no model permission), 429 (rate
exceeded), 404 on an object's URL, and 400 where input is validated."""

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("Why the request was refused."))


#: A 400: ``{"field": ["reason", …], …}`` (errors not tied to a field under
#: ``non_field_errors``), or a list of reasons for a refused query (a search term
#: with a null character).
VALIDATION_ERROR = {
    "oneOf": [
        {"type": "object", "additionalProperties": {}},
        {"type": "array", "items": {"type": "string"}},
    ]
}


ERRORS = {
    "401": _("No valid credentials (session or token)."),
    "403": _("Not a staff account, or without the model permission this method needs."),
    "429": _("Too many requests: retry after the time given in Retry-After."),
}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors: dict[str, StrOrPromise | None] = {**ERRORS}
        if self.method in ("POST", "PUT", "PATCH") or (self.method == "GET" and self._is_list_view()):
            errors["400"] = None
        if "{" in self.path:
            errors["404"] = _("No such object.")
        for code, description in errors.items():
            if code in responses:
                continue
            if code == "400":
                response = OpenApiResponse(
                    VALIDATION_ERROR, description=_("Refused input, with the reasons per field.")
                )
            else:
                response = OpenApiResponse(ErrorSerializer, description=description or "")
            responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
