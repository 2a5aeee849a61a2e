"""POST /api/coa/ (a CoA or Disconnect with arbitrary attributes) and the vendor
operations (POST /api/coa/<vendor>/<operation>/), with the history of requests
(GET /api/coa/). The secret is always the BNG record's."""

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from coa.api.serializers import CoARequestSerializer, CoASendSerializer, operation_serializer
from coa.api.throttling import CoAThrottle
from coa.dictionary import DictionaryError, InvalidAttribute
from coa.models import CoARequest, RadiusAccount
from coa.operations import (
    COA,
    DISCONNECT,
    OPERATIONS,
    InvalidParameter,
    Operation,
    open_session,
    send_request,
)
from coin.api.throttling import AnonRateThrottle, UserRateThrottle

SENT = OpenApiResponse(
    CoARequestSerializer,
    description=gettext_lazy(
        "Sent and recorded; the BNG's answer is in answer/answer_name (41 Disconnect-ACK, "
        "42 Disconnect-NAK, 44 CoA-ACK, 45 CoA-NAK, null: no answer) with its Error-Cause."
    ),
)


class CoARequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The history of CoA and Disconnect requests; POST sends one."""

    queryset = CoARequest.objects.select_related("bng").order_by("-id")
    serializer_class = CoARequestSerializer
    filterset_fields = ["bng", "code", "outcome", "origin", "username"]
    throttle_classes = [AnonRateThrottle, UserRateThrottle, CoAThrottle]
    action_permissions = dict.fromkeys(
        [name.replace(".", "_").replace("-", "_") for name in OPERATIONS], ["coa.add_coarequest"]
    )

    def _send(self, data: dict, code: int, attributes: Any, operation: str = "") -> Response:
        bng = data["bng"]
        session = account = None
        if data.get("username"):
            session = open_session(data["username"], bng)
            if session is None:
                raise serializers.ValidationError(
                    {"username": [_("No open session of this login on this BNG.")]}
                )
            account = RadiusAccount.objects.filter(login=data["username"]).first()
        try:
            sent = send_request(
                bng, code, attributes, session=session, account=account, operation=operation,
                origin=CoARequest.Origin.API, user=self.request.user,
            )  # fmt: skip
        except InvalidAttribute as error:
            raise serializers.ValidationError({"attributes": [str(error)]}) from None
        except DictionaryError as error:
            raise serializers.ValidationError({"attributes": [str(error)]}) from None
        return Response(CoARequestSerializer(sent).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CoASendSerializer,
        responses={201: SENT},
        summary=gettext_lazy("Send a CoA-Request or Disconnect-Request"),
    )
    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        body = CoASendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        code = COA if body.validated_data["code"] == "coa" else DISCONNECT
        return self._send(body.validated_data, code, body.validated_data.get("attributes") or {})


def _operation_view(operation: Operation) -> Callable:
    body_class = operation_serializer(operation)

    def view(self: CoARequestViewSet, request: Request) -> Response:
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        parameters = {name: body.validated_data[name] for name in operation.parameters}
        try:
            pairs = operation.pairs(parameters)
        except InvalidParameter as error:
            raise serializers.ValidationError({error.parameter: [error.reason]}) from None
        return self._send(body.validated_data, operation.code, pairs, operation=operation.name)

    view.__name__ = operation.name.replace(".", "_").replace("-", "_")
    view.__doc__ = str(operation.label)
    vendor, path = operation.name.split(".")
    decorated = extend_schema(
        request=body_class,
        responses={201: SENT},
        summary=operation.label,
        description=gettext_lazy("Vendor operation %(name)s (a CoA-Request to the session).")
        % {"name": operation.name},
    )(action(detail=False, methods=["post"], url_path=f"{vendor}/{path}")(view))
    return decorated


for _operation in OPERATIONS.values():
    _view = _operation_view(_operation)
    setattr(CoARequestViewSet, _view.__name__, _view)


def register(router: BaseRouter) -> None:
    router.register("coa", CoARequestViewSet, basename="coa-request")
