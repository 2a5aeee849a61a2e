from django.urls import path

from coin.isp_database import views

app_name = "isp_database"
urlpatterns = [path("isp.json", views.isp_json, name="isp_json")]
