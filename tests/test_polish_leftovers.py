"""Issue 14, point 15, what was left: the background tasks' names in the admin, no
literal ``null`` in the ISP's covered area, and a warning when SITE_URL still points at
this machine in production (emails would link to port 8000)."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from coin.checks import site_url_is_local, site_url_set

pytestmark = pytest.mark.django_db


def test_the_task_queue_has_a_translatable_name_in_the_admin(operator_client):
    config = apps.get_app_config("django_tasks_database")
    assert isinstance(config.verbose_name, Promise)  # goes through the catalogue
    with translation.override("en"):
        content = operator_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Background tasks" in content and "Tasks Database Backend" not in content
    from django_tasks_db.models import DBTaskResult

    from coin.apps import TASKS_DB_MODEL_NAMES

    with translation.override("en"):
        assert str(DBTaskResult._meta.verbose_name_plural) in TASKS_DB_MODEL_NAMES
    with translation.override("fr"):
        assert str(DBTaskResult._meta.verbose_name_plural) == "Résultats de tâches"
        french = operator_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Tâches de fond" in french


def test_an_isp_without_covered_area_shows_an_empty_box_not_null(operator_client, isp):
    content = operator_client.get(
        reverse("admin:isp_database_ispinfo_change", args=[isp.pk])
    ).content.decode()
    assert 'name="covered_areas-__prefix__-area"' in content
    assert ">null</textarea>" not in content and ">\nnull</textarea>" not in content


def test_an_isp_saves_a_covered_area_without_a_shape(operator_client, isp):
    from coin.isp_database.admin import CoveredAreaForm

    form = CoveredAreaForm({"name": "Lyon", "technologies": ["ftth"], "area": ""})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["area"] is None
    assert form["area"].value() in ("", None)


@pytest.mark.parametrize(
    "url, local",
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000/", True),
        ("http://coin.localhost", True),
        ("https://coin.arn-fai.net", False),
        ("https://192.0.2.10", False),
    ],
)
def test_a_local_site_url_is_told_apart(url, local):
    assert site_url_is_local(url) is local


def test_production_with_the_default_site_url_warns(settings):
    settings.DEBUG = False
    settings.SITE_URL = "http://127.0.0.1:8000"
    [warning] = site_url_set()
    assert warning.id == "coin.W001" and "SITE_URL" in warning.msg
    with pytest.raises(SystemCheckError, match="coin.W001"):
        call_command("check", fail_level="WARNING")
    settings.DEBUG = True  # a developer's machine: nothing to say
    assert site_url_set() == []
    settings.DEBUG = False
    settings.SITE_URL = "https://coin.isp.example"
    assert site_url_set() == []
