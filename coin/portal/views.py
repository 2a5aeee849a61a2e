from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from coin.billing.debt import member_debt
from coin.members.http import MemberRequest
from coin.offers.models import SubscriptionRequest
from coin.portal.feeds import configured_feeds, feed_entries
from coin.portal.services import member_services, network_settings


@login_required
def dashboard(request: MemberRequest) -> HttpResponse:
    """What the member owes and by when, their services and their state, their
    addresses, and what needs their action."""
    today = timezone.localdate()
    feeds = [(index, name) for index, (name, _url, _limit) in enumerate(configured_feeds())]
    services = member_services(request.user, today)
    return render(
        request,
        "portal/dashboard.html",
        {
            "feeds": feeds,
            "membership_end": request.user.membership_end_date(),
            "up_to_date": request.user.is_up_to_date(),
            "membership_info_url": settings.MEMBER_MEMBERSHIP_INFO_URL,
            "membership_fee": settings.MEMBER_DEFAULT_COTISATION,
            "debt": member_debt(request.user, today),
            "today": today,
            "services": [service for service in services if service.state != "stopped"],
            "pending_requests": SubscriptionRequest.objects.filter(
                member=request.user, state=SubscriptionRequest.State.PENDING
            ).select_related("offer"),
        },
    )


@login_required
def service(request: MemberRequest, pk: int) -> HttpResponse:
    """One subscription of the member: its configuration's details, its addresses,
    and the gateway and DNS resolvers to use (404 for another member's)."""
    today = timezone.localdate()
    found = [s for s in member_services(request.user, today) if s.subscription.pk == pk]
    if not found:
        raise Http404("No such subscription.")
    return render(request, "portal/service.html", {"service": found[0], "network": network_settings()})


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
