"""Serializers of POST /api/coa/ and its vendor operations, and of the request history."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from coa.client import CODE_NAMES
from coa.dictionary import error_cause_name
from coa.models import BNG, CoARequest

ANSWER_CODES_HELP = _(
    "The BNG's answer: 41 Disconnect-ACK, 42 Disconnect-NAK, 44 CoA-ACK, 45 CoA-NAK; "
    "null when it did not answer (outcome 'timeout')."
)


class CoARequestSerializer(serializers.ModelSerializer):
    code_name = serializers.SerializerMethodField(help_text=_("40 Disconnect-Request or 43 CoA-Request."))
    answer = serializers.IntegerField(read_only=True, allow_null=True, help_text=ANSWER_CODES_HELP)
    answer_name = serializers.SerializerMethodField(help_text=_("The answer's name, e.g. CoA-ACK."))
    error_cause_name = serializers.SerializerMethodField(help_text=_("e.g. Session-Context-Not-Found (503)."))
    attributes = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField(), min_length=2, max_length=2),
        read_only=True,
        help_text=_(
            "Attributes sent, as [name, value] pairs (Event-Timestamp and Message-Authenticator added)."
        ),
    )
    reply_attributes = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField(), min_length=2, max_length=2),
        read_only=True,
        help_text=_("Attributes of the answer, as [name, value] pairs."),
    )

    class Meta:
        model = CoARequest
        fields = [
            "id", "created_at", "bng", "bng_name", "code", "code_name", "operation", "origin",
            "requested_by", "account", "username", "acct_session_id", "attributes", "answer",
            "answer_name", "outcome", "error_cause", "error_cause_name", "reply_attributes",
            "latency_ms", "attempts",
        ]  # fmt: skip
        read_only_fields = fields

    def get_code_name(self, obj: CoARequest) -> str:
        return CODE_NAMES.get(obj.code, "")

    def get_answer_name(self, obj: CoARequest) -> str:
        return CODE_NAMES.get(obj.answer, "") if obj.answer else ""

    def get_error_cause_name(self, obj: CoARequest) -> str:
        return error_cause_name(obj.error_cause)


class TargetSerializer(serializers.Serializer):
    """Which BNG, and optionally which subscriber's open session."""

    bng = serializers.PrimaryKeyRelatedField(
        queryset=BNG.objects.all(), help_text=_("The BNG's id (its address, port and secret are used).")
    )
    username = serializers.CharField(
        required=False,
        max_length=253,
        help_text=_(
            "A subscriber's login: the request then names their open session on the BNG "
            "(User-Name, Acct-Session-Id, Framed-IP-Address, NAS-IP-Address from accounting)."
        ),
    )


class CoASendSerializer(TargetSerializer):
    code = serializers.ChoiceField(
        choices=[("coa", "CoA-Request"), ("disconnect", "Disconnect-Request")],
        help_text=_("coa (CoA-Request, 43) or disconnect (Disconnect-Request, 40)."),
    )
    attributes = serializers.JSONField(
        required=False,
        default=dict,
        help_text=_(
            'Attributes checked against the RADIUS dictionaries: {"Name": value or [values]} '
            'or [["Name", value], …]; tags as "ERX-Service-Activate:1".'
        ),
    )


def operation_serializer(operation: Any) -> type[serializers.Serializer]:
    """The request body of one vendor operation: the target and its parameters."""
    fields: dict[str, serializers.Field] = {
        name: serializers.CharField(max_length=200, help_text=_("The operation's %(name)s.") % {"name": name})
        for name in operation.parameters
    }
    if "direction" in fields:
        fields["direction"] = serializers.ChoiceField(choices=["in", "out"], help_text=_("in or out."))
    name = "".join(part.capitalize() for part in operation.name.replace(".", "-").split("-")) + "Serializer"
    return type(name, (TargetSerializer,), fields)
