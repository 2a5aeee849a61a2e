"""The member's billing page, their invoices' PDFs, and their direct-debit mandate."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from coin.billing import documents
from coin.billing.debt import is_fully_credited, is_overdue, member_debt
from coin.billing.direct_debit import sign_mandate_online
from coin.billing.ledger import balance_details, with_amounts, with_unallocated
from coin.billing.mandates import creditor_identifier, mandate_in_force
from coin.billing.models import CreditNote, Invoice, Payment, PaymentAllocation, Receipt
from coin.billing.references import invoice_creditor_reference, member_creditor_reference, printed
from coin.isp_database.models import ISPInfo
from coin.members.http import MemberRequest
from coin.middleware import client_ip
from coin.validation import add_to_form

PER_PAGE = 12


class _CountedRows:
    """Rows for Paginator whose count comes from a plain queryset: counting the
    annotated one would compute every row's amounts."""

    def __init__(self, rows, plain) -> None:
        self.rows, self.plain = rows, plain

    def count(self) -> int:
        return self.plain.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        return self.rows[index]


def _page(request: HttpRequest, rows, parameter: str, plain=None) -> Page:
    """One page of ``rows``, numbered by the query parameter ``parameter`` (each list
    of the page has its own, so that paging one keeps the other's place); ``plain``:
    the same rows without annotations, to count them cheaply."""
    if plain is not None:
        rows = _CountedRows(rows, plain)
    return Paginator(rows, PER_PAGE).get_page(request.GET.get(parameter))


@login_required
@require_GET
def index(request: MemberRequest) -> HttpResponse:
    """Balance, what is owed and by when, bills with what remains to pay, credit notes,
    receipts and payments of the logged-in member (drafts are the association's
    business, not shown). Invoices and payments are paged: the page costs the same
    whatever the member's history."""
    member = request.user
    today = timezone.localdate()
    member_invoices = Invoice.objects.validated().filter(member=member)
    invoices = _page(
        request, with_amounts(member_invoices).order_by("-date", "-number"), "invoices", plain=member_invoices
    )
    for invoice in invoices:
        invoice.overdue = is_overdue(invoice, today)
        invoice.fully_credited = is_fully_credited(invoice)
        invoice.creditor_reference = printed(invoice_creditor_reference(invoice))
    payments = (
        with_unallocated(Payment.objects.filter(member=member))
        .prefetch_related(
            Prefetch(
                "allocations", queryset=PaymentAllocation.objects.select_related("invoice").order_by("pk")
            )
        )
        .order_by("-date", "-pk")
    )
    return render(
        request,
        "billing/index.html",
        {
            "balance": balance_details(member),
            "debt": member_debt(member, today),
            "invoices": invoices,
            "credit_notes": _page(
                request,
                CreditNote.objects.filter(member=member, validated_at__isnull=False)
                .select_related("invoice")
                .order_by("-date", "-number"),
                "credit_notes",
            ),
            "receipts": _page(
                request, Receipt.objects.filter(member=member).order_by("-date", "-number"), "receipts"
            ),
            "today": today,
            "member_reference": printed(member_creditor_reference(member)),
            "mandate": mandate_in_force(member),
            "payments": _page(request, payments, "payments", plain=Payment.objects.filter(member=member)),
        },
    )


@login_required
@require_GET
def invoice_pdf(request: MemberRequest, pk: int) -> HttpResponseBase:
    """The PDF of a validated invoice, for its member or staff (404 for anybody else,
    so that invoice numbers cannot be probed)."""
    invoices = Invoice.objects.validated().select_related("member")
    if not request.user.is_staff:
        invoices = invoices.filter(member=request.user)
    invoice = invoices.filter(pk=pk).first()
    if invoice is None:
        raise Http404("No such invoice.")
    return documents.invoice_pdf_response(invoice)


@login_required
@require_GET
def credit_note_pdf(request: MemberRequest, pk: int) -> HttpResponseBase:
    """The PDF of a validated credit note, for its member or staff (404 for anybody
    else, as for invoices)."""
    notes = CreditNote.objects.filter(validated_at__isnull=False).select_related("member", "invoice")
    if not request.user.is_staff:
        notes = notes.filter(member=request.user)
    note = notes.filter(pk=pk).first()
    if note is None:
        raise Http404("No such credit note.")
    return documents.credit_note_pdf_response(note)


class MandateForm(forms.Form):
    account_holder = forms.CharField(label=_("Account holder"), max_length=70)
    iban = forms.CharField(label=_("IBAN"), max_length=47)
    bic = forms.CharField(label=_("BIC"), max_length=11, required=False)
    consent = forms.BooleanField(
        label=_("I authorise these direct debits, as described above."),
        required=False,  # refused by sign_mandate_online, with its message
    )


@login_required
@require_http_methods(["GET", "POST"])
def mandate(request: MemberRequest) -> HttpResponse:
    """The logged-in member signs a SEPA direct-debit mandate online: their explicit
    consent (the box ticked) is recorded with its date, time and address. A new mandate
    replaces the one in force (a new account)."""
    creditor = creditor_identifier()
    if not creditor:
        raise Http404("The association does not collect by direct debit.")
    form = MandateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sign_mandate_online(
                request.user,
                iban=form.cleaned_data["iban"],
                bic=form.cleaned_data["bic"],
                account_holder=form.cleaned_data["account_holder"],
                consent=form.cleaned_data["consent"],
                ip_address=client_ip(request),
            )
        except ValidationError as error:
            add_to_form(form, error)
        else:
            messages.success(
                request, _("Your mandate is signed: your next invoices will be collected from it.")
            )
            return redirect("billing:index")
    return render(
        request,
        "billing/mandate.html",
        {
            "form": form,
            "isp": ISPInfo.objects.first(),
            "creditor_identifier": creditor,
            "mandate": mandate_in_force(request.user),
        },
    )
