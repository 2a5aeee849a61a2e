"""Every page of the portal asks an anonymous visitor to log in, except the listed public ones.

The URL patterns come from the resolver when the tests are collected, so that a page added
by any app (core, optional or third-party) is checked without touching this file.
"""

import re
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, converters, get_resolver, reverse

# Pages anyone may open, with the reason.
PUBLIC = {
    "login": "the login page itself",
    "logout": "POST only; logs out whoever asks, shows no data",
    "password_reset": "asking for a reset link",
    "password_reset_done": "reset link sent",
    "password_reset_confirm": "the link of the reset email",
    "password_reset_complete": "reset done",
    "portal:isp_json": "the ISP's public description for the FFDN",
    "set_language": "language choice before logging in",
    "members:signup": "self-registration",
    "members:signup_done": "self-registration",
    "members:signup_confirm": "the link of the sign-up email",
    "api:schema": "the OpenAPI description of the API: Coin is free software, it holds no data",
    "api:docs": "the same description, shown by Swagger UI",
}
# Namespaces with their own login (the admin sends to admin:login; tested by the admin tests).
OWN_LOGIN_NAMESPACES = {"admin"}
# Namespaces of machine clients: no login page, an anonymous request gets 401 or 403.
API_NAMESPACES = {"api"}
# Patterns (by page_id) whose arguments cannot be made up here, with the reason. Keep it
# short: a pattern listed here is not checked at all.
UNCHECKED: dict[str, str] = {}

# Made-up values for path converters (the first one that the converter accepts); an
# "int" takes the pk of another member.
SAMPLE_VALUES = ["json", "x/y", str(uuid.UUID(int=1)), "1"]


@dataclass(frozen=True)
class Page:
    name: str  # namespaced URL name, or "" when the pattern has none
    route: str
    arguments: tuple[tuple[str, object], ...]  # (name, converter); converter None for regex groups

    def __str__(self) -> str:
        return self.name or self.route


def page_id(page: Page) -> str:
    return f"{page.name}:{page.route}" if page.name else page.route


def _walk(resolver: URLResolver, route: str = "", namespace: str = "", arguments=()):
    for pattern in resolver.url_patterns:
        pattern_arguments = arguments + _arguments_of(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if pattern.namespace in OWN_LOGIN_NAMESPACES:
                continue
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from _walk(pattern, route + str(pattern.pattern), inner, pattern_arguments)
        elif isinstance(pattern, URLPattern):
            name = ":".join(filter(None, [namespace, pattern.name])) if pattern.name else ""
            yield Page(name, route + str(pattern.pattern), pattern_arguments)


def _arguments_of(pattern) -> tuple:
    found = getattr(pattern, "converters", {})
    if found:
        return tuple(found.items())
    regex = getattr(pattern, "regex", None)
    return tuple((name, None) for name in regex.groupindex) if regex is not None else ()


PAGES = list(_walk(get_resolver()))
CHECKED = [page for page in PAGES if page.name not in PUBLIC and page_id(page) not in UNCHECKED]


def _path_sample(converter):
    """A value the converter turns into a URL part that it accepts, or None."""
    for value in SAMPLE_VALUES:
        try:
            if re.fullmatch(converter.regex, converter.to_url(converter.to_python(value))):
                return converter.to_python(value)
        except (TypeError, ValueError):
            continue
    return None


def _sample(name: str, converter, other_member):
    if isinstance(converter, converters.IntConverter):
        return other_member.pk
    if converter is None:  # a regex group, as in the API router's patterns
        return "json" if name == "format" else str(other_member.pk)
    return _path_sample(converter)


def _cannot_build(page: Page) -> bool:
    return not page.name or any(
        converter is not None and _path_sample(converter) is None for _name, converter in page.arguments
    )


def url_of(page: Page, other_member) -> str:
    kwargs = {name: _sample(name, converter, other_member) for name, converter in page.arguments}
    try:
        return reverse(page.name, kwargs=kwargs)
    except NoReverseMatch:
        pytest.fail(f"{page}: no URL from {kwargs}; list it in UNCHECKED with the reason")


def is_api(page: Page) -> bool:
    return page.name.split(":")[0] in API_NAMESPACES


def test_every_page_without_login_is_a_listed_public_page_or_checked():
    names = {page.name for page in PAGES}
    assert set(PUBLIC) <= names, "public pages listed here that no longer exist"
    assert set(UNCHECKED) <= {page_id(page) for page in PAGES}, "unchecked pages that no longer exist"
    assert [page_id(page) for page in CHECKED if _cannot_build(page)] == [], (
        "pages whose URL cannot be built here: give them a name or list them in UNCHECKED"
    )
    # The walk finds the pages of every kind of app.
    assert {"portal:dashboard", "members:detail", "password_change"} <= names


@pytest.mark.parametrize("page", [page for page in CHECKED if not is_api(page)], ids=page_id)
def test_anonymous_visitor_is_sent_to_the_login_page(client, other_member, page):
    url = url_of(page, other_member)
    response = client.get(url)
    assert response.status_code == 302, f"{url} answers {response.status_code} to an anonymous visitor"
    location = urlsplit(response["Location"])
    assert location.path == reverse("login")
    assert parse_qs(location.query)["next"] == [url]


@pytest.mark.parametrize("page", [page for page in CHECKED if is_api(page)], ids=page_id)
def test_anonymous_api_clients_are_refused(client, other_member, page):
    url = url_of(page, other_member)
    response = client.get(url)
    assert response.status_code in (401, 403), f"{url} answers {response.status_code} to an anonymous client"


@pytest.mark.parametrize("page", CHECKED, ids=page_id)
def test_a_logged_in_member_is_not_sent_to_the_login_page(member_client, other_member, page):
    url = url_of(page, other_member)
    response = member_client.get(url)
    assert response.status_code < 500
    if response.status_code == 302:
        assert urlsplit(response["Location"]).path != reverse("login")


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_pages_answer_anonymous_visitors(client, other_member, name):
    [page] = [page for page in PAGES if page.name == name]
    url = url_of(page, other_member)
    response = client.get(url)
    assert response.status_code < 500
    if response.status_code == 302:
        assert urlsplit(response["Location"]).path != reverse("login")


def test_the_login_page_renders(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="password"' in response.content
