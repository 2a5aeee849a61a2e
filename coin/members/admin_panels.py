"""What other apps show on a member's admin page, and how they let the member list's
search find members, without coin.members knowing them (the apps above it register
here from their ``admin`` module).

A panel is ``panel(member) -> str``: escaped HTML (e.g. from ``format_html``), or ""
for nothing. Billing shows the balance and the invoices, offers the subscriptions,
resources the IP addresses. A search is ``search(term) -> QuerySet | None``: the
primary keys of the members the term finds (e.g. an IP address), or None when the term
is not for it.
"""

from collections.abc import Callable

from django.db.models import QuerySet
from django.utils.safestring import SafeString, mark_safe

Panel = Callable[[object], str]
Search = Callable[[str], "QuerySet | None"]

_panels: list[Panel] = []
_searches: list[Search] = []


def add_member_admin_panel(panel: Panel) -> None:
    """Show ``panel`` on every member's admin page (once, however often it is added)."""
    if panel not in _panels:
        _panels.append(panel)


def member_admin_panels(member: object) -> SafeString:
    """The registered panels of ``member``, in the order they were added."""
    rendered = (panel(member) for panel in _panels)
    return mark_safe("".join(html for html in rendered if html))  # panels return escaped HTML


def add_member_search(search: Search) -> None:
    """Let the member list's search box find members by ``search``."""
    if search not in _searches:
        _searches.append(search)


def searched_members(term: str) -> list[QuerySet]:
    """What the registered searches find for ``term`` (those that apply)."""
    found = (search(term) for search in _searches)
    return [pks for pks in found if pks is not None]
