"""The hardware in the admin: items with their availability, filters, search by MAC
or serial, loan history, bulk moves between storage sites, counts per type and
site, CSV import/export; loans with approve/refuse/end actions and dependent
choices (django-autocomplete-light); lent hardware on the subscription's page."""

from collections import defaultdict
from typing import TYPE_CHECKING, TypedDict

from dal import autocomplete
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV

from coin.admin_filters import list_filter
from coin.offers.admin import add_subscription_inline
from hardware_provisioning import loans
from hardware_provisioning.filtersets import ItemFilterSet
from hardware_provisioning.forms import LoanAdminForm, MoveItemsForm
from hardware_provisioning.mac import normalise_mac
from hardware_provisioning.models import Item, ItemType, Loan, Storage
from hardware_provisioning.resources import ItemResource

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations


class ItemCounts(TypedDict):
    """What ``ItemTypeAdmin.get_queryset`` adds to each type."""

    n_items: int
    n_available: int


class StoredCount(TypedDict):
    """What ``StorageAdmin.get_queryset`` adds to each storage site."""

    n_items: int


@admin.register(ItemType)
class ItemTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "item_count", "available_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        available = Item.objects.available().values("pk")
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_items=Count("items", distinct=True),
                n_available=Count("items", filter=Q(items__pk__in=available), distinct=True),
            )
        )

    @admin.display(description=_("items"), ordering="n_items")
    def item_count(self, obj: "WithAnnotations[ItemType, ItemCounts]") -> int:
        return obj.n_items

    @admin.display(description=_("available"), ordering="n_available")
    def available_count(self, obj: "WithAnnotations[ItemType, ItemCounts]") -> int:
        return obj.n_available


@admin.register(Storage)
class StorageAdmin(admin.ModelAdmin):
    list_display = ["name", "truncated_address", "item_count"]
    search_fields = ["name", "truncated_address"]

    def get_queryset(self, request):
        available = Item.objects.available().values("pk")
        return (
            super().get_queryset(request).annotate(n_items=Count("items", filter=Q(items__pk__in=available)))
        )

    @admin.display(description=_("items in storage"), ordering="n_items")
    def item_count(self, obj: "WithAnnotations[Storage, StoredCount]") -> int:
        return obj.n_items


StateFilter = list_filter(ItemFilterSet, "state", _("availability"))
OwnerFilter = list_filter(ItemFilterSet, "owned_by", _("owner"))


class LoanHistoryInline(admin.TabularInline):
    """An item's loans, newest first; loans are changed from their own page."""

    model = Loan
    fk_name = "item"
    fields = readonly_fields = ("member", "state", "start", "end", "location", "subscription")
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("loan history")

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member", "subscription__offer")


@admin.register(Item)
class ItemAdmin(ImportExportModelAdmin):
    resource_classes = [ItemResource]
    formats = [CSV]
    change_list_template = "admin/hardware_provisioning/item/change_list.html"
    list_display = ["designation", "type", "availability", "storage", "mac_address", "serial", "owner_name"]
    list_filter = [StateFilter, "type", "storage", OwnerFilter]
    search_fields = ["mac_address", "serial", "designation"]
    list_select_related = ["type", "storage", "owner"]
    autocomplete_fields = ["owner"]
    inlines = [LoanHistoryInline]
    actions = ["move_to_storage"]
    fieldsets = [
        (None, {"fields": ["type", "designation", "storage", "deployed"]}),
        (_("Identification"), {"fields": ["mac_address", "serial"]}),
        (_("Ownership"), {"fields": ["owner", "buy_date", "warranty_end"]}),
        (None, {"fields": ["comment"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_loan_state()

    def get_search_results(self, request, queryset, search_term):
        """A MAC address is found whatever its written form (aa-bb…, AABB.CCDD…)."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            mac = normalise_mac(search_term)
        except ValidationError:
            mac = ""
        if mac:
            found |= queryset.filter(mac_address=mac)
        return found, may_have_duplicates

    @admin.display(description=_("availability"))
    def availability(self, item: Item) -> str:
        return item.get_state_display()

    @admin.display(description=_("owner"), ordering="owner__username")
    def owner_name(self, item: Item) -> str:
        return str(item.owner) if item.owner_id else gettext("the ISP")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "hardware_counts": inventory_counts()}
        return super().changelist_view(request, extra_context=extra_context)

    @admin.action(description=_("Move to another storage site"), permissions=["change"])
    def move_to_storage(self, request, queryset):
        """Asks the destination on an intermediate page, then moves the items that are
        in storage (lent, requested or deployed ones stay where they are)."""
        form = MoveItemsForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            moved, left = loans.move_items(list(queryset), form.cleaned_data["storage"])
            if moved:
                self.message_user(
                    request,
                    ngettext("%(n)d item moved to %(site)s.", "%(n)d items moved to %(site)s.", len(moved))
                    % {"n": len(moved), "site": form.cleaned_data["storage"]},
                    messages.SUCCESS,
                )
            if left:
                self.message_user(
                    request,
                    _("Not moved (lent, requested or deployed): %(items)s")
                    % {"items": ", ".join(str(item) for item in left)},
                    messages.WARNING,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Move items to another storage site"),
            "form": form,
            "items": queryset.select_related("type", "storage"),
            "opts": self.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/hardware_provisioning/item/move.html", context)


def inventory_counts() -> dict:
    """Items per type: in storage per site, requested, lent, deployed (one query)."""
    rows = (
        Item.objects.with_loan_state()
        .values("type__name", "storage__name", "deployed", "is_lent", "is_requested")
        .annotate(n=Count("pk"))
        .order_by()
    )
    sites: set[str] = set()
    table: dict[str, dict] = defaultdict(
        lambda: {"sites": defaultdict(int), "requested": 0, "lent": 0, "deployed": 0}
    )
    for row in rows:
        counts = table[row["type__name"]]
        if row["deployed"]:
            counts["deployed"] += row["n"]
        elif row["is_lent"]:
            counts["lent"] += row["n"]
        elif row["is_requested"]:
            counts["requested"] += row["n"]
        else:
            site = row["storage__name"] or str(_("unknown site"))
            sites.add(site)
            counts["sites"][site] += row["n"]
    columns = sorted(sites)
    return {
        "sites": columns,
        "rows": [
            {
                "type": name,
                "sites": [counts["sites"].get(site, 0) for site in columns],
                "requested": counts["requested"],
                "lent": counts["lent"],
                "deployed": counts["deployed"],
            }
            for name, counts in sorted(table.items())
        ],
    }


class StaffAutocomplete(autocomplete.Select2QuerySetView):
    """Autocompletes of the loan form: staff who may change or add loans only."""

    def dispatch(self, request, *args, **kwargs):
        if not (
            request.user.has_perm("hardware_provisioning.add_loan")
            or request.user.has_perm("hardware_provisioning.change_loan")
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class AvailableItemAutocomplete(StaffAutocomplete):
    def get_queryset(self):
        items = Item.objects.available().select_related("type")
        if type_pk := self.forwarded.get("item_type"):
            items = items.filter(type_id=type_pk)
        if self.q:
            mac = ""
            try:
                mac = normalise_mac(self.q)
            except ValidationError:
                pass
            match = Q(designation__icontains=self.q) | Q(serial__icontains=self.q)
            items = items.filter(match | Q(mac_address=mac) if mac else match)
        return items.order_by("type__name", "designation", "pk")


class MemberAutocomplete(StaffAutocomplete):
    def get_queryset(self):
        members = get_user_model().objects.filter(is_active=True)
        if self.q:
            members = members.filter(
                Q(username__icontains=self.q)
                | Q(first_name__icontains=self.q)
                | Q(last_name__icontains=self.q)
                | Q(organization_name__icontains=self.q)
                | Q(email__icontains=self.q)
            )
        return members.order_by("username")


class SubscriptionAutocomplete(StaffAutocomplete):
    def get_queryset(self):
        from coin.offers.models import OfferSubscription

        subscriptions = OfferSubscription.objects.select_related("offer", "member")
        member_pk = self.forwarded.get("member")
        if not member_pk:
            return subscriptions.none()
        subscriptions = subscriptions.filter(member_id=member_pk)
        if self.q:
            subscriptions = subscriptions.filter(
                Q(offer__name__icontains=self.q) | Q(offer__reference__icontains=self.q)
            )
        return subscriptions.order_by("-subscription_date")


@admin.register(Loan)
class LoanAdmin(admin.ModelAdmin):
    form = LoanAdminForm
    list_display = ["item", "member", "state", "start", "end", "subscription", "handover_to"]
    list_filter = ["state", "item__type", "start"]
    search_fields = [
        "item__mac_address",
        "item__serial",
        "item__designation",
        "member__username",
        "member__email",
    ]
    list_select_related = ["item__type", "member", "subscription__offer", "handover_to"]
    readonly_fields = ["handover_to", "created_at"]
    actions = ["approve", "refuse", "end"]
    date_hierarchy = "start"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        info = "hardware_provisioning_loan"
        return [
            path(
                "autocomplete/item/",
                wrap(AvailableItemAutocomplete.as_view()),
                name=f"{info}_item_autocomplete",
            ),
            path(
                "autocomplete/member/", wrap(MemberAutocomplete.as_view()), name=f"{info}_member_autocomplete"
            ),
            path(
                "autocomplete/subscription/",
                wrap(SubscriptionAutocomplete.as_view()),
                name=f"{info}_subscription_autocomplete",
            ),
            *super().get_urls(),
        ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.state == Loan.State.RUNNING and obj.item.storage_id is not None:
            obj.item.storage = None
            obj.item.save(update_fields=["storage"])

    def _handle(self, request, queryset, handler, done: "StrOrPromise") -> None:
        handled = 0
        for loan in queryset:
            try:
                handler(loan)
                handled += 1
            except ValidationError as error:
                self.message_user(request, f"{loan}: {' '.join(error.messages)}", messages.ERROR)
        if handled:
            self.message_user(request, done % {"n": handled}, messages.SUCCESS)

    @admin.action(description=_("Approve the selected requests (loans start today)"), permissions=["change"])
    def approve(self, request, queryset):
        self._handle(request, queryset, loans.approve, _("%(n)d request(s) approved."))

    @admin.action(description=_("Refuse the selected requests"), permissions=["change"])
    def refuse(self, request, queryset):
        self._handle(request, queryset, loans.refuse, _("%(n)d request(s) refused."))

    @admin.action(description=_("End the selected loans today"), permissions=["change"])
    def end(self, request, queryset):
        self._handle(request, queryset, loans.end_loan, _("%(n)d loan(s) ended."))


class SubscriptionHardwareInline(admin.TabularInline):
    """The hardware lent for a subscription, on the subscription's admin page."""

    model = Loan
    fk_name = "subscription"
    fields = readonly_fields = ("item", "member", "state", "start", "end", "location")
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("lent hardware")
    verbose_name_plural = _("lent hardware")

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item__type", "member")


add_subscription_inline(SubscriptionHardwareInline)
