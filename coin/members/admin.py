from typing import TYPE_CHECKING, TypedDict

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coin.members.admin_panels import member_admin_panels, searched_members
from coin.members.forms import AdminMemberCreationForm
from coin.members.membership import record_fee, save_member
from coin.members.models import Member, MembershipFee, MembershipFeeReminder
from coin.members.privileges import (
    PERMISSION_FIELDS,
    may_change_credentials,
    may_change_permissions,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class FeeUpToDate(TypedDict):
    """What ``MemberAdmin.get_queryset`` adds to each member."""

    fee_up_to_date: bool


class MembershipFeeInline(admin.TabularInline):
    model = MembershipFee
    extra = 0
    fields = ["amount", "start_date", "end_date", "payment_method", "reference", "payment_date"]


class MemberChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = Member


@admin.register(Member)
class MemberAdmin(UserAdmin):
    form = MemberChangeForm
    add_form = AdminMemberCreationForm
    list_display = [
        "username",
        "display_name",
        "email",
        "type",
        "status",
        "fee_up_to_date",
        "date_joined",
    ]
    list_filter = ["status", "type", "send_membership_fees_email", "is_staff", "is_active"]
    search_fields = [
        "username",
        "first_name",
        "last_name",
        "organization_name",
        "nickname",
        "email",
        "city",
        "postal_code",
    ]
    search_help_text = _("Name, username, email, town, or an IP address of their subscriptions.")
    ordering = ["username"]
    inlines = [MembershipFeeInline]
    OVERVIEW = (_("Overview"), {"fields": ["overview"], "classes": ["member-overview"]})
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (
            _("Identity"),
            {
                "fields": [
                    "type",
                    "status",
                    "first_name",
                    "last_name",
                    "organization_name",
                    "siren",
                    "nickname",
                ]
            },
        ),
        (
            _("Contact"),
            {
                "fields": [
                    "email",
                    "home_phone_number",
                    "mobile_phone_number",
                    "address",
                    "postal_code",
                    "city",
                    "country",
                    "language",
                ]
            },
        ),
        (
            _("Membership"),
            {
                "fields": [
                    "resign_date",
                    "send_membership_fees_email",
                    "comments",
                ]
            },
        ),
        (
            _("Permissions"),
            {
                "classes": ["collapse"],
                "fields": [
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ],
            },
        ),
        (_("Important dates"), {"classes": ["collapse"], "fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "fields": [
                    "type",
                    "status",
                    "first_name",
                    "last_name",
                    "organization_name",
                    "email",
                    "username",
                    "password1",
                    "password2",
                ]
            },
        ),
    ]

    def get_fieldsets(self, request, obj=None):
        """A member's page starts with what other apps know of them (subscriptions,
        balance and invoices, IP addresses: ``admin_panels``)."""
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj is None else [self.OVERVIEW, *fieldsets]

    @admin.display(description=_("subscriptions, billing, addresses"))
    def overview(self, member: Member):
        return member_admin_panels(member) or "—"

    def get_search_results(self, request, queryset, search_term):
        """The text search, and the members other apps find for the term (an IP
        address of one of their subscriptions)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            for pks in searched_members(term):
                results = results | queryset.filter(pk__in=pks)
        return results, may_have_duplicates

    def get_readonly_fields(self, request, obj=None):
        """Only a superuser grants permissions, or changes a staff account's email
        or (through the password page) its password, or deactivates it."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("overview")
        if not may_change_permissions(request.user):
            fields += PERMISSION_FIELDS
        if obj is not None and not may_change_credentials(request.user, obj):
            fields += ["email", "is_active"]
        return fields

    def user_change_password(self, request, id, form_url=""):
        member = self.get_object(request, id)
        if member is not None and not may_change_credentials(request.user, member):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def get_queryset(self, request):
        today = timezone.localdate()
        covering_fee = MembershipFee.objects.filter(
            member=OuterRef("pk"), start_date__lte=today, end_date__gte=today
        )
        return super().get_queryset(request).annotate(fee_up_to_date=Exists(covering_fee))

    def save_model(self, request, obj, form, change):
        save_member(obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not MembershipFee:
            return super().save_formset(request, form, formset, change)
        for fee in formset.save(commit=False):
            record_fee(fee)
        for fee in formset.deleted_objects:
            fee.delete()
        return None

    @admin.display(description=_("fee up to date"), boolean=True, ordering="fee_up_to_date")
    def fee_up_to_date(self, member: "WithAnnotations[Member, FeeUpToDate]") -> bool:
        return member.fee_up_to_date

    @admin.display(description=_("name"))
    def display_name(self, member: Member) -> str:
        return member.display_name()


@admin.register(MembershipFee)
class MembershipFeeAdmin(admin.ModelAdmin):
    list_display = [
        "member",
        "amount",
        "start_date",
        "end_date",
        "payment_method",
        "payment_date",
    ]
    list_filter = ["payment_method", "start_date"]
    search_fields = [
        "member__username",
        "member__first_name",
        "member__last_name",
        "member__organization_name",
        "reference",
    ]
    autocomplete_fields = ["member"]
    date_hierarchy = "start_date"
    list_select_related = ["member"]

    def save_model(self, request, obj, form, change):
        record_fee(obj)


@admin.register(MembershipFeeReminder)
class MembershipFeeReminderAdmin(admin.ModelAdmin):
    list_display = ["member", "membership_end_date", "offset_months", "sent_at"]
    list_filter = ["offset_months", "sent_at"]
    search_fields = ["member__username", "member__email", "member__last_name"]
    list_select_related = ["member"]
    readonly_fields = ["member", "membership_end_date", "offset_months", "sent_at"]

    def has_add_permission(self, request) -> bool:
        return False
