"""The admin of CoA: the request history, the page that sends a CoA by hand to a
session, and the actions on RADIUS accounts and online sessions (added to their
admins by coa/admin.py)."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from coa.conf import setting
from coa.dictionary import InvalidAttribute
from coa.models import CoARequest, RadAcct
from coa.operations import DISCONNECT, InvalidParameter, bng_of_session, open_session, send_request
from coa.send_forms import SendCoAForm

PERMISSION = "coa.add_coarequest"


def radius_alias() -> str:
    return setting("RADIUS_DATABASE")


def bng_for(session: Any) -> Any:
    return bng_of_session(session)


def _sessions(queryset: QuerySet) -> list[tuple[Any, Any]]:
    """(session, account or None) for each selected account (its open session) or session."""
    from coa.models import RadAcct, RadiusAccount

    found: list[tuple[Any, RadiusAccount | None]] = []
    for obj in queryset:
        if isinstance(obj, RadiusAccount):
            session = open_session(obj.login, obj.bng)
            found.append((session, obj))
        elif isinstance(obj, RadAcct):
            account = RadiusAccount.objects.filter(login=obj.username).first()
            found.append((obj if obj.acctstoptime is None else None, account))
    return found


def outcome_message(sent: CoARequest) -> str:
    text = _("%(request)s to %(login)s on %(bng)s: %(outcome)s") % {
        "request": sent.get_code_display(),
        "login": sent.username,
        "bng": sent.bng_name,
        "outcome": sent.get_answer_display() or sent.get_outcome_display(),
    }
    if sent.error_cause:
        text += _(" (Error-Cause %(cause)s)") % {"cause": sent.error_cause}
    return text


def message_level(sent: CoARequest) -> int:
    return messages.SUCCESS if sent.done else messages.WARNING


def send_from_form(form: SendCoAForm, bng: Any, session: Any, user: Any) -> CoARequest | None:
    """Send what the valid SendCoAForm asks; None (and the error on the form) if refused."""
    from coa.models import RadiusAccount

    try:
        code, pairs, operation = form.request()
        account = RadiusAccount.objects.filter(login=session.username).first()
        return send_request(
            bng, code, pairs, session=session, account=account, operation=operation, origin="admin", user=user
        )
    except InvalidParameter as error:
        form.add_error("parameters", str(error))
    except InvalidAttribute as error:
        form.add_error("attributes", str(error))
    return None


@admin.action(description=gettext_lazy("Send a CoA to the session (choose the attributes)"))
def send_coa(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
    if not request.user.has_perm(PERMISSION):
        modeladmin.message_user(request, _("You may not send CoA requests."), messages.ERROR)
        return None
    online = [session for session, _account in _sessions(queryset) if session is not None]
    if len(online) != 1:
        modeladmin.message_user(
            request, _("Select exactly one subscriber with an open session."), messages.WARNING
        )
        return None
    return redirect(reverse("admin:coa_coarequest_send", args=[online[0].pk]))


@admin.action(description=gettext_lazy("Disconnect the session"))
def disconnect(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    if not request.user.has_perm(PERMISSION):
        modeladmin.message_user(request, _("You may not send CoA requests."), messages.ERROR)
        return
    offline = 0
    for session, account in _sessions(queryset):
        bng = bng_of_session(session) if session is not None else None
        if bng is None:
            offline += 1
            continue
        sent = send_request(
            bng, DISCONNECT, [], session=session, account=account, origin="admin", user=request.user
        )
        modeladmin.message_user(request, outcome_message(sent), message_level(sent))
    if offline:
        modeladmin.message_user(
            request,
            ngettext(
                "%d without an open session: nothing sent.",
                "%d without an open session: nothing sent.",
                offline,
            )
            % offline,
            messages.INFO,
        )


@admin.register(CoARequest)
class CoARequestAdmin(admin.ModelAdmin):
    """What was sent to BNGs and what they answered (read only); ``send/<session>/``
    sends by hand."""

    list_display = [
        "created_at", "bng_name", "code", "operation", "username", "outcome", "answer",
        "error_cause", "latency_ms", "origin", "requested_by",
    ]  # fmt: skip
    list_filter = [
        "outcome", "code", "origin", "bng", "operation", ("error_cause", admin.EmptyFieldListFilter),
    ]  # fmt: skip
    search_fields = ["username", "acct_session_id", "bng_name"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list:
        send = self.admin_site.admin_view(self.send_view)
        return [path("send/<int:session>/", send, name="coa_coarequest_send"), *super().get_urls()]

    def send_view(self, request: HttpRequest, session: int) -> HttpResponse:
        """The form that sends a CoA (or a vendor operation, or a Disconnect) to a session."""
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        session_row = get_object_or_404(RadAcct.objects.using(radius_alias()), pk=session)
        bng = bng_for(session_row)
        if bng is None:
            self.message_user(request, _("No BNG has this session's NAS address."), messages.ERROR)
            return redirect("admin:coa_radacct_changelist")
        form = SendCoAForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            sent = send_from_form(form, bng, session_row, request.user)
            if sent is not None:
                self.message_user(request, outcome_message(sent), message_level(sent))
                return redirect(reverse("admin:coa_coarequest_change", args=[sent.pk]))
        context = {**self.admin_site.each_context(request), "form": form, "session": session_row, "bng": bng}
        return TemplateResponse(request, "coa/admin/send_coa.html", context)
