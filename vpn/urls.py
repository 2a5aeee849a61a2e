from django.urls import path

from vpn import views

urlpatterns = [
    path("", views.AccountListView.as_view(), name="index"),
    path("<int:pk>/", views.AccountDetailView.as_view(), name="details"),
    path("<int:pk>/password/", views.NewPasswordView.as_view(), name="new_password"),
    path("<int:pk>/endpoints/", views.EndpointUpdateView.as_view(), name="endpoints"),
    path("<int:pk>/profile.ovpn", views.ProfileView.as_view(), name="profile"),
]
