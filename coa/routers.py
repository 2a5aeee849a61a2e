"""Sends FreeRADIUS's tables and Coin's accounting rollups to the RADIUS_DATABASE alias.

Add ``"coa.routers.RadiusRouter"`` to ``DATABASE_ROUTERS`` when RADIUS_DATABASE is not
``"default"`` (a system check says so), and create the tables there with
``manage.py migrate --database <alias>``.
"""

from typing import Any

from coa.conf import setting

#: model_name of every model in the RADIUS database (coa.models.RADIUS_DATABASE_MODELS).
RADIUS_MODEL_NAMES = frozenset(
    {
        "radcheck",
        "radreply",
        "radgroupcheck",
        "radgroupreply",
        "radusergroup",
        "radacct",
        "radpostauth",
        "nas",
        "radiustrafficday",
        "radiussessionmark",
        "radiusrollupstate",
    }
)


def is_radius_model(app_label: str, model_name: str | None) -> bool:
    """True for the coa models that live in the RADIUS_DATABASE alias."""
    return app_label == "coa" and (model_name or "").lower() in RADIUS_MODEL_NAMES


class RadiusRouter:
    def _alias_for(self, model: Any) -> str | None:
        if is_radius_model(model._meta.app_label, model._meta.model_name):
            return setting("RADIUS_DATABASE")
        return None

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return self._alias_for(model)

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return self._alias_for(model)

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        alias = setting("RADIUS_DATABASE")
        if app_label != "coa" or model_name is None or alias == "default":
            return None
        if is_radius_model(app_label, model_name):
            return db == alias
        return db != alias
