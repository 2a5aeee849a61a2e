"""News feeds on the dashboard.

The dashboard page never fetches a feed: the browser asks for each feed's entries
in a second request (``portal:feed``), which waits at most FEED_TIMEOUT seconds and
caches both successes and failures for FEED_CACHE_SECONDS. A dead or slow feed
therefore costs one short wait per cache period, and never delays the page.
"""

import logging
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
    return [tuple(feed) for feed in settings.FEEDS]


def fetch_feed(url: str, limit: int, timeout: float) -> tuple[FeedEntry, ...]:
    request = urllib.request.Request(url, headers={"User-Agent": "Coin portal"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        content = response.read(MAX_FEED_BYTES)
    parsed = feedparser.parse(content)
    if parsed.bozo and not parsed.entries:
        raise ValueError(f"not a feed: {parsed.get('bozo_exception')}")
    return tuple(
        FeedEntry(
            title=entry.get("title", ""),
            link=entry.get("link", ""),
            published=entry.get("published", entry.get("updated", "")),
        )
        for entry in parsed.entries[:limit]
    )


def feed_entries(index: int) -> FeedResult:
    """Entries of the index-th configured feed, from the cache when possible."""
    name, url, limit = configured_feeds()[index]
    key = f"coin:feed:{url}:{limit}"
    result = cache.get(key)
    if result is None:
        try:
            result = FeedResult(name, fetch_feed(url, limit, settings.FEED_TIMEOUT))
        except Exception as error:  # any failure of a remote site is just "unavailable"
            logger.warning("Feed %s (%s) is unavailable: %s", name, url, error)
            result = FeedResult(name, (), error=str(error) or error.__class__.__name__)
        cache.set(key, result, settings.FEED_CACHE_SECONDS)
    return result
