"""The inventory as CSV: export, then import with a dry run; a file with bad lines
reports each line's errors and saves nothing, in the admin as in the function."""

import datetime

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile

from hardware_provisioning.models import Item
from hardware_provisioning.resources import ItemResource, import_items

pytestmark = pytest.mark.django_db

HEADER = "id,type,designation,storage,mac_address,serial,buy_date,warranty_end,owner,deployed,comment\n"
GOOD = HEADER + (
    ",Router,Turris Omnia,Local,D8-58-D7-00-11-01,OMNIA-1,2025-03-01,2027-03-01,,0,\n"
    ",Router,Turris Omnia,Local,d858.d700.1102,OMNIA-2,2025-03-01,2027-03-01,camille,0,Owned by Camille\n"
    ",Router,Archer C7,,,TPL-9,,,,1,On the roof\n"
)
BAD = HEADER + (
    ",Router,Turris Omnia,Local,D8-58-D7-00-11-01,OMNIA-1,2025-03-01,2027-03-01,,0,\n"
    ",Router,Bad MAC,Local,not-a-mac,X-2,,,,0,\n"
    ",Toaster,Unknown type,Local,,X-3,,,,0,\n"
    ",Router,Backwards warranty,Local,,X-4,2025-03-01,2024-03-01,,0,\n"
    ",Router,Same MAC,Local,d8:58:d7:00:11:01,X-5,,,,0,\n"
)


def dataset(text: str) -> tablib.Dataset:
    return tablib.Dataset().load(text, format="csv")


def row_errors(result) -> dict[int, dict[str, list[str]]]:
    """Line number (1 = first data line) → field → messages."""
    found = {}
    for row in result.invalid_rows:
        found[row.number] = {field: [str(m) for m in messages] for field, messages in row.error_dict.items()}
    for number, errors in result.row_errors():
        found.setdefault(number, {})["__all__"] = [str(e.error) for e in errors]
    return found


def test_a_good_file_imports_after_a_dry_run(router_type, site, member):
    dry = import_items(dataset(GOOD), dry_run=True)
    assert not dry.has_errors() and not dry.has_validation_errors()
    assert Item.objects.count() == 0  # a dry run saves nothing
    result = import_items(dataset(GOOD), dry_run=False)
    assert result.totals["new"] == 3
    items = {item.serial: item for item in Item.objects.all()}
    assert items["OMNIA-1"].mac_address == "d8:58:d7:00:11:01"  # normalised
    assert items["OMNIA-2"].mac_address == "d8:58:d7:00:11:02"
    assert items["OMNIA-2"].owner == member and items["OMNIA-1"].owner is None
    assert items["OMNIA-1"].buy_date == datetime.date(2025, 3, 1) and items["OMNIA-1"].storage == site
    assert items["TPL-9"].deployed and items["TPL-9"].storage is None


def test_a_bad_file_reports_each_line_and_saves_nothing(router_type, site):
    for dry_run in (True, False):
        result = import_items(dataset(BAD), dry_run=dry_run)
        assert result.has_validation_errors()
        errors = row_errors(result)
        assert set(errors) == {2, 3, 4, 5}, errors
        assert "mac_address" in errors[2] and "is not a MAC address" in errors[2]["mac_address"][0]
        assert "no item type named “Toaster”" in " ".join(errors[3].get("type", []))
        assert errors[4] == {"warranty_end": ["The warranty cannot end before the buy date."]}
        assert errors[5] == {"mac_address": ["Another item has this MAC address."]}
        assert Item.objects.count() == 0  # not even line 1


def test_export_then_reimport_changes_nothing(make_item, member):
    make_item(owner=member, buy_date=datetime.date(2025, 1, 2))
    make_item(storage=None)
    exported = ItemResource().export()
    text = exported.csv
    assert text.splitlines()[0] == HEADER.strip()
    assert "camille" in text and "c0:4a:00:10:20:01" in text
    result = import_items(dataset(text), dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == 2 and Item.objects.count() == 2


def test_admin_import_dry_run_then_confirm(admin_client, router_type, site, member):
    url = "/admin/hardware_provisioning/item/import/"
    assert admin_client.get(url).status_code == 200
    upload = SimpleUploadedFile("items.csv", GOOD.encode(), content_type="text/csv")
    response = admin_client.post(url, {"import_file": upload, "format": "0"})
    assert response.status_code == 200 and Item.objects.count() == 0
    confirm = response.context["confirm_form"]
    response = admin_client.post(
        "/admin/hardware_provisioning/item/process_import/", confirm.initial, follow=True
    )
    assert response.status_code == 200
    assert Item.objects.count() == 3


def test_admin_import_of_a_bad_file_shows_the_lines_and_offers_no_confirmation(
    admin_client, router_type, site
):
    upload = SimpleUploadedFile("items.csv", BAD.encode(), content_type="text/csv")
    response = admin_client.post(
        "/admin/hardware_provisioning/item/import/", {"import_file": upload, "format": "0"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert "is not a MAC address" in page and "Another item has this MAC address." in page
    assert Item.objects.count() == 0


def test_admin_export_is_csv(admin_client, make_item):
    make_item()
    response = admin_client.post(
        "/admin/hardware_provisioning/item/export/",
        {"format": "0", **{f"itemresource_{name}": "on" for name in ItemResource().get_export_order()}},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "c0:4a:00:10:20:01" in response.content.decode()
