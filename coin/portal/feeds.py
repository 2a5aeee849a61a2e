"""News feeds on the dashboard.

The dashboard page never fetches a feed: the browser asks for each feed's entries
in a second request (``portal:feed``), which waits at most FEED_TIMEOUT seconds and
caches both successes and failures for FEED_CACHE_SECONDS. A dead or slow feed
therefore costs one short wait per cache period, and never delays the page.
"""

import hashlib
import logging
import time
import urllib.request
from dataclasses import dataclass

import feedparser
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)
MAX_FEED_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class FeedEntry:
    title: str
    link: str
    published: str


@dataclass(frozen=True)
class FeedResult:
    name: str
    entries: tuple[FeedEntry, ...]
    error: str = ""


def configured_feeds() -> list[tuple[str, str, int]]:
    return [(str(name), str(url), int(limit)) for name, url, limit in settings.FEEDS]


def _read_body(response, deadline: float) -> bytes:
    """The body, but no more than MAX_FEED_BYTES and no later than the deadline: the
    socket timeout alone bounds each read, not a server that trickles bytes."""
    chunks: list[bytes] = []
    size = 0
    while size < MAX_FEED_BYTES:
        if time.monotonic() > deadline:
            raise TimeoutError("the feed took too long to download")
        chunk = response.read1(min(64 * 1024, MAX_FEED_BYTES - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def fetch_feed(url: str, limit: int, timeout: float) -> tuple[FeedEntry, ...]:
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"User-Agent": "Coin portal"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        content = _read_body(response, deadline)
    parsed = feedparser.parse(content)
    # An HTML page (a feed that moved, a captive portal) parses without error but is
    # no feed: feedparser then recognises no version.
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        raise ValueError(f"not a feed: {parsed.get('bozo_exception', 'unknown format')}")
    return tuple(
        FeedEntry(
            title=entry.get("title", ""),
            link=entry.get("link", ""),
            # Asked in turn: feedparser warns when "updated" is read but missing.
            published=entry["published"] if "published" in entry else entry.get("updated", ""),
        )
        for entry in parsed.entries[:limit]
    )


def feed_entries(index: int) -> FeedResult:
    """Entries of the index-th configured feed, from the cache when possible."""
    name, url, limit = configured_feeds()[index]
    # Hashed: URLs may be longer than, or hold characters that, cache backends refuse in keys.
    key = "coin:feed:" + hashlib.sha256(f"{url}\n{limit}".encode()).hexdigest()
    result = cache.get(key)
    if result is None:
        try:
            result = FeedResult(name, fetch_feed(url, limit, settings.FEED_TIMEOUT))
        except Exception as error:  # any failure of a remote site is just "unavailable"
            logger.warning("Feed %s (%s) is unavailable: %s", name, url, error)
            result = FeedResult(name, (), error=str(error) or error.__class__.__name__)
        cache.set(key, result, settings.FEED_CACHE_SECONDS)
    return result
