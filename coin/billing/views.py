"""The member's billing page and their invoices' PDFs."""

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from coin.billing import documents
from coin.billing.ledger import balance_details, with_amounts, with_unallocated
from coin.billing.models import CreditNote, Invoice, Payment, PaymentAllocation, Receipt


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Balance, bills with what remains to pay, credit notes, receipts and payments of
    the logged-in member (drafts are the association's business, not shown)."""
    member = request.user
    invoices = with_amounts(Invoice.objects.validated().filter(member=member)).order_by("-date", "-number")
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
            "invoices": invoices,
            "credit_notes": CreditNote.objects.filter(member=member, validated_at__isnull=False)
            .select_related("invoice")
            .order_by("-date", "-number"),
            "receipts": Receipt.objects.filter(member=member).order_by("-date", "-number"),
            "payments": payments,
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
