from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from polymorphic.admin import PolymorphicChildModelAdmin

from coa.accounting import close_sessions, stale_sessions
from coa.charts import human_bytes
from coa.forms import BNGForm, RadiusAccountForm
from coa.models import BNG, RadAcct, RadiusAccount, RadiusGroup, RadiusGroupAttribute
from coa.radius import delete_group, sync_group
from coin.configuration.admin import ConfigurationAdminFormMixin
from coin.offers.admin import add_offer_inline
from coin.offers.models import Offer


@admin.register(BNG)
class BNGAdmin(admin.ModelAdmin):
    form = BNGForm
    list_display = ["name", "address", "vendor", "coa_port", "masked_secret"]
    search_fields = ["name", "address", "nas_identifier"]

    @admin.display(description=_("shared secret"))
    def masked_secret(self, obj):
        return obj.masked_secret


class RadiusGroupAttributeInline(admin.TabularInline):
    model = RadiusGroupAttribute
    extra = 1


@admin.register(RadiusGroup)
class RadiusGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "offer"]
    inlines = [RadiusGroupAttributeInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        old = form.initial.get("name")
        if old and old != form.instance.name:
            delete_group(old)
        sync_group(form.instance)

    def delete_model(self, request, obj):
        delete_group(obj.name)
        super().delete_model(request, obj)


class RadiusAccountInline(admin.StackedInline):
    model = RadiusAccount
    form = RadiusAccountForm
    fields = ["login", "new_password", "bng", "comment"]


@admin.register(RadiusAccount)
class RadiusAccountAdmin(ConfigurationAdminFormMixin, PolymorphicChildModelAdmin):
    base_model = RadiusAccount
    form = RadiusAccountForm
    fields = ["offersubscription", "login", "new_password", "bng", "comment", "sessions"]
    readonly_fields = ["sessions"]
    list_display = ["__str__", "login", "bng", "offersubscription", "sessions"]
    search_fields = ["login", "offersubscription__member__username"]
    inline = RadiusAccountInline
    view_on_site = False

    @admin.display(description=_("sessions"))
    def sessions(self, obj):
        if not obj or not obj.login:
            return "—"
        url = reverse("admin:coa_radacct_changelist") + f"?username={obj.login}"
        return format_html('<a href="{}">{}</a>', url, _("RADIUS sessions"))


class SessionStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("online", _("online (open)")),
            ("stale", _("stale (open, no recent update)")),
            ("closed", _("closed")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "online":
            return queryset.filter(acctstoptime__isnull=True)
        if self.value() == "stale":
            return queryset.filter(pk__in=stale_sessions(timezone.now()).values("pk"))
        if self.value() == "closed":
            return queryset.filter(acctstoptime__isnull=False)
        return queryset


@admin.register(RadAcct)
class RadAcctAdmin(admin.ModelAdmin):
    """Sessions from FreeRADIUS's accounting (read only): online, stale and closed ones,
    a subscription's with ?username=<login>; stale ones can be closed."""

    list_display = [
        "username",
        "acctstarttime",
        "acctupdatetime",
        "acctstoptime",
        "framedipaddress",
        "nasipaddress",
        "traffic",
    ]
    list_filter = [SessionStateFilter]
    search_fields = ["=username", "=framedipaddress"]
    ordering = ["-acctstarttime"]
    show_full_result_count = False
    actions = ["close_stale"]

    @admin.display(description=_("traffic (down / up)"))
    def traffic(self, obj):
        return f"{human_bytes(obj.acctoutputoctets or 0)} / {human_bytes(obj.acctinputoctets or 0)}"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_close_permission(self, request):
        return request.user.has_perm("coa.change_radacct")

    @admin.action(description=_("Close the selected stale sessions"), permissions=["close"])
    def close_stale(self, request, queryset):
        stale = stale_sessions(timezone.now()).filter(pk__in=queryset.values("pk"))
        closed = close_sessions(stale, timezone.now())
        skipped = queryset.count() - closed
        self.message_user(
            request,
            _("%(closed)d stale session(s) closed, %(skipped)d left (not stale).")
            % {"closed": closed, "skipped": skipped},
            messages.SUCCESS,
        )


class OfferRadiusGroupInline(admin.StackedInline):
    model = RadiusGroup
    fields = ["name"]
    extra = 0
    max_num = 1
    verbose_name = _("RADIUS group (its attributes are edited under RADIUS groups)")

    # Only on offers of RADIUS accounts (other offers' forms stay as they were).
    @staticmethod
    def _applies(obj) -> bool:
        if isinstance(obj, RadiusGroup):
            return True
        return isinstance(obj, Offer) and obj.configuration_type == "coa.RadiusAccount"

    def has_view_permission(self, request, obj=None):
        return self._applies(obj) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._applies(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._applies(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._applies(obj) and super().has_delete_permission(request, obj)


add_offer_inline(OfferRadiusGroupInline)


# --- CoA (coa/coa_admin.py): the request history, sending by hand, disconnecting ---------

from coa import coa_admin  # noqa: E402 (registers CoARequestAdmin)

RadiusAccountAdmin.actions = [*(RadiusAccountAdmin.actions or []), coa_admin.send_coa, coa_admin.disconnect]
RadAcctAdmin.actions = [*(RadAcctAdmin.actions or []), coa_admin.send_coa, coa_admin.disconnect]
