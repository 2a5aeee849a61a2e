from django.apps import AppConfig

from coin.apps import AppURLs, PortalMenu


class FiberConfig(AppURLs, PortalMenu, AppConfig):
    name = "coin_fiber"
    verbose_name = "Fiber lines"
    portal_menu = [("My fiber lines", "fiberline:index")]
    exported_urlpatterns = [("fiberline", "coin_fiber.urls")]
