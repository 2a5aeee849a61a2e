from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from polymorphic.admin import PolymorphicChildModelAdmin

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
    fields = ["offersubscription", "login", "new_password", "bng", "comment"]
    list_display = ["__str__", "login", "bng", "offersubscription"]
    search_fields = ["login", "offersubscription__member__username"]
    inline = RadiusAccountInline
    view_on_site = False


@admin.register(RadAcct)
class RadAcctAdmin(admin.ModelAdmin):
    """Sessions from FreeRADIUS's accounting (read only); filter on open ones."""

    list_display = [
        "username",
        "acctstarttime",
        "acctupdatetime",
        "acctstoptime",
        "framedipaddress",
        "nasipaddress",
    ]
    list_filter = [("acctstoptime", admin.EmptyFieldListFilter)]
    search_fields = ["username", "framedipaddress"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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

RadiusAccountAdmin.actions = [*RadiusAccountAdmin.actions, coa_admin.send_coa, coa_admin.disconnect]
RadAcctAdmin.actions = [*(RadAcctAdmin.actions or []), coa_admin.send_coa, coa_admin.disconnect]
