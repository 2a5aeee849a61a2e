"""/isp.json: the ISP in the FFDN format, with the live counts of members and
subscribers (here, in the portal, because it reads members and offers)."""

import hashlib
import json

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_safe

from coin.isp_database.isp_format import isp_document
from coin.isp_database.models import ISPInfo
from coin.portal.counts import member_count, subscriber_count

MAX_AGE = 3600


@require_safe
def isp_json(request: HttpRequest) -> HttpResponse:
    """The ISP in the FFDN format, with an ETag so that the federation's crawler can
    ask "has it changed?" cheaply."""
    isp = (
        ISPInfo.objects.select_related("registered_office")
        .prefetch_related("other_websites", "chat_rooms", "covered_areas")
        .first()
    )
    if isp is None:
        raise Http404("No ISP identity is set up yet.")
    body = json.dumps(
        isp_document(isp, member_count(), subscriber_count()), indent=2, ensure_ascii=False
    ).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response
