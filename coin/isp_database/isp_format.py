"""The FFDN ISP format, version 0.1: what GET /isp.json returns."""

from typing import Any

from coin.isp_database.models import ISPInfo

FORMAT_VERSION = 0.1


def _iso(date) -> str | None:
    return date.isoformat() if date else None


def isp_document(isp: ISPInfo, member_count: int, subscriber_count: int) -> dict[str, Any]:
    """The JSON document of the ISP, leaving out the optional fields that are empty
    (the schema's formats reject empty strings)."""
    document: dict[str, Any] = {
        "name": isp.name,
        "shortname": isp.shortname,
        "description": isp.description,
        "logoURL": isp.logoURL,
        "website": isp.website,
        "email": isp.email,
        "mainMailingList": isp.mainMailingList,
        "creationDate": _iso(isp.creationDate),
        "ffdnMemberSince": _iso(isp.ffdnMemberSince),
        "progressStatus": isp.progressStatus,
        "memberCount": member_count,
        "subscriberCount": subscriber_count,
        "version": FORMAT_VERSION,
    }
    document = {key: value for key, value in document.items() if value not in ("", None)}
    if isp.latitude is not None and isp.longitude is not None:
        document["coordinates"] = {"latitude": isp.latitude, "longitude": isp.longitude}
    office = getattr(isp, "registered_office", None)
    if office is not None:
        document["registeredOffice"] = {
            key: value
            for key, value in {
                "post-office-box": office.post_office_box,
                "extended-address": office.extended_address,
                "street-address": office.street_address,
                "locality": office.locality,
                "region": office.region,
                "postal-code": office.postal_code,
                "country-name": office.country_name,
            }.items()
            if value
        }
    websites = {site.name: site.url for site in isp.other_websites.all()}
    if websites:
        document["otherWebsites"] = websites
    chatrooms = [room.url for room in isp.chat_rooms.all()]
    if chatrooms:
        document["chatrooms"] = chatrooms
    document["coveredAreas"] = [
        {"name": area.name, "technologies": area.technologies, **({"area": area.area} if area.area else {})}
        for area in isp.covered_areas.all()
    ]
    return document
