from django.urls import path

from coin.billing import views

app_name = "billing"
urlpatterns = [
    path("", views.index, name="index"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("credit-notes/<int:pk>/pdf/", views.credit_note_pdf, name="credit_note_pdf"),
    path("mandate/", views.mandate, name="mandate"),
]
