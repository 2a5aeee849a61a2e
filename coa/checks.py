"""System checks of the coa settings."""

from typing import Any

from django.conf import settings
from django.core import checks

from coa.conf import setting

ROUTER = "coa.routers.RadiusRouter"


def radius_database_errors(alias: str, databases: Any, routers: list[str]) -> list[checks.CheckMessage]:
    """RADIUS_DATABASE names a DATABASES alias, and the router is on when it is not default."""
    if alias not in databases:
        return [
            checks.Error(f"RADIUS_DATABASE is {alias!r}, which is not an alias of DATABASES.", id="coa.E001")
        ]
    if alias != "default" and ROUTER not in routers:
        return [
            checks.Error(f"RADIUS_DATABASE is {alias!r}: add {ROUTER!r} to DATABASE_ROUTERS.", id="coa.E002")
        ]
    return []


@checks.register(checks.Tags.database)
def radius_database_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return radius_database_errors(
        setting("RADIUS_DATABASE"), settings.DATABASES, list(getattr(settings, "DATABASE_ROUTERS", []))
    )
