"""Panels that other apps add to every configuration's member page (a lent router
under the line it serves), without the configuration apps knowing them.

A panel is a function ``panel(request, configuration) -> str``: the HTML to show
(already escaped, e.g. from ``render_to_string``), or ``""`` for nothing. It runs
only for the logged-in member's own configuration. ``ConfigurationDetailView``
puts the rendered panels in ``configuration_panels``; ``base.html`` shows them
after the page's content.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from coin.configuration.models import Configuration

Panel = Callable[[HttpRequest, "Configuration"], str]

_panels: list[Panel] = []


def add_member_panel(panel: Panel) -> None:
    """Show ``panel`` on every configuration's member page (once, however often it
    is added)."""
    if panel not in _panels:
        _panels.append(panel)


def member_panels(request: HttpRequest, configuration: "Configuration") -> list[SafeString]:
    """The HTML of every registered panel for this configuration, empty ones left out."""
    rendered = (panel(request, configuration) for panel in _panels)
    return [mark_safe(html) for html in rendered if html]  # panels return escaped HTML
