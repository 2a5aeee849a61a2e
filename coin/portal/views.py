from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from coin.portal.feeds import configured_feeds, feed_entries


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    feeds = [(index, name) for index, (name, _url, _limit) in enumerate(configured_feeds())]
    return render(
        request,
        "portal/dashboard.html",
        {
            "feeds": feeds,
            "membership_end": request.user.membership_end_date(),
            "up_to_date": request.user.is_up_to_date(),
            "membership_info_url": settings.MEMBER_MEMBERSHIP_INFO_URL,
        },
    )


@login_required
@never_cache
def feed(request: HttpRequest, index: int) -> HttpResponse:
    """HTML fragment with one feed's entries, loaded by the dashboard's script."""
    if index >= len(configured_feeds()):
        raise Http404
    return render(request, "portal/feed.html", {"feed": feed_entries(index)})


@login_required
def support(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/support.html")
