"""Coin's URLs. Apps whose AppConfig inherits coin.apps.AppURLs are mounted
automatically under their own prefix and namespace (see EXTENDING.md)."""

from django.apps import apps
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from coin.apps import AppURLs
from coin.members import views as member_views


def pluggable_urlpatterns() -> list:
    patterns = []
    for config in apps.get_app_configs():
        if isinstance(config, AppURLs):
            for prefix, urls_module in config.get_exported_urlpatterns():
                patterns.append(
                    path(
                        f"{prefix.strip('/')}/",
                        include((urls_module, config.label), namespace=prefix.strip("/")),
                    )
                )
    return patterns


auth_urlpatterns = [
    path("login/", member_views.LoginView.as_view(), name="login"),
    path("logout/", member_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", member_views.password_reset, name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
]

urlpatterns = [
    path("", include("coin.portal.urls")),
    path("members/", include("coin.members.urls")),
    path("subscriptions/", include("coin.offers.urls")),
    path("resources/", include("coin.resources.urls")),
    path("billing/", include("coin.billing.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("coin.api.urls")),
    *auth_urlpatterns,
    *pluggable_urlpatterns(),
]
