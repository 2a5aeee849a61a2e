from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from coin.isp_database.models import (
    BankInfo,
    ChatRoom,
    CoveredArea,
    ISPInfo,
    OtherWebsite,
    RegisteredOffice,
)


class OptionalJSONField(forms.JSONField):
    """A JSON field that may stay empty: nothing shows an empty box, not ``null``."""

    def prepare_value(self, value):
        return "" if value is None else super().prepare_value(value)


class CoveredAreaForm(forms.ModelForm):
    technologies = forms.MultipleChoiceField(
        label=_("technologies"),
        choices=CoveredArea.Technology.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = CoveredArea
        fields = ["name", "technologies", "area"]
        field_classes = {"area": OptionalJSONField}


# Addresses typed without a scheme are https ones (Django 6's default, without its warning).
URL_FIELDS_ASSUME_HTTPS: dict[type[models.Field], dict[str, str]] = {
    models.URLField: {"assume_scheme": "https"}
}


class RegisteredOfficeInline(admin.StackedInline):
    model = RegisteredOffice
    extra = 0


class BankInfoInline(admin.StackedInline):
    model = BankInfo
    extra = 0


class OtherWebsiteInline(admin.TabularInline):
    model = OtherWebsite
    extra = 0
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS


class ChatRoomInline(admin.TabularInline):
    model = ChatRoom
    extra = 0


class CoveredAreaInline(admin.StackedInline):
    model = CoveredArea
    form = CoveredAreaForm
    extra = 0


@admin.register(ISPInfo)
class ISPInfoAdmin(admin.ModelAdmin):
    list_display = ["name", "shortname", "email", "website", "progressStatus"]
    search_fields = ["name", "shortname"]
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    inlines = [
        RegisteredOfficeInline,
        BankInfoInline,
        OtherWebsiteInline,
        ChatRoomInline,
        CoveredAreaInline,
    ]
    fieldsets = [
        (None, {"fields": ["name", "shortname", "description", "logoURL", "website"]}),
        (
            _("Contact"),
            {
                "fields": [
                    "email",
                    "mainMailingList",
                    "administrative_email",
                    "support_email",
                ]
            },
        ),
        (
            _("Federation"),
            {
                "fields": [
                    "creationDate",
                    "ffdnMemberSince",
                    "progressStatus",
                    "latitude",
                    "longitude",
                ]
            },
        ),
    ]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not ISPInfo.objects.exists()
