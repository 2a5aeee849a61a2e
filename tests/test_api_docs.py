"""Issue 14, point 15: /api/docs/ is served, the OpenAPI document is in English
whatever the page's language, and in French through the catalogue with ?lang=fr."""

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_the_docs_page_uses_the_shipped_swagger_ui(admin_client):
    page = admin_client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    script = admin_client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


def test_the_schema_is_english_even_for_a_french_browser(admin_client):
    english = admin_client.get("/api/schema/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Number of results to return per page." in english
    assert "Nombre de résultats" not in english
    french = admin_client.get("/api/schema/?lang=fr").content.decode()
    assert "Nombre de résultats à retourner par page." in french
