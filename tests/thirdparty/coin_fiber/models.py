from django.db import models

from coin.configuration.models import Configuration


class FiberLine(Configuration):
    optical_outlet = models.CharField("optical outlet", max_length=32, blank=True)
    ont_serial = models.CharField("ONT serial", max_length=32, blank=True)

    url_namespace = "fiberline"
    provisioners = ["coin_fiber.provisioning.InventoryProvisioner"]

    class Meta:
        verbose_name = "fiber line"

    def __str__(self) -> str:
        return f"Fiber {self.optical_outlet or '?'}"
