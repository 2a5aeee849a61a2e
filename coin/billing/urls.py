from django.urls import path

from coin.billing import views

app_name = "billing"
urlpatterns = [
    path("", views.index, name="index"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("mandate/", views.mandate, name="mandate"),
]
