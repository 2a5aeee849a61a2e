"""Billing in the admin: invoices (drafts editable, validated ones read-only but for
their status), credit notes, payments with what they paid, receipts, and bank
statement imports (upload page and report).

Every change goes through the ledger functions (invoices.py, payments.py,
receipts.py, bank_import.py), so the admin keeps the same guarantees as the commands:
the forms of credit notes and receipts issue them when saved (``save()`` returns the
issued bill), and refusals are shown with ``coin.validation``.
"""

from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coin.admin_filters import list_filter
from coin.billing import einvoice_export
from coin.billing.bank_import import FORMATS, BankImportError, import_statement
from coin.billing.debt import is_fully_credited, is_overdue, member_debt
from coin.billing.direct_debit import (
    RETURN_REASONS,
    default_collection_date,
    iban_printed,
    prepare_direct_debits,
    reason_text,
    return_collection,
    revoke_mandate,
    save_mandate,
)
from coin.billing.filtersets import InvoiceFilterSet, PaymentFilterSet
from coin.billing.invoices import check_credit_note, creditable_amount, issue_credit_note, validate_invoice
from coin.billing.ledger import balance_details, close_if_settled, with_amounts, with_unallocated
from coin.billing.models import (
    BankImport,
    CreditNote,
    DirectDebitBatch,
    DirectDebitCollection,
    Invoice,
    InvoiceDetail,
    Mandate,
    Payment,
    PaymentAllocation,
    Receipt,
)
from coin.billing.payments import delete_payment, payment_saved, settle
from coin.billing.receipts import create_fee_receipt, issue_receipt
from coin.billing.references import invoice_creditor_reference, member_creditor_reference, printed
from coin.members.admin_panels import add_member_admin_panel
from coin.validation import add_to_form, one_line

MEMBER_SEARCH = [
    "member__username",
    "member__first_name",
    "member__last_name",
    "member__organization_name",
    "member__email",
]


# --- Invoices --------------------------------------------------------------------------------


class InvoiceDetailInline(admin.TabularInline):
    model = InvoiceDetail
    extra = 0
    fields = ["label", "amount", "quantity", "tax", "period_from", "period_to", "offersubscription", "total"]
    readonly_fields = ["total"]
    autocomplete_fields = ["offersubscription"]

    def _draft(self, obj) -> bool:
        return obj is None or not obj.is_validated

    def has_add_permission(self, request, obj=None):
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._draft(obj) and super().has_delete_permission(request, obj)


class InvoiceForm(forms.ModelForm):
    class Meta:
        model = Invoice
        fields = ["member", "date", "status"]

    def clean_status(self):
        status = self.cleaned_data["status"]
        if status == Invoice.Status.CLOSED and (self.instance.pk is None or "status" in self.changed_data):
            raise ValidationError(_("An invoice is closed by its payments or its credit notes, not by hand."))
        return status


ValidatedFilter = list_filter(
    InvoiceFilterSet, "validated", _("validation"), yes=_("validated"), no=_("drafts")
)


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    form = InvoiceForm
    list_display = ["__str__", "member", "date", "date_due", "amount", "remaining", "state", "validated"]
    list_filter = ["status", ValidatedFilter, "date"]
    search_fields = ["number", *MEMBER_SEARCH]
    autocomplete_fields = ["member"]
    list_select_related = ["member"]
    date_hierarchy = "date"
    inlines = [InvoiceDetailInline]
    actions = ["validate", "create_credit_note", "download_einvoices"]
    DETAILS = [
        "number", "amount", "remaining", "date_due", "validated_at", "creditor_references", "pdf_link",
        "credit_note_link",
    ]  # fmt: skip

    def get_queryset(self, request):
        return with_amounts(super().get_queryset(request))

    def changelist_view(self, request, extra_context=None):
        for problem in einvoice_export.isp_identity_problems():
            self.message_user(request, problem, messages.WARNING)
        return super().changelist_view(request, extra_context)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.is_validated:
            return ["member", "date", *self.DETAILS]
        return ["state", *self.DETAILS]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["member", "date"]
        if not obj.is_validated:  # a draft has no status yet: it reads "draft"
            return ["member", "date", "state", *self.DETAILS]
        return ["member", "date", "status", *self.DETAILS]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_validated:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Download the e-invoices (CII XML, zip)"), permissions=["view"])
    def download_einvoices(self, request, queryset):
        """The selected validated invoices' XML and their validated credit notes' (filter
        the list by date for a period, then select all), for the e-invoicing platform."""
        invoices = list(
            queryset.filter(validated_at__isnull=False).select_related("member").order_by("number")
        )
        notes = CreditNote.objects.filter(invoice__in=invoices, validated_at__isnull=False).select_related(
            "member"
        )
        if not invoices:
            self.message_user(
                request, _("No validated invoice selected: drafts have no e-invoice."), messages.ERROR
            )
            return None
        name = f"einvoices-{invoices[0].number}-{invoices[-1].number}.zip"
        return einvoice_export.zip_response([*invoices, *notes.order_by("number")], name)

    def delete_queryset(self, request, queryset):
        validated = queryset.filter(validated_at__isnull=False).count()
        if validated:
            self.message_user(
                request,
                _("%d validated invoice(s) kept: a validated invoice is corrected by a credit note.")
                % validated,
                messages.ERROR,
            )
        super().delete_queryset(request, queryset.filter(validated_at__isnull=True))

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if change and obj.is_validated and "status" in form.changed_data:
                close_if_settled(Invoice.objects.filter(pk=obj.pk))
                # An invoice no longer disputed gets the member's credit, and may resume
                # a service suspended for it.
                settle([obj.member_id])

    @admin.display(description=_("total"), ordering="total")
    def amount(self, obj):
        """The fixed total of a validated invoice; for a draft, the sum of its lines
        as they are now (the stored total is only set at validation)."""
        return obj.total if obj.is_validated else obj.lines_total()

    @admin.display(description=_("status"), ordering="status")
    def state(self, obj):
        if not obj.is_validated:
            return _("draft")
        return _("credited") if is_fully_credited(obj) else obj.get_status_display()

    @admin.display(description=_("remaining"), ordering="remaining")
    def remaining(self, obj):
        return obj.remaining if obj.is_validated else "—"

    @admin.display(description=_("validated"), boolean=True, ordering="validated_at")
    def validated(self, obj):
        return obj.is_validated

    @admin.display(description=_("creditor references (RF)"))
    def creditor_references(self, obj):
        """What a payer gives in a transfer's structured reference: the invoice's, or
        the member's for a standing order (the oldest open invoices are paid first)."""
        invoice_reference = printed(invoice_creditor_reference(obj))
        member_reference = printed(member_creditor_reference(obj.member))
        if not invoice_reference:
            return format_html("{}: {}", gettext("member"), member_reference)
        return format_html(
            "{}: {} · {}: {}", gettext("invoice"), invoice_reference, gettext("member"), member_reference
        )

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        if not obj.is_validated:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("billing:invoice_pdf", args=[obj.pk]), _("Download")
        )

    @admin.display(description=_("correction"))
    def credit_note_link(self, obj):
        if not obj.is_validated:
            return _("Edit the draft.")
        if creditable_amount(obj) <= 0:
            return _("Nothing left to credit.")
        url = reverse("admin:billing_creditnote_add") + f"?invoice={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Create a credit note"))

    @admin.action(description=_("Validate the selected drafts (number them, send them)"))
    def validate(self, request, queryset):
        """Ask first: validation numbers the drafts for good and emails them."""
        drafts = list(
            queryset.filter(validated_at__isnull=True).select_related("member").order_by("date", "pk")
        )
        if not drafts:
            self.message_user(request, _("No draft among the selected invoices."), messages.WARNING)
            return None
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Validate these drafts?"),
                "opts": self.model._meta,
                "drafts": [(draft, draft.lines_total()) for draft in drafts],
                "skipped": queryset.count() - len(drafts),
                "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                "action": request.POST.get("action", "validate"),
            }
            return TemplateResponse(request, "admin/billing/invoice/validate_confirmation.html", context)
        done = 0
        for invoice in drafts:
            try:
                validate_invoice(invoice)
                done += 1
            except ValidationError as error:
                self.message_user(request, f"{invoice}: {one_line(error)}", messages.ERROR)
        if done:
            self.message_user(request, _("%d invoice(s) validated.") % done, messages.SUCCESS)

    @admin.action(description=_("Create a credit note for the selected invoice"))
    def create_credit_note(self, request, queryset):
        invoices = list(queryset.filter(validated_at__isnull=False)[:2])
        if len(invoices) != 1:
            self.message_user(request, _("Select exactly one validated invoice."), messages.ERROR)
            return None
        if creditable_amount(invoices[0]) <= 0:
            self.message_user(
                request, _("Nothing is left to credit on invoice %s.") % invoices[0].number, messages.ERROR
            )
            return None
        return HttpResponseRedirect(reverse("admin:billing_creditnote_add") + f"?invoice={invoices[0].pk}")


# --- Credit notes ----------------------------------------------------------------------------


class CreditNoteForm(forms.ModelForm):
    """Checks with ``invoices.check_credit_note`` (the rule and its messages); saving
    issues the note with ``issue_credit_note``, which numbers and saves it."""

    class Meta:
        model = CreditNote
        fields = ["invoice", "date", "amount", "reason"]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        invoice, amount, date = cleaned.get("invoice"), cleaned.get("amount"), cleaned.get("date")
        if invoice is not None and amount is not None:
            try:
                check_credit_note(invoice, amount, date or timezone.localdate())
            except ValidationError as error:
                add_to_form(self, error)
        return cleaned

    def _post_clean(self):
        # The note is built, numbered and validated by issue_credit_note on save.
        pass

    def save(self, commit=True):
        """Issue the credit note (whatever ``commit``: issuing is one transaction that
        numbers and saves it); the admin gets the issued note. An issued note never
        changes: saving its (read-only) page changes nothing."""
        super().save(commit=False)  # saves nothing: sets save_m2m, which the admin calls next
        if self.instance.pk is not None:
            return self.instance
        data = self.cleaned_data
        self.instance = issue_credit_note(data["invoice"], data["amount"], data["reason"], data.get("date"))
        return self.instance


@admin.register(CreditNote)
class CreditNoteAdmin(admin.ModelAdmin):
    form = CreditNoteForm
    list_display = ["__str__", "invoice", "member", "date", "amount", "reason", "pdf_link"]
    list_filter = ["date"]
    search_fields = ["number", "invoice__number", "reason", *MEMBER_SEARCH]
    autocomplete_fields = ["invoice"]
    list_select_related = ["invoice", "member"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["invoice", "date", "amount", "reason"]
        return ["number", "invoice", "member", "date", "amount", "reason", "validated_at", "pdf_link"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        """An issued note never changes: its page is read-only, without Save buttons."""
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    def get_changeform_initial_data(self, request):
        """From an invoice's "Create a credit note" link: the amount is what is left to
        credit on it (the usual case is cancelling the rest of the invoice)."""
        initial: dict[str, Any] = dict(super().get_changeform_initial_data(request))
        invoice_id = initial.get("invoice")
        invoice = Invoice.objects.validated().filter(pk=invoice_id).first() if invoice_id else None
        if invoice is not None and "amount" not in initial:
            left = creditable_amount(invoice)
            if left > 0:
                initial["amount"] = left
        return initial

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        if not obj.is_validated:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("billing:credit_note_pdf", args=[obj.pk]), _("Download")
        )

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Nothing to save: the form issued the note (``CreditNoteForm.save``), and an
        issued note never changes."""


# --- Payments --------------------------------------------------------------------------------


class PaymentAllocationInline(admin.TabularInline):
    model = PaymentAllocation
    extra = 0
    fields = ["invoice", "amount"]
    readonly_fields = ["invoice", "amount"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


UnmatchedFilter = list_filter(
    PaymentFilterSet, "matched", _("member"), yes=_("with a member"), no=_("to assign (no member)")
)


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["date", "member", "amount", "unallocated", "payment_mean", "label", "bank_import"]
    list_filter = [UnmatchedFilter, "payment_mean", "date", "bank_import"]
    search_fields = ["label", "import_key", *MEMBER_SEARCH]
    autocomplete_fields = ["member"]
    list_select_related = ["member", "bank_import"]
    date_hierarchy = "date"
    inlines = [PaymentAllocationInline]
    fields = ["member", "payment_mean", "amount", "date", "label", "bank_import", "import_key"]
    readonly_fields = ["bank_import", "import_key"]

    def get_queryset(self, request):
        return with_unallocated(super().get_queryset(request))

    @admin.display(description=_("credit left"), ordering="unallocated")
    def unallocated(self, obj):
        return obj.unallocated

    def save_model(self, request, obj, form, change):
        """Saving allocates: a new payment, a member given to an imported one, or a
        corrected amount (what it paid before is taken back and allocated again)."""
        with transaction.atomic():
            previous = Payment.objects.select_for_update().get(pk=obj.pk) if change else None
            super().save_model(request, obj, form, change)
            payment_saved(obj, previous)

    def delete_model(self, request, obj):
        delete_payment(obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for payment in queryset:
                delete_payment(payment)


# --- Receipts --------------------------------------------------------------------------------


class ReceiptForm(forms.ModelForm):
    class Meta:
        model = Receipt
        fields = ["kind", "membership_fee", "member", "amount", "label", "date"]
        help_texts = {
            "membership_fee": _("For a membership fee, choose it: member, amount and label come from it."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("member", "amount", "label"):
            if name in self.fields:
                self.fields[name].required = False

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if self.instance.pk is not None:  # issued: its page is read-only
            return cleaned
        fee = cleaned.get("membership_fee")
        if fee is not None:
            cleaned["kind"] = Receipt.Kind.MEMBERSHIP_FEE
            if Receipt.objects.filter(membership_fee=fee).exists():
                self.add_error("membership_fee", _("This fee already has a receipt."))
        elif cleaned.get("kind") == Receipt.Kind.MEMBERSHIP_FEE:
            self.add_error("membership_fee", _("Choose the membership fee."))
        else:
            for name in ("member", "amount"):
                if not cleaned.get(name):
                    self.add_error(name, _("This field is required."))
        return cleaned

    def _post_clean(self):
        # The receipt is built and numbered by receipts.py on save, not validated here.
        pass

    def save(self, commit=True):
        """Issue the receipt (receipts.py numbers and saves it, whatever ``commit``);
        the admin gets the issued receipt. An issued receipt never changes: saving its
        (read-only) page changes nothing."""
        super().save(commit=False)  # saves nothing: sets save_m2m, which the admin calls next
        if self.instance.pk is not None:
            return self.instance
        data = self.cleaned_data
        if data.get("membership_fee") is not None:
            self.instance = create_fee_receipt(data["membership_fee"], data.get("date"))
        else:
            self.instance = issue_receipt(
                member=data["member"],
                kind=data["kind"],
                amount=data["amount"],
                label=data.get("label") or str(Receipt.Kind(data["kind"]).label),
                receipt_date=data.get("date"),
            )
        return self.instance


@admin.register(Receipt)
class ReceiptAdmin(admin.ModelAdmin):
    form = ReceiptForm
    list_display = ["number", "date", "member", "kind", "amount", "label"]
    list_filter = ["kind", "date"]
    search_fields = ["number", "label", *MEMBER_SEARCH]
    autocomplete_fields = ["member", "membership_fee"]
    list_select_related = ["member"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["kind", "membership_fee", "member", "amount", "label", "date"]
        return ["number", "kind", "membership_fee", "member", "amount", "label", "date"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Nothing to save: the form issued the receipt (``ReceiptForm.save``), and an
        issued receipt never changes."""


# --- Bank statements -------------------------------------------------------------------------


class BankStatementUploadForm(forms.Form):
    file = forms.FileField(label=_("statement file"))
    file_format = forms.ChoiceField(
        label=_("format"),
        choices=[("", _("guess from the file")), *[(f, f) for f in FORMATS]],
        required=False,
    )
    dry_run = forms.BooleanField(
        label=_("dry run"), required=False, help_text=_("Show the report without importing anything.")
    )


def render_report(report: Mapping[str, Any]) -> str:
    """The import report as HTML (lists of unmatched, duplicate and ignored lines)."""
    if not report:
        return "—"

    def rows(items: list[dict], keys: list[str]) -> str:
        cells = (
            format_html_join("", "<td>{}</td>", ((item.get(key, ""),) for key in keys)) for item in items
        )
        return format_html_join("", "<tr>{}</tr>", ((row,) for row in cells))

    parts = [
        format_html(
            "<p>{}</p>",
            gettext("%(credits)s credit(s), %(imported)s imported (%(matched)s matched), total %(total)s €.")
            % {
                "credits": report.get("credits", 0),
                "imported": report.get("imported", 0),
                "matched": report.get("matched", 0),
                "total": report.get("total", "0"),
            },
        )
    ]
    for title, key, keys in [
        (
            _("Not matched to a member (to assign)"),
            "unmatched",
            ["line", "date", "amount", "label", "reason"],
        ),
        (
            _("Already imported by an earlier file (skipped)"),
            "duplicates",
            ["line", "date", "amount", "label"],
        ),
        (
            _("Direct debits returned (invoice open again, member told)"),
            "returns",
            ["line", "date", "amount", "collection", "reason"],
        ),
        (_("Ignored lines"), "ignored", ["line", "reason"]),
    ]:
        items = report.get(key) or []
        if items:
            parts.append(
                format_html("<h3>{} ({})</h3><table>{}</table>", title, len(items), rows(items, keys))
            )
    return format_html_join("", "{}", ((part,) for part in parts))


#: The bank import's fields, all read-only.
BANK_IMPORT_FIELDS: tuple[str, ...] = (
    "filename",
    "file_format",
    "sha256",
    "imported_at",
    "imported_by",
    "payments_link",
    "report_html",
)


@admin.register(BankImport)
class BankImportAdmin(admin.ModelAdmin):
    list_display = ["imported_at", "filename", "file_format", "imported_by", "imported", "unmatched"]
    list_filter = ["file_format", "imported_at"]
    search_fields = ["filename", "sha256"]
    list_select_related = ["imported_by"]
    fields = BANK_IMPORT_FIELDS
    readonly_fields = BANK_IMPORT_FIELDS

    @admin.display(description=_("imported"))
    def imported(self, obj):
        return obj.report.get("imported", 0)

    @admin.display(description=_("to assign"))
    def unmatched(self, obj):
        return len(obj.report.get("unmatched", []))

    @admin.display(description=_("payments"))
    def payments_link(self, obj):
        url = reverse("admin:billing_payment_changelist")
        link = '<a href="{}?bank_import__id__exact={}{}">{}</a>'
        return format_html(
            f"{link} · {link}",
            url,
            obj.pk,
            "",
            _("all payments of this file"),
            url,
            obj.pk,
            "&matched=no",
            _("those to assign"),
        )

    @admin.display(description=_("report"))
    def report_html(self, obj):
        return render_report(obj.report)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """The upload page: import a statement file, or try it (dry run)."""
        if not self.has_add_permission(request):
            return super().add_view(request, form_url, extra_context)
        form = BankStatementUploadForm(request.POST or None, request.FILES or None)
        report_html = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = import_statement(
                    upload.file,  # read as a stream: on disk when larger than FILE_UPLOAD_MAX_MEMORY_SIZE
                    upload.name,
                    form.cleaned_data["file_format"] or None,
                    user=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                )
            except BankImportError as error:
                form.add_error("file", one_line(error))
            else:
                if result.bank_import is None:
                    report_html = render_report(result.report)
                    self.message_user(request, _("Dry run: nothing was imported.") + " " + result.summary())
                else:
                    self.message_user(request, result.summary(), messages.SUCCESS)
                    return HttpResponseRedirect(
                        reverse("admin:billing_bankimport_change", args=[result.bank_import.pk])
                    )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import a bank statement"),
            "opts": self.model._meta,
            "form": form,
            "report_html": report_html,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/billing/bankimport/upload.html", context)


# --- On the member's admin page ----------------------------------------------------------

PANEL_ROWS = 10


def billing_panel(member) -> str:
    """The member's balance and debt, and their latest invoices (drafts included)."""
    invoices = Invoice.objects.filter(member=member)
    total = invoices.count()
    rows = []
    for invoice in with_amounts(invoices).order_by("-date", "-pk")[:PANEL_ROWS]:
        if not invoice.is_validated:
            state = _("draft")
        elif is_fully_credited(invoice):
            state = _("credited")
        elif is_overdue(invoice, timezone.localdate()):
            state = _("overdue")
        else:
            state = invoice.get_status_display()
        rows.append(
            {
                "invoice": invoice,
                "total": invoice.total if invoice.is_validated else invoice.lines_total(),
                "state": state,
                "url": reverse("admin:billing_invoice_change", args=[invoice.pk]),
            }
        )
    of_member = f"?member__id__exact={member.pk}"
    context = {
        "balance": balance_details(member),
        "debt": member_debt(member, timezone.localdate()),
        "invoices": rows,
        "total": total,
        "more": total > PANEL_ROWS,
        "invoices_url": reverse("admin:billing_invoice_changelist") + of_member,
        "payments_url": reverse("admin:billing_payment_changelist") + of_member,
        "credit_notes_url": reverse("admin:billing_creditnote_changelist") + of_member,
    }
    return render_to_string("admin/members/panels/billing.html", context)


add_member_admin_panel(billing_panel)


# --- SEPA Direct Debit -------------------------------------------------------------------------


class MandateForm(forms.ModelForm):
    reference = forms.CharField(
        label=_("mandate reference"),
        max_length=35,
        required=False,
        help_text=_("The reference printed on the signed mandate; leave empty to have one made."),
    )

    class Meta:
        model = Mandate
        fields = ["member", "reference", "iban", "bic", "account_holder", "signed_on", "revoked_on"]

    def _get_validation_exclusions(self):
        """A new mandate replaces the member's mandate in force (save_mandate revokes
        it): one_mandate_in_force, the one constraint on ``member``, is not checked
        here. The member itself was checked by its form field."""
        return {*super()._get_validation_exclusions(), "member"}  # type: ignore[misc]  # private, not in the stubs


@admin.register(Mandate)
class MandateAdmin(admin.ModelAdmin):
    """Mandates signed on paper are entered here; online ones show the recorded consent.
    A mandate's account never changes: a new account is a new mandate."""

    form = MandateForm
    list_display = ["reference", "member", "iban_display", "signature", "signed_on", "revoked_on"]
    list_filter = ["signature", ("revoked_on", admin.EmptyFieldListFilter), "signed_on"]
    search_fields = ["reference", "iban", "account_holder", *MEMBER_SEARCH]
    autocomplete_fields = ["member"]
    list_select_related = ["member"]
    actions = ["revoke"]
    SIGNED = ["signature", "consent_at", "consent_ip"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.SIGNED
        return ["member", "reference", "iban", "bic", "account_holder", "signed_on", *self.SIGNED]

    def get_fields(self, request, obj=None):
        return [*MandateForm.Meta.fields, *self.SIGNED]

    @admin.display(description=_("IBAN"), ordering="iban")
    def iban_display(self, obj):
        return iban_printed(obj)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            save_mandate(obj)

    def has_delete_permission(self, request, obj=None):
        return False  # collections refer to it: revoke it instead

    @admin.action(description=_("Revoke the selected mandates (no more collections)"), permissions=["change"])
    def revoke(self, request, queryset):
        revoked = [revoke_mandate(mandate) for mandate in queryset.filter(revoked_on__isnull=True)]
        self.message_user(request, _("%d mandate(s) revoked.") % len(revoked), messages.SUCCESS)


#: A collection's fields in its batch, all read-only.
DIRECT_DEBIT_COLLECTION_FIELDS: tuple[str, ...] = (
    "invoice", "mandate", "amount", "sequence", "end_to_end_id", "status", "return_reason",
)  # fmt: skip


class DirectDebitCollectionInline(admin.TabularInline):
    model = DirectDebitCollection
    extra = 0
    fields = DIRECT_DEBIT_COLLECTION_FIELDS
    readonly_fields = DIRECT_DEBIT_COLLECTION_FIELDS
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PrepareDirectDebitsForm(forms.Form):
    collection_date = forms.DateField(
        label=_("collection date"),
        help_text=_(
            "The invoices due by this date are collected; your bank needs the file a few days before."
        ),
    )
    dry_run = forms.BooleanField(label=_("dry run (make no file)"), required=False)


#: A direct debit file's fields, all read-only.
DIRECT_DEBIT_BATCH_FIELDS: tuple[str, ...] = (
    "message_id", "collection_date", "total", "created_at", "download",
)  # fmt: skip


@admin.register(DirectDebitBatch)
class DirectDebitBatchAdmin(admin.ModelAdmin):
    """pain.008 files: "add" prepares the file of a collection date (as the
    prepare_direct_debits command); each file is downloaded to upload to the bank."""

    list_display = ["message_id", "collection_date", "count", "total", "created_at", "download"]
    list_filter = ["collection_date"]
    search_fields = ["message_id"]
    fields = DIRECT_DEBIT_BATCH_FIELDS
    readonly_fields = DIRECT_DEBIT_BATCH_FIELDS
    inlines = [DirectDebitCollectionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(collection_count=Count("collections"))

    @admin.display(description=_("collections"), ordering="collection_count")
    def count(self, obj):
        return obj.collection_count

    @admin.display(description=_("pain.008 file"))
    def download(self, obj):
        url = reverse("admin:billing_directdebitbatch_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("download"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/pain008/",
                self.admin_site.admin_view(self.download_view),
                name="billing_directdebitbatch_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(DirectDebitBatch, pk=pk)
        response = HttpResponse(batch.xml, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{batch.message_id}.xml"'
        return response

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """The collection run: the file of a date, or what it would hold (dry run)."""
        if not self.has_add_permission(request):
            return super().add_view(request, form_url, extra_context)
        form = PrepareDirectDebitsForm(
            request.POST or None, initial={"collection_date": default_collection_date()}
        )
        dues = None
        if request.method == "POST" and form.is_valid():
            try:
                result = prepare_direct_debits(
                    form.cleaned_data["collection_date"], dry_run=form.cleaned_data["dry_run"]
                )
            except ValidationError as error:
                form.add_error(None, one_line(error))
            else:
                if result.batch is not None:
                    self.message_user(request, result.summary(), messages.SUCCESS)
                    return HttpResponseRedirect(
                        reverse("admin:billing_directdebitbatch_change", args=[result.batch.pk])
                    )
                self.message_user(request, result.summary())
                dues = result.dues
        context = {
            **self.admin_site.each_context(request),
            "title": _("Prepare direct debits"),
            "opts": self.model._meta,
            "form": form,
            "dues": dues,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/billing/directdebitbatch/prepare.html", context)


class CollectionReturnForm(forms.ModelForm):
    """Mark by hand a collection the bank rejected before booking it (its reject report
    names it): the reason code and the date; the invoice opens again."""

    return_reason = forms.ChoiceField(
        label=_("return reason"),
        choices=[("", "---------"), *((code, f"{code}: {text}") for code, text in RETURN_REASONS.items())],
        required=False,
        help_text=_("Only for a collection your bank rejected or returned outside a statement."),
    )
    returned_on = forms.DateField(label=_("returned on"), required=False)

    class Meta:
        model = DirectDebitCollection
        fields = ["return_reason", "returned_on"]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if bool(data.get("return_reason")) != bool(data.get("returned_on")):
            raise ValidationError(_("Give both the reason and the date of the return, or neither."))
        return data


@admin.register(DirectDebitCollection)
class DirectDebitCollectionAdmin(admin.ModelAdmin):
    """What each collection became: sent, paid (the statement's credit), returned (the
    bank's R-transaction and its reason). Statement imports and runs change them; a
    reject that no statement shows is entered here (reason and date)."""

    form = CollectionReturnForm
    list_display = ["end_to_end_id", "invoice", "member", "amount", "sequence", "status", "reason", "batch"]
    list_filter = ["status", "sequence", "return_reason", "batch__collection_date"]
    search_fields = ["end_to_end_id", "invoice__number", "mandate__reference", "invoice__member__username"]
    list_select_related = ["invoice__member", "batch", "mandate"]
    DETAILS = ["batch", "invoice", "mandate", "amount", "sequence", "end_to_end_id", "status", "payment"]

    def get_fields(self, request, obj=None):
        if obj is not None and obj.status == DirectDebitCollection.Status.RETURNED:
            return [*self.DETAILS, "reason", "returned_on"]
        return [*self.DETAILS, "return_reason", "returned_on"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == DirectDebitCollection.Status.RETURNED:
            return [*self.DETAILS, "reason", "returned_on"]
        return self.DETAILS

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get("return_reason"):
            return_collection(
                obj, reason=form.cleaned_data["return_reason"], day=form.cleaned_data["returned_on"]
            )

    @admin.display(description=_("member"), ordering="invoice__member__username")
    def member(self, obj):
        return obj.invoice.member

    @admin.display(description=_("return reason"), ordering="return_reason")
    def reason(self, obj):
        return reason_text(obj.return_reason) if obj.return_reason else ""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        returned = obj is not None and obj.status == DirectDebitCollection.Status.RETURNED
        return not returned and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
