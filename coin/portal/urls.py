from django.urls import path

from coin.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("feeds/<int:index>/", views.feed, name="feed"),
    path("support/", views.support, name="support"),
    path("services/<int:pk>/", views.service, name="service"),
]
