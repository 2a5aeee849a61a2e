"""List filters shared by the apps' admins."""

from django.contrib import admin


class IsSetFilter(admin.SimpleListFilter):
    """A yes/no filter on whether ``field`` is set (not null); ``yes_means_null``
    turns it round (e.g. "ongoing" means no end date)."""

    field = ""
    yes_label = ""
    no_label = ""
    yes_means_null = False

    def lookups(self, request, model_admin):
        return [("yes", self.yes_label), ("no", self.no_label)]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        is_null = (self.value() == "yes") == self.yes_means_null
        return queryset.filter(**{f"{self.field}__isnull": is_null})
