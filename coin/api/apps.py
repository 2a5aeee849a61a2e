from django.apps import AppConfig


class APIConfig(AppConfig):
    name = "coin.api"
    label = "coin_api"
    verbose_name = "API"
