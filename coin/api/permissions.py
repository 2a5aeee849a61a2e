"""Who may do what through the API: staff accounts, with the same Django model
permissions as in the admin, reading included.

``IsAdminUser`` and ``ModelPermissions`` are both in ``DEFAULT_PERMISSION_CLASSES``
(DRF requires every one of them): a staff user with no permission gets 403 on
every endpoint, as on every admin page.
"""

from rest_framework.permissions import DjangoModelPermissions

#: The permissions each HTTP method needs on the endpoint's model.
METHOD_PERMISSIONS = {
    "GET": ["%(app_label)s.view_%(model_name)s"],
    "HEAD": ["%(app_label)s.view_%(model_name)s"],
    "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    "POST": ["%(app_label)s.add_%(model_name)s"],
    "PUT": ["%(app_label)s.change_%(model_name)s"],
    "PATCH": ["%(app_label)s.change_%(model_name)s"],
    "DELETE": ["%(app_label)s.delete_%(model_name)s"],
}


class ModelPermissions(DjangoModelPermissions):
    """Django's model permissions for every method: ``view_`` for GET, HEAD and
    OPTIONS, ``add_`` for POST, ``change_`` for PUT and PATCH, ``delete_`` for DELETE,
    on the model of the view's queryset.

    A view names what its other actions need in ``action_permissions``, a dict from
    the action's name to full permission names, which *replace* the method's: a
    ``POST /payments/<id>/assign/`` changes a payment, it does not add one."""

    perms_map = METHOD_PERMISSIONS

    def has_permission(self, request, view) -> bool:
        needed = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if needed is None:
            return super().has_permission(request, view)
        return bool(request.user and request.user.is_authenticated and request.user.has_perms(needed))
