from django.urls import path

from hardware_provisioning import views

app_name = "hardware"
urlpatterns = [
    path("", views.index, name="index"),
    path("available/", views.available, name="available"),
    path("items/<int:pk>/borrow/", views.borrow, name="borrow"),
    path("loans/<int:pk>/return/", views.return_loan, name="return"),
    path("loans/<int:pk>/handover/", views.handover, name="handover"),
    path("loans/<int:pk>/handover/cancel/", views.cancel_handover, name="cancel_handover"),
    path("loans/<int:pk>/handover/accept/", views.accept_handover, name="accept_handover"),
    path("loans/<int:pk>/handover/decline/", views.decline_handover, name="decline_handover"),
]
