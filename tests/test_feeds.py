"""The dashboard and its news feeds, against a real HTTP server on the loopback.

The dashboard never fetches a feed; each feed's entries come in a second request that
waits at most FEED_TIMEOUT and caches successes and failures alike.
"""

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from coin.portal.context_processors import _LazyISP

UNAVAILABLE = "This news feed is unavailable for now."
TIMEOUT = 0.5  # FEED_TIMEOUT in these tests
SLOW = 5.0  # how long the slow endpoints take; far more than TIMEOUT

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>ARLP news</title><link>https://arlp.example/</link>
<description>News</description>
{items}
</channel></rss>"""
RSS_ITEM = """<item><title>RSS news {n}</title><link>https://arlp.example/news/{n}</link>
<pubDate>Mon, 0{n} Sep 2025 10:00:00 +0000</pubDate></item>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>FFDN</title><id>urn:ffdn</id>
<updated>2025-09-01T10:00:00Z</updated>
{entries}
</feed>"""
ATOM_ENTRY = """<entry><title>Atom news {n}</title><id>urn:ffdn:{n}</id>
<link href="https://ffdn.example/news/{n}"/><updated>2025-09-0{n}T10:00:00Z</updated></entry>"""


class FeedServer:
    """Serves feeds and failures on 127.0.0.1 and counts the requests of each path."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.stop = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = self.path.split("?")[0]
                with server._lock:
                    server.hits[path] += 1
                route = getattr(server, "route_" + path.strip("/").replace("-", "_"), None)
                if route is None:
                    self.send_error(404)
                else:
                    route(self)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None  # clients that gave up
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    @staticmethod
    def _send(handler, body: str | bytes, content_type: str, status: int = 200) -> None:
        data = body.encode() if isinstance(body, str) else body
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def route_rss(self, handler) -> None:
        items = "\n".join(RSS_ITEM.format(n=n) for n in range(1, 6))
        self._send(handler, RSS.format(items=items), "application/rss+xml")

    def route_atom(self, handler) -> None:
        entries = "\n".join(ATOM_ENTRY.format(n=n) for n in range(1, 4))
        self._send(handler, ATOM.format(entries=entries), "application/atom+xml")

    def route_empty(self, handler) -> None:
        self._send(handler, RSS.format(items=""), "application/rss+xml")

    def route_garbage(self, handler) -> None:
        self._send(handler, b"\x00\x01 this is not a feed {]", "application/octet-stream")

    def route_html(self, handler) -> None:
        self._send(handler, "<html><body><h1>Our new website</h1></body></html>", "text/html")

    def route_error(self, handler) -> None:
        self._send(handler, "Internal Server Error", "text/plain", status=500)

    def route_slow(self, handler) -> None:
        """Answers nothing for longer than the timeout."""
        self.stop.wait(SLOW)

    def route_trickle(self, handler) -> None:
        """Answers at once, then sends the body a byte at a time, each well within the
        timeout, for far longer than the timeout."""
        body = RSS.format(items=RSS_ITEM.format(n=1)).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.flush()
        delay = SLOW / len(body)
        for byte in body:
            if self.stop.wait(delay):
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()


@pytest.fixture
def feed_server():
    server = FeedServer()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def feeds_of(server: FeedServer, *feeds: tuple[str, str, int]):
    return override_settings(
        FEEDS=[(name, server.url(path), limit) for name, path, limit in feeds],
        FEED_TIMEOUT=TIMEOUT,
    )


def get_feed(client, index: int):
    return client.get(reverse("portal:feed", args=[index]), headers={"accept-language": "en"})


# --- The dashboard ---------------------------------------------------------------------------


def test_the_dashboard_never_fetches_a_feed(member_client, isp, feed_server):
    with feeds_of(feed_server, ("ARLP news", "/rss", 3), ("Slow", "/slow", 3), ("Broken", "/error", 2)):
        response = member_client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    content = response.content.decode()
    for index, name in enumerate(["ARLP news", "Slow", "Broken"]):
        assert name in content
        assert f'data-feed-url="{reverse("portal:feed", args=[index])}"' in content
    assert sum(feed_server.hits.values()) == 0


def test_the_dashboard_without_feeds(member_client, isp):
    with override_settings(FEEDS=[]):
        response = member_client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    assert b"data-feed-url" not in response.content
    assert b"feeds.js" not in response.content


def test_the_dashboard_shows_the_menu_and_the_isp(member_client, isp):
    response = member_client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    content = response.content.decode()
    for url_name in ["portal:dashboard", "members:detail", "portal:support", "password_change"]:
        assert f'href="{reverse(url_name)}"' in content
    assert f'href="{reverse("portal:dashboard")}" aria-current="page"' in content
    assert "ARLP" in content  # the short name, in the title and the top bar
    assert "Association Réseau Libre du Plateau" in content  # the footer
    assert "https://arlp.example" in content
    assert "Camille Martin" in content
    assert f'href="{reverse("admin:index")}"' not in content


def test_staff_also_get_a_link_to_the_admin(client, member_factory, isp):
    client.force_login(member_factory(is_staff=True))
    assert f'href="{reverse("admin:index")}"'.encode() in client.get(reverse("portal:dashboard")).content


def test_the_dashboard_without_isp_identity(member_client):
    response = member_client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    assert b"Coin" in response.content


def test_the_dashboard_is_in_french_by_default(member_client, isp):
    assert b'<html lang="fr">' in member_client.get(reverse("portal:dashboard")).content


def test_the_dashboard_in_english_from_the_browser(member_client, isp):
    response = member_client.get(reverse("portal:dashboard"), headers={"accept-language": "en-GB,en;q=0.8"})
    assert b'<html lang="en">' in response.content


def test_the_dashboard_in_english_from_the_language_cookie(member_client, isp):
    member_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = member_client.get(reverse("portal:dashboard"), headers={"accept-language": "fr"})
    assert b'<html lang="en">' in response.content


def test_choosing_the_language_sets_the_cookie(member_client, isp):
    response = member_client.post(
        reverse("set_language"), {"language": "en", "next": reverse("portal:dashboard")}
    )
    assert response.status_code == 302
    assert member_client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert b'<html lang="en">' in member_client.get(reverse("portal:dashboard")).content


def test_an_unknown_language_falls_back_to_french(member_client, isp):
    response = member_client.get(reverse("portal:dashboard"), headers={"accept-language": "de"})
    assert b'<html lang="fr">' in response.content


# --- The feed fragments -------------------------------------------------------------------------


def test_rss_entries_are_limited_to_the_configured_number(member_client, feed_server):
    with feeds_of(feed_server, ("ARLP news", "/rss", 3)):
        response = get_feed(member_client, 0)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count("<li>") == 3
    for n in (1, 2, 3):
        assert f"RSS news {n}" in content
        assert f'href="https://arlp.example/news/{n}"' in content
    assert "RSS news 4" not in content
    assert UNAVAILABLE not in content
    assert feed_server.hits["/rss"] == 1


def test_atom_entries(member_client, feed_server):
    with feeds_of(feed_server, ("ARLP news", "/rss", 3), ("FFDN", "/atom", 10)):
        response = get_feed(member_client, 1)
    content = response.content.decode()
    assert content.count("<li>") == 3
    assert "Atom news 3" in content
    assert 'href="https://ffdn.example/news/2"' in content
    assert feed_server.hits == Counter({"/atom": 1})


def test_a_feed_without_entries(member_client, feed_server):
    with feeds_of(feed_server, ("Quiet", "/empty", 3)):
        response = get_feed(member_client, 0)
    assert response.status_code == 200
    assert "No news." in response.content.decode()
    assert UNAVAILABLE not in response.content.decode()


@pytest.mark.parametrize("path", ["/error", "/garbage", "/html", "/missing"])
def test_a_failing_feed_is_unavailable(member_client, feed_server, path):
    with feeds_of(feed_server, ("Broken", path, 3)):
        response = get_feed(member_client, 0)
    assert response.status_code == 200
    assert UNAVAILABLE in response.content.decode()
    assert feed_server.hits[path] == 1


def test_a_feed_nobody_listens_to_is_unavailable(member_client, feed_server):
    url = feed_server.url("/rss")
    feed_server.close()
    with override_settings(FEEDS=[("Gone", url, 3)], FEED_TIMEOUT=TIMEOUT):
        response = get_feed(member_client, 0)
    assert response.status_code == 200
    assert UNAVAILABLE in response.content.decode()


@pytest.mark.parametrize("path", ["/slow", "/trickle"])
def test_a_slow_feed_is_unavailable_after_the_timeout(member_client, feed_server, path):
    with feeds_of(feed_server, ("Slow", path, 3)):
        started = time.monotonic()
        response = get_feed(member_client, 0)
        waited = time.monotonic() - started
    assert response.status_code == 200
    assert UNAVAILABLE in response.content.decode()
    # Well before the server would have finished: the wait is bounded by the timeout.
    assert waited < SLOW / 2


def test_entries_are_cached(member_client, feed_server):
    with feeds_of(feed_server, ("ARLP news", "/rss", 3)):
        first = get_feed(member_client, 0)
        second = get_feed(member_client, 0)
    assert feed_server.hits["/rss"] == 1
    assert second.content == first.content


@pytest.mark.parametrize("path", ["/error", "/slow"])
def test_failures_are_cached_too(member_client, feed_server, path):
    with feeds_of(feed_server, ("Broken", path, 3)):
        get_feed(member_client, 0)
        started = time.monotonic()
        response = get_feed(member_client, 0)
        waited = time.monotonic() - started
    assert UNAVAILABLE in response.content.decode()
    assert feed_server.hits[path] == 1
    assert waited < TIMEOUT


def test_each_feed_and_limit_is_cached_apart(member_client, feed_server):
    with feeds_of(feed_server, ("Short", "/rss", 1), ("Long", "/rss", 4)):
        short = get_feed(member_client, 0).content.decode()
        long = get_feed(member_client, 1).content.decode()
    assert (short.count("<li>"), long.count("<li>")) == (1, 4)
    assert feed_server.hits["/rss"] == 2


def test_a_long_feed_url_is_fine(member_client, feed_server):
    with feeds_of(feed_server, ("Long URL", "/rss?" + "x" * 400 + "&q=%20", 2)):
        response = get_feed(member_client, 0)
        get_feed(member_client, 0)
    assert response.content.decode().count("<li>") == 2
    assert feed_server.hits["/rss"] == 1


def test_an_unknown_feed_is_404(member_client, feed_server):
    with feeds_of(feed_server, ("ARLP news", "/rss", 3)):
        assert get_feed(member_client, 1).status_code == 404
    assert sum(feed_server.hits.values()) == 0


def test_the_fragment_is_not_cached_by_browsers(member_client, feed_server):
    with feeds_of(feed_server, ("ARLP news", "/rss", 3)):
        response = get_feed(member_client, 0)
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_anonymous_visitors_fetch_nothing(client, feed_server):
    with feeds_of(feed_server, ("ARLP news", "/rss", 3)):
        response = get_feed(client, 0)
    assert response.status_code == 302
    assert sum(feed_server.hits.values()) == 0


# --- The ISP in templates -----------------------------------------------------------------------


def test_the_lazy_isp_reads_the_row_once(isp, django_assert_num_queries):
    lazy = _LazyISP()
    with django_assert_num_queries(1):
        assert lazy
        assert lazy.display_name == "ARLP"
        assert lazy.bank_info.iban == "FR7630006000011234567890189"
        assert str(lazy) == isp.name


def test_the_lazy_isp_without_a_row(db):
    lazy = _LazyISP()
    assert not lazy
    assert lazy.display_name == ""
    assert str(lazy) == "Coin"


def test_the_lazy_isp_can_be_copied(isp):
    import copy

    assert copy.copy(_LazyISP()).display_name == "ARLP"
    assert copy.deepcopy(_LazyISP()).name == isp.name
