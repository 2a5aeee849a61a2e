from django.urls import path

from coin.portal import isp_json, views

app_name = "portal"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("feeds/<int:index>/", views.feed, name="feed"),
    path("support/", views.support, name="support"),
    path("isp.json", isp_json.isp_json, name="isp_json"),
    path("services/<int:pk>/", views.service, name="service"),
]
