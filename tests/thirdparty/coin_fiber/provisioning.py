"""Pushes each fiber line to an HTTP inventory (FIBER_INVENTORY_URL): PUT to
update, DELETE to remove. Both are idempotent, as Coin requires."""

import json
import urllib.request

from django.conf import settings

from coin.provisioning.base import Provisioner


class InventoryProvisioner(Provisioner):
    name = "fiber-inventory"

    def snapshot(self, configuration, action):
        return {
            "line": configuration.pk,
            "outlet": configuration.optical_outlet,
            "ont": configuration.ont_serial,
            "subnets": [str(subnet.inet) for subnet in configuration.ip_subnet.all()]
            if hasattr(configuration, "ip_subnet")
            else [],
        }

    def apply(self, action, payload):
        url = f"{settings.FIBER_INVENTORY_URL.rstrip('/')}/{payload['line']}"
        method = "DELETE" if action == "delete" else "PUT"
        request = urllib.request.Request(
            url,
            data=json.dumps(payload).encode(),
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=2) as response:
            response.read()
