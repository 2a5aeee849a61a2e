"""How the settings are assembled: environment variables, optional apps, template overrides,
and the production settings that contrib/ documents."""

import copy
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management.utils import get_random_secret_key

from coin import settings_base
from coin.settings_support import apply_environment, apply_extras

PRODUCTION_EXAMPLE = Path(settings.BASE_DIR) / "contrib" / "settings_local.production.py"


def base_settings() -> dict:
    """A fresh copy of the default settings, as a settings module's globals()."""
    return copy.deepcopy({name: value for name, value in vars(settings_base).items() if name.isupper()})


# --- apply_environment ------------------------------------------------------------------


def test_no_environment_changes_nothing():
    values = base_settings()
    apply_environment(values, {})
    assert values == base_settings()


def test_sqlite_database_url():
    values = base_settings()
    apply_environment(values, {"COIN_DATABASE_URL": "sqlite:////var/lib/coin/db.sqlite3"})
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == "/var/lib/coin/db.sqlite3"
    assert list(values["DATABASES"]) == ["default"]


def test_postgres_database_url():
    values = base_settings()
    apply_environment(values, {"COIN_DATABASE_URL": "postgres://coin:s%40cret@db.isp.example:5433/coin"})
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == ("coin", "coin", "s@cret")
    assert (database["HOST"], int(database["PORT"])) == ("db.isp.example", 5433)
    assert database["CONN_MAX_AGE"] > 0


@pytest.mark.parametrize(
    "url, host",
    [
        ("postgres://%2Fvar%2Frun%2Fpostgresql/coin", "/var/run/postgresql"),
        ("postgresql://coin@/coin?host=/run/postgresql", None),
    ],
)
def test_postgres_database_url_on_a_unix_socket(url, host):
    values = base_settings()
    apply_environment(values, {"COIN_DATABASE_URL": url})
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["NAME"] == "coin"
    assert (database["HOST"] or database["OPTIONS"]["host"]) == (host or "/run/postgresql")


@pytest.mark.parametrize("value", ["1", "true", "True", "YES", "on", " yes "])
def test_debug_on(value):
    values = base_settings()
    apply_environment(values, {"COIN_DEBUG": value})
    assert values["DEBUG"] is True


@pytest.mark.parametrize("value", ["0", "false", "no", "off", ""])
def test_debug_off(value):
    values = {**base_settings(), "DEBUG": True}
    apply_environment(values, {"COIN_DEBUG": value})
    assert values["DEBUG"] is False


def test_debug_unset_keeps_the_file_value():
    values = {**base_settings(), "DEBUG": True}
    apply_environment(values, {})
    assert values["DEBUG"] is True


def test_allowed_hosts():
    values = base_settings()
    apply_environment(values, {"COIN_ALLOWED_HOSTS": "coin.isp.example, .isp.example,,"})
    assert values["ALLOWED_HOSTS"] == ["coin.isp.example", ".isp.example"]


def test_empty_allowed_hosts_keeps_the_file_value():
    values = base_settings()
    apply_environment(values, {"COIN_ALLOWED_HOSTS": ""})
    assert values["ALLOWED_HOSTS"] == settings_base.ALLOWED_HOSTS


def test_secret_key():
    values = base_settings()
    key = get_random_secret_key()
    apply_environment(values, {"COIN_SECRET_KEY": key})
    assert values["SECRET_KEY"] == key


def test_other_variables():
    values = base_settings()
    apply_environment(
        values,
        {
            "COIN_CSRF_TRUSTED_ORIGINS": "https://coin.isp.example",
            "COIN_SITE_URL": "https://coin.isp.example",
            "COIN_DEFAULT_FROM_EMAIL": "coin@isp.example",
            "COIN_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        },
    )
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://coin.isp.example"]
    assert values["SITE_URL"] == "https://coin.isp.example"
    assert values["DEFAULT_FROM_EMAIL"] == "coin@isp.example"
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_extra_apps_from_the_environment_add_to_the_file_ones():
    values = {**base_settings(), "EXTRA_INSTALLED_APPS": ["simple_dsl"]}
    apply_environment(values, {"COIN_EXTRA_INSTALLED_APPS": "vpn, coa"})
    assert values["EXTRA_INSTALLED_APPS"] == ["simple_dsl", "vpn", "coa"]


def test_the_process_environment_is_read_by_default(monkeypatch):
    monkeypatch.setenv("COIN_ALLOWED_HOSTS", "from-env.isp.example")
    monkeypatch.setenv("COIN_DEBUG", "1")
    values = base_settings()
    apply_environment(values)
    assert values["ALLOWED_HOSTS"] == ["from-env.isp.example"]
    assert values["DEBUG"] is True


# --- apply_extras -----------------------------------------------------------------------


def test_extra_apps_come_after_the_built_in_ones_without_duplicates():
    values = {
        **base_settings(),
        "EXTRA_INSTALLED_APPS": ["vpn", "coin.members", "coa", "django.contrib.admin"],
    }
    apply_extras(values)
    assert values["INSTALLED_APPS"] == [*settings_base.INSTALLED_APPS, "vpn", "coa"]


def test_no_extras_changes_nothing():
    values = base_settings()
    apply_extras(values)
    assert values == base_settings()


def test_extra_template_dirs_come_first(tmp_path):
    first, second = tmp_path / "first", str(tmp_path / "second")
    values = {**base_settings(), "EXTRA_TEMPLATE_DIRS": [first, second]}
    apply_extras(values)
    assert values["TEMPLATES"][0]["DIRS"] == [str(first), second, *settings_base.TEMPLATES[0]["DIRS"]]


def test_apply_extras_twice_is_harmless(tmp_path):
    values = {**base_settings(), "EXTRA_INSTALLED_APPS": ["vpn"], "EXTRA_TEMPLATE_DIRS": [tmp_path]}
    apply_extras(values)
    once = copy.deepcopy(values)
    apply_extras(values)
    assert values == once


def test_the_test_settings_went_through_the_same_assembly():
    assert settings.INSTALLED_APPS[: len(settings_base.INSTALLED_APPS)] == settings_base.INSTALLED_APPS


# --- End to end, in a fresh process -------------------------------------------------------


def run_python(
    tmp_path: Path, settings_module: str, *args: str, environ: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run Python with tmp_path first on its path, in an environment free of the COIN_* and
    DJANGO_* variables of the test run (DJANGO_ALLOW_ASYNC_UNSAFE, a database URL...)
    but the given ones."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("COIN_", "DJANGO_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), *(p for p in sys.path if p)])
    env["DJANGO_SETTINGS_MODULE"] = settings_module
    env.update(environ or {})
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


EXTRA_APP_CHECK = """
import json

import django

django.setup()

from django.apps import apps
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.urls import resolve, reverse

from coin.portal.context_processors import menu_entries

response = Client().get("/isp_notes/")
print(json.dumps({
    "installed": apps.is_installed("isp_notes"),
    "installed_apps": list(settings.INSTALLED_APPS),
    "url": reverse("isp_notes:details"),
    "view_name": resolve("/isp_notes/").view_name,
    "status": response.status_code,
    "body": response.content.decode(),
    "support": render_to_string("portal/support.html"),
    "dashboard": render_to_string("portal/dashboard.html", {"feeds": []}),
    "menu": [[str(label), url] for label, url in menu_entries()],
}))
"""


def test_an_extra_app_and_template_dir_are_enabled_from_settings(tmp_path):
    write(tmp_path / "isp_notes" / "__init__.py", "")
    write(
        tmp_path / "isp_notes" / "apps.py",
        """
        from django.apps import AppConfig

        from coin.apps import AppURLs, PortalMenu


        class IspNotesConfig(AppURLs, PortalMenu, AppConfig):
            name = "isp_notes"
            portal_menu = [("Notes of the ISP", "isp_notes:details")]
        """,
    )
    write(
        tmp_path / "isp_notes" / "urls.py",
        """
        from django.http import HttpResponse
        from django.urls import path


        def details(request):
            return HttpResponse("isp-notes-details-page")


        urlpatterns = [path("", details, name="details")]
        """,
    )
    write(
        tmp_path / "templates" / "portal" / "support.html",
        """
        {% extends "base.html" %}
        {% block content %}<p>support-override-marker</p>{% endblock %}
        """,
    )
    write(
        tmp_path / "isp_settings.py",
        f"""
        from coin.settings_test import *  # noqa: F403

        EXTRA_INSTALLED_APPS = [*EXTRA_INSTALLED_APPS, "isp_notes"]  # noqa: F405
        EXTRA_TEMPLATE_DIRS = [{str(tmp_path / "templates")!r}]

        from coin.settings_support import apply_extras

        apply_extras(globals())
        """,
    )
    write(tmp_path / "check_extra_app.py", EXTRA_APP_CHECK)

    result = run_python(tmp_path, "isp_settings", str(tmp_path / "check_extra_app.py"))
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)

    assert found["installed"]
    installed = found["installed_apps"]
    assert installed.count("isp_notes") == 1
    assert installed.index("isp_notes") > max(installed.index(app) for app in settings_base.INSTALLED_APPS)
    assert found["url"] == "/isp_notes/"
    assert found["view_name"] == "isp_notes:details"
    assert (found["status"], found["body"]) == (200, "isp-notes-details-page")
    assert "support-override-marker" in found["support"]
    # Other templates still come from Coin.
    assert "support-override-marker" not in found["dashboard"]
    assert "data-feed-url" not in found["dashboard"]
    assert '<main class="content">' in found["dashboard"]
    menu = found["menu"]
    assert ["Notes of the ISP", "/isp_notes/"] in menu
    # In INSTALLED_APPS order: the optional app's entry after the portal's own.
    urls = [url for _label, url in menu]
    assert urls.index("/") < urls.index("/isp_notes/")


def _deploy_check(tmp_path: Path, secret_key: str | None) -> subprocess.CompletedProcess:
    """manage.py check --deploy with settings assembled as coin/settings.py does, the
    production example standing for coin/settings_local.py."""
    write(
        tmp_path / "production_settings.py",
        f"""
        from coin.settings_base import *  # noqa: F403

        _example = {str(PRODUCTION_EXAMPLE)!r}
        with open(_example) as _file:
            exec(compile(_file.read(), _example, "exec"))

        from coin.settings_support import finalize

        finalize(globals())
        """,
    )
    environ = {"COIN_SECRET_KEY": secret_key} if secret_key else {}
    return run_python(
        tmp_path,
        "production_settings",
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        environ=environ,
    )


def test_the_production_example_passes_the_deployment_checks(tmp_path):
    result = _deploy_check(tmp_path, get_random_secret_key())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output and "ERRORS" not in output


def test_the_production_example_refuses_its_placeholder_key(tmp_path):
    result = _deploy_check(tmp_path, None)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_the_production_example_sets_what_it_documents():
    values: dict = {}
    exec(compile(PRODUCTION_EXAMPLE.read_text(), str(PRODUCTION_EXAMPLE), "exec"), values)
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert values["ALLOWED_HOSTS"] and "*" not in values["ALLOWED_HOSTS"]
    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
