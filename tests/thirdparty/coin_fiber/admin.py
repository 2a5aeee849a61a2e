from django.contrib import admin
from polymorphic.admin import PolymorphicChildModelAdmin

from coin.configuration.admin import ConfigurationAdminFormMixin
from coin_fiber.models import FiberLine


class FiberLineInline(admin.StackedInline):
    model = FiberLine
    fields = ["optical_outlet", "ont_serial", "comment"]


@admin.register(FiberLine)
class FiberLineAdmin(ConfigurationAdminFormMixin, PolymorphicChildModelAdmin):
    base_model = FiberLine
    inline = FiberLineInline
    search_fields = ["optical_outlet", "ont_serial"]
