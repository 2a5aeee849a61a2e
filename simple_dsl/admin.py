from django.contrib import admin
from polymorphic.admin import PolymorphicChildModelAdmin

from coin.configuration.admin import ConfigurationAdminFormMixin
from simple_dsl.models import SimpleDSL


class SimpleDSLInline(admin.StackedInline):
    model = SimpleDSL
    fields = ["phone_number", "comment"]


@admin.register(SimpleDSL)
class SimpleDSLAdmin(ConfigurationAdminFormMixin, PolymorphicChildModelAdmin):
    base_model = SimpleDSL
    list_display = ["__str__", "phone_number", "offersubscription"]
    search_fields = ["phone_number", "offersubscription__member__username"]
    fields = ["offersubscription", "phone_number", "comment"]
    inline = SimpleDSLInline
    view_on_site = False
