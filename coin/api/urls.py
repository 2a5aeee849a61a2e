"""The REST API: one router; each app registers its viewsets in its ``api``
package (``register(router)``). The OpenAPI document is at /api/schema/."""

from django.apps import apps
from django.urls import include, path
from django.utils import translation
from django.utils.module_loading import import_string
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from coin.apps import has_module

router = DefaultRouter()
for config in apps.get_app_configs():
    # An app without an api/views module has no endpoints; one that fails to import
    # is a bug and must fail loudly, not make its endpoints vanish.
    if has_module(f"{config.name}.api.views"):
        import_string(f"{config.name}.api.views.register")(router)


class SchemaView(SpectacularAPIView):
    """The OpenAPI document in English, the API's language, whatever the page's
    language (its descriptions were half French, half English); ``?lang=fr`` gives
    the French translation from the catalogue."""

    def dispatch(self, request, *args, **kwargs):
        if request.GET.get("lang"):
            return super().dispatch(request, *args, **kwargs)
        with translation.override("en"):
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()  # lazy descriptions turn into English text here
        return response


app_name = "api"
urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    # Swagger UI from drf-spectacular-sidecar's static files (no CDN); its start-up
    # script is a separate request, so the page runs under the CSP ('self' scripts).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]
