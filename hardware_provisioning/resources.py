"""The inventory as CSV (django-import-export): one row per item, types, storage
sites and owners by name.

An import validates every row with the model's own rules (``full_clean()``:
MAC address, dates in order, unique MAC) and runs in one transaction that is
rolled back when any row is wrong: a file is imported whole or not at all, and
the admin's dry run lists the errors line by line.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from hardware_provisioning.models import Item, ItemType, Storage


class NamedForeignKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key written as the related row's name; an unknown name is an error
    of the row (never a new row made up from a typo)."""

    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return None
        try:
            return super().clean(str(value).strip(), row, **kwargs)
        except self.model.DoesNotExist as error:
            raise ValueError(
                _("no %(model)s named “%(name)s”") % {"model": self.model._meta.verbose_name, "name": value}
            ) from error


class ItemResource(resources.ModelResource):
    type = fields.Field(
        attribute="type", column_name="type", widget=NamedForeignKeyWidget(ItemType, field="name")
    )
    storage = fields.Field(
        attribute="storage", column_name="storage", widget=NamedForeignKeyWidget(Storage, field="name")
    )
    owner = fields.Field(
        attribute="owner",
        column_name="owner",
        widget=NamedForeignKeyWidget(get_user_model(), field="username"),
    )

    class Meta:
        model = Item
        fields = [
            "id", "type", "designation", "storage", "mac_address", "serial", "buy_date", "warranty_end",
            "owner", "deployed", "comment",
        ]  # fmt: skip
        export_order = fields
        import_id_fields = ["id"]
        clean_model_instances = True
        use_transactions = True
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return Item.objects.select_related("type", "storage", "owner").order_by("pk")


def import_items(dataset, *, dry_run: bool):
    """Import ``dataset`` (a tablib Dataset) whole or not at all: the result holds the
    errors per line; with any error, nothing is saved."""
    return ItemResource().import_data(
        dataset,
        dry_run=dry_run,
        raise_errors=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
    )
