"""Pages of API lists: ``?limit=`` is capped, so a huge limit cannot reach the database."""

from rest_framework.pagination import LimitOffsetPagination

#: Most rows one page returns, whatever ``?limit=`` asks.
MAX_PAGE_SIZE = 1000


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """``?limit=&offset=`` pages of ``PAGE_SIZE`` rows by default. A limit above
    ``MAX_PAGE_SIZE`` gets ``MAX_PAGE_SIZE`` rows; one that is not a positive integer
    gets the default size; an offset past the end gets an empty page."""

    max_limit = MAX_PAGE_SIZE
