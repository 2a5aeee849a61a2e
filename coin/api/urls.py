"""The REST API: one router; each app registers its viewsets in its ``api``
package (``register(router)``). The OpenAPI document is at /api/schema/."""

from django.apps import apps
from django.urls import include, path
from django.utils.module_loading import import_string
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from coin.apps import has_module

router = DefaultRouter()
for config in apps.get_app_configs():
    # An app without an api/views module has no endpoints; one that fails to import
    # is a bug and must fail loudly, not make its endpoints vanish.
    if has_module(f"{config.name}.api.views"):
        import_string(f"{config.name}.api.views.register")(router)

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include(router.urls)),
]
