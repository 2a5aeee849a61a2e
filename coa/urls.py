from django.urls import path

from coa.views import RadiusAccountView

urlpatterns = [path("<int:pk>/", RadiusAccountView.as_view(), name="details")]
