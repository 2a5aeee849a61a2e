"""Admin of configurations: the mixin that configuration apps' admins use, and the
generic admin that lists every configuration of every type."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from polymorphic.admin import PolymorphicChildModelFilter, PolymorphicParentModelAdmin

from coin.configuration.models import Configuration, configuration_models

if TYPE_CHECKING:
    _MixinBase = admin.ModelAdmin[Configuration]
else:
    _MixinBase = object


class ConfigurationAdminFormMixin(_MixinBase):
    """For a configuration app's admin, before PolymorphicChildModelAdmin.

    It limits the subscription field to subscriptions of offers served by this
    configuration type that have no configuration yet, and adds the "push again"
    action.
    """

    autocomplete_fields: ClassVar[list[str] | tuple[str, ...]] = ("offersubscription",)
    actions: Sequence[Any] | None = ("push_again",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if (
            db_field.name == "offersubscription"
            and isinstance(formfield, forms.ModelChoiceField)
            and formfield.queryset is not None
        ):
            object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            queryset = formfield.queryset.filter(offer__configuration_type=self.model._meta.label)
            formfield.queryset = queryset.filter(configuration__isnull=True) | queryset.filter(
                configuration__pk=object_id or 0
            )
        return formfield

    @admin.action(description=_("Push the selected configurations to the network again"))
    def push_again(self, request, queryset):
        for configuration in queryset:
            configuration.provision()
        count = len(queryset)
        self.message_user(
            request,
            ngettext(
                "%d configuration will be pushed again.", "%d configurations will be pushed again.", count
            )
            % count,
            messages.SUCCESS,
        )


@admin.register(Configuration)
class ConfigurationAdmin(PolymorphicParentModelAdmin):
    """Every configuration, whatever its app."""

    base_model = Configuration
    ordering = ["-pk"]
    list_display = ["__str__", "kind", "member_name", "comment"]
    list_filter = [PolymorphicChildModelFilter]
    search_fields = [
        "offersubscription__member__username",
        "offersubscription__member__last_name",
        "offersubscription__member__organization_name",
        "offersubscription__offer__reference",
        "comment",
    ]
    list_select_related = ["offersubscription__member", "offersubscription__offer", "polymorphic_ctype"]

    def get_child_models(self):
        return configuration_models()

    @admin.display(description=_("type"), ordering="polymorphic_ctype")
    def kind(self, configuration: Configuration) -> str:
        """The configuration type's name (e.g. "DSL line"), not the content type."""
        content_type = configuration.polymorphic_ctype
        model = content_type.model_class() if content_type else None
        return str(model._meta.verbose_name if model else content_type)

    @admin.display(description=_("member"))
    def member_name(self, configuration: Configuration) -> str:
        return str(configuration.offersubscription.member)
