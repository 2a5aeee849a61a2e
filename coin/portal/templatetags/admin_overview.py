"""``{% admin_overview %}``: the key figures and charts on the admin index
(coin/templates/admin/index.html), for staff who may see the members."""

from django import template

from coin.portal.overview import overview

register = template.Library()


@register.inclusion_tag("admin/overview.html", takes_context=True)
def admin_overview(context) -> dict:
    user = context["request"].user
    if not user.has_perm("members.view_member"):
        return {"shown": False}
    return {"shown": True, **overview()}
