from django.urls import path

from coin.resources import views

app_name = "resources"
urlpatterns = [
    path("", views.subnets, name="subnets"),
    path("subnets/<int:subnet_pk>/ptr/add/", views.ptr_add, name="ptr_add"),
    path("ptr/<int:pk>/edit/", views.ptr_edit, name="ptr_edit"),
    path("ptr/<int:pk>/delete/", views.ptr_delete, name="ptr_delete"),
]
