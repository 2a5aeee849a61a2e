from django.urls import path

from coin.offers import views

app_name = "offers"
urlpatterns = [
    path("", views.subscriptions, name="subscriptions"),
    path("request/", views.request_offer, name="request"),
    path("<int:pk>/resign/", views.resign_subscription, name="resign"),
    path("requests/<int:pk>/cancel/", views.cancel_subscription_request, name="cancel_request"),
]
