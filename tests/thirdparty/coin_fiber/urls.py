from django.urls import path

from coin_fiber.views import FiberLineListView, FiberLineView

urlpatterns = [
    path("", FiberLineListView.as_view(), name="index"),
    path("<int:pk>/", FiberLineView.as_view(), name="details"),
]
