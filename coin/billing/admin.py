"""Billing in the admin: invoices (drafts editable, validated ones read-only but for
their status), credit notes, payments with what they paid, receipts, and bank
statement imports (upload page and report).

Every change goes through the ledger functions (invoices.py, payments.py,
receipts.py, bank_import.py), so the admin keeps the same guarantees as the commands:
the forms of credit notes and receipts issue them when saved (``save()`` returns the
issued bill), and refusals are shown with ``coin.validation``.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coin.admin_filters import list_filter
from coin.billing import einvoice_export
from coin.billing.bank_import import FORMATS, BankImportError, import_statement
from coin.billing.filtersets import InvoiceFilterSet, PaymentFilterSet
from coin.billing.invoices import check_credit_note, issue_credit_note, validate_invoice
from coin.billing.ledger import close_if_settled, with_amounts, with_unallocated
from coin.billing.models import (
    BankImport,
    CreditNote,
    Invoice,
    InvoiceDetail,
    Payment,
    PaymentAllocation,
    Receipt,
)
from coin.billing.payments import delete_payment, payment_saved, settle
from coin.billing.receipts import create_fee_receipt, issue_receipt
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
    DETAILS = ["number", "amount", "remaining", "date_due", "validated_at", "pdf_link", "credit_note_link"]

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
        return obj.get_status_display() if obj.is_validated else _("draft")

    @admin.display(description=_("remaining"), ordering="remaining")
    def remaining(self, obj):
        return obj.remaining if obj.is_validated else "—"

    @admin.display(description=_("validated"), boolean=True, ordering="validated_at")
    def validated(self, obj):
        return obj.is_validated

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
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
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
        return HttpResponseRedirect(reverse("admin:billing_creditnote_add") + f"?invoice={invoices[0].pk}")


# --- Credit notes ----------------------------------------------------------------------------


class CreditNoteForm(forms.ModelForm):
    """Checks with ``invoices.check_credit_note`` (the rule and its messages); saving
    issues the note with ``issue_credit_note``, which numbers and saves it."""

    class Meta:
        model = CreditNote
        fields = ["invoice", "date", "amount", "reason"]

    def clean(self):
        cleaned = super().clean()
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
        self.save_m2m = self._save_m2m  # the admin calls it after save(commit=False)
        if self.instance.pk is not None:
            return self.instance
        data = self.cleaned_data
        self.instance = issue_credit_note(data["invoice"], data["amount"], data["reason"], data.get("date"))
        return self.instance


@admin.register(CreditNote)
class CreditNoteAdmin(admin.ModelAdmin):
    form = CreditNoteForm
    list_display = ["__str__", "invoice", "member", "date", "amount", "reason"]
    list_filter = ["date"]
    search_fields = ["number", "invoice__number", "reason", *MEMBER_SEARCH]
    autocomplete_fields = ["invoice"]
    list_select_related = ["invoice", "member"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["invoice", "date", "amount", "reason"]
        return ["number", "invoice", "member", "date", "amount", "reason", "validated_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

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
        cleaned = super().clean()
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
        self.save_m2m = self._save_m2m  # the admin calls it after save(commit=False)
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


def render_report(report: dict) -> str:
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
        (_("Ignored lines"), "ignored", ["line", "reason"]),
    ]:
        items = report.get(key) or []
        if items:
            parts.append(
                format_html("<h3>{} ({})</h3><table>{}</table>", title, len(items), rows(items, keys))
            )
    return format_html_join("", "{}", ((part,) for part in parts))


@admin.register(BankImport)
class BankImportAdmin(admin.ModelAdmin):
    list_display = ["imported_at", "filename", "file_format", "imported_by", "imported", "unmatched"]
    list_filter = ["file_format", "imported_at"]
    search_fields = ["filename", "sha256"]
    list_select_related = ["imported_by"]
    fields = [
        "filename",
        "file_format",
        "sha256",
        "imported_at",
        "imported_by",
        "payments_link",
        "report_html",
    ]
    readonly_fields = fields

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
