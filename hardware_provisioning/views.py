"""Member pages: my hardware (current, requested, offered and past loans), what can
be borrowed, borrow, return, hand over. Every loan is looked up among the
logged-in member's own (or, for a hand-over's answer, among those offered to
them): another member's gives 404. The rules are in ``hardware_provisioning.loans``."""

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coin.configuration.models import Configuration
from coin.members.http import MemberRequest
from coin.members.models import Member
from hardware_provisioning import loans
from hardware_provisioning.conf import setting
from hardware_provisioning.forms import BorrowForm, HandoverForm, ReturnForm
from hardware_provisioning.models import Item, Loan

LOAN_RELATED = ["item__type", "subscription__offer", "handover_to"]


def _add_errors(form, error: ValidationError, default_field: str | None = None) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else default_field, errors)
    else:
        form.add_error(default_field, error.messages)


@login_required
def index(request: MemberRequest) -> HttpResponse:
    mine = list(Loan.objects.filter(member=request.user).select_related(*LOAN_RELATED))
    offered = Loan.objects.filter(handover_to=request.user, state=Loan.State.RUNNING).select_related(
        "item__type", "member"
    )
    return render(
        request,
        "hardware_provisioning/index.html",
        {
            "current": [loan for loan in mine if loan.state == Loan.State.RUNNING],
            "requested": [loan for loan in mine if loan.state == Loan.State.REQUESTED],
            "past": [loan for loan in mine if not loan.is_open],
            "offered": list(offered),
        },
    )


@login_required
def available(request: MemberRequest) -> HttpResponse:
    items = (
        Item.objects.available().select_related("type", "storage").order_by("type__name", "designation", "pk")
    )
    groups = [(item_type, list(group)) for item_type, group in groupby(items, key=lambda item: item.type)]
    return render(
        request,
        "hardware_provisioning/available.html",
        {"groups": groups, "direct": setting("HARDWARE_DIRECT_LOANS")},
    )


@login_required
def borrow(request: MemberRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Item.objects.available().select_related("type", "storage"), pk=pk)
    form = BorrowForm(request.POST or None, member=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            loan = loans.borrow(request.user, item, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if loan.state == Loan.State.RUNNING:
                messages.success(request, _("%(item)s is lent to you.") % {"item": item.designation})
            else:
                messages.success(
                    request,
                    _("Your request for %(item)s is recorded; an admin will confirm it.")
                    % {"item": item.designation},
                )
            return redirect("hardware:index")
    return render(
        request,
        "hardware_provisioning/borrow.html",
        {"item": item, "form": form, "direct": setting("HARDWARE_DIRECT_LOANS")},
    )


@login_required
def return_loan(request: MemberRequest, pk: int) -> HttpResponse:
    loan = get_object_or_404(Loan.objects.open().select_related("item__type"), pk=pk, member=request.user)
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            loans.end_loan(loan, storage=form.cleaned_data["storage"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Thank you: %(item)s is returned.") % {"item": loan.item.designation})
            return redirect("hardware:index")
    return render(request, "hardware_provisioning/return.html", {"loan": loan, "form": form})


@login_required
def handover(request: MemberRequest, pk: int) -> HttpResponse:
    loan = get_object_or_404(
        Loan.objects.select_related("item__type", "handover_to"),
        pk=pk,
        member=request.user,
        state=Loan.State.RUNNING,
    )
    form = HandoverForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            loans.offer_handover(loan, request.user, form.cleaned_data["recipient"])
        except ValidationError as error:
            _add_errors(form, error, default_field="recipient")
        else:
            messages.success(
                request,
                _("Hand-over offered: the loan is theirs once they confirm it on their hardware page."),
            )
            return redirect("hardware:index")
    return render(request, "hardware_provisioning/handover.html", {"loan": loan, "form": form})


@login_required
@require_POST
def cancel_handover(request: MemberRequest, pk: int) -> HttpResponse:
    loan = get_object_or_404(Loan, pk=pk, member=request.user, handover_to__isnull=False)
    loans.cancel_handover(loan, request.user)
    messages.success(request, _("Hand-over withdrawn."))
    return redirect("hardware:index")


@login_required
@require_POST
def accept_handover(request: MemberRequest, pk: int) -> HttpResponse:
    loan = get_object_or_404(Loan, pk=pk, handover_to=request.user, state=Loan.State.RUNNING)
    try:
        loans.accept_handover(loan, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The loan is now yours."))
    return redirect("hardware:index")


@login_required
@require_POST
def decline_handover(request: MemberRequest, pk: int) -> HttpResponse:
    loan = get_object_or_404(Loan, pk=pk, handover_to=request.user, state=Loan.State.RUNNING)
    loans.decline_handover(loan, request.user)
    messages.success(request, _("Hand-over declined."))
    return redirect("hardware:index")


def lent_hardware_panel(request: HttpRequest, configuration: Configuration) -> str:
    """The panel under a configuration's member page: hardware lent for its
    subscription (coin.configuration.panels), nothing for anyone but a member."""
    if not isinstance(request.user, Member):
        return ""
    lent = list(
        Loan.objects.filter(
            subscription_id=configuration.offersubscription_id, member=request.user, state=Loan.State.RUNNING
        ).select_related("item__type")
    )
    if not lent:
        return ""
    return render_to_string("hardware_provisioning/panel.html", {"lent": lent}, request=request)
