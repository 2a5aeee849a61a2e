"""The member's billing page and their invoices' PDFs."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from coin.billing import documents
from coin.billing.debt import is_fully_credited, is_overdue, member_debt
from coin.billing.ledger import balance_details, with_amounts, with_unallocated
from coin.billing.models import CreditNote, Invoice, Payment, PaymentAllocation, Receipt

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
def index(request: HttpRequest) -> HttpResponse:
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
            "payments": _page(request, payments, "payments", plain=Payment.objects.filter(member=member)),
        },
    )


@login_required
@require_GET
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
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
def credit_note_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The PDF of a validated credit note, for its member or staff (404 for anybody
    else, as for invoices)."""
    notes = CreditNote.objects.filter(validated_at__isnull=False).select_related("member", "invoice")
    if not request.user.is_staff:
        notes = notes.filter(member=request.user)
    note = notes.filter(pk=pk).first()
    if note is None:
        raise Http404("No such credit note.")
    return documents.credit_note_pdf_response(note)
