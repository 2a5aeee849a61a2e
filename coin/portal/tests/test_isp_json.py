"""GET /isp.json: the FFDN ISP format 0.1, validated offline against the published schema."""

import datetime
import json
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from jsonschema import Draft4Validator, FormatChecker, ValidationError
from jsonschema.validators import extend
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT4

from coin.isp_database.models import ChatRoom, CoveredArea, ISPInfo, OtherWebsite, RegisteredOffice
from coin.members.models import Member

# A copy of the FFDN's schema files (shared/specs/isp-format-0.1), kept with the tests
# so that they run anywhere, without network.
SCHEMA_DIR = Path(__file__).parent / "isp_format_0_1"
SCHEMA_FILES = {
    "http://json-schema.org/address": "address.json",
    "http://json-schema.org/geo": "geo.json",
    "http://json-schema.org/geojson/geojson.json#": "geojson/geojson.json",
    "http://json-schema.org/geojson/geometry.json#": "geojson/geometry.json",
    "http://json-schema.org/geojson/bbox.json#": "geojson/bbox.json",
    "http://json-schema.org/geojson/crs.json#": "geojson/crs.json",
}

SQUARE = [[4.82, 45.77], [4.84, 45.77], [4.84, 45.78], [4.82, 45.78], [4.82, 45.77]]
HOLE = [[4.825, 45.772], [4.83, 45.772], [4.83, 45.775], [4.825, 45.772]]
TRIANGLE = [[4.9, 45.7], [4.95, 45.7], [4.92, 45.75], [4.9, 45.7]]


def _uri_checker() -> FormatChecker:
    """Draft-04 formats, with "uri" checked even without the optional rfc3987 package:
    an absolute URI starts with a scheme and holds no whitespace."""
    checker = FormatChecker(formats=Draft4Validator.FORMAT_CHECKER.checkers)

    @checker.checks("uri")
    def is_uri(value) -> bool:
        return not isinstance(value, str) or re.fullmatch(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+", value) is not None

    return checker


@pytest.fixture(scope="module")
def registry() -> Registry:
    registry = Registry()
    for uri, file in SCHEMA_FILES.items():
        contents = json.loads((SCHEMA_DIR / file).read_text())
        # No retrieve function: a $ref outside this store fails instead of going online.
        registry = registry.with_resource(uri.rstrip("#"), DRAFT4.create_resource(contents))
    return registry


def _dependencies(validator, dependencies, instance, schema):
    """Draft-04 "dependencies", also accepting a single property name as the dependency.

    address.json writes ``"post-office-box": "street-address"`` (a draft-03 habit): the
    validators of the format's time read it as ``["street-address"]``, while jsonschema 4
    crashes on it. Read it as they did."""
    if not validator.is_type(instance, "object"):
        return
    for name, dependency in dependencies.items():
        if name not in instance:
            continue
        if validator.is_type(dependency, "object"):
            yield from validator.descend(instance, dependency, schema_path=name)
            continue
        for needed in [dependency] if isinstance(dependency, str) else dependency:
            if needed not in instance:
                yield ValidationError(f"{needed!r} is a dependency of {name!r}")


ISPFormatValidator = extend(Draft4Validator, {"dependencies": _dependencies})


@pytest.fixture(scope="module")
def validator(registry) -> Draft4Validator:
    schema = json.loads((SCHEMA_DIR / "isp.json").read_text())
    Draft4Validator.check_schema(schema)
    return ISPFormatValidator(schema, registry=registry, format_checker=_uri_checker())


def format_errors(validator: Draft4Validator, document: dict) -> list[str]:
    """Everything the schema and the format's own rules reject in a document."""
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(document)]
    if not (type(document.get("version")) is float and document["version"] == 0.1):
        errors.append("version must be the number 0.1")
    for area in document.get("coveredAreas", []):
        if "area" in area and area["area"].get("type") not in ("Polygon", "MultiPolygon"):
            errors.append(f"area of {area.get('name')!r} is not a Polygon or MultiPolygon")
    return errors


def get_isp_json(client, **headers):
    return client.get(reverse("portal:isp_json"), headers=headers)


@pytest.fixture
def minimal_isp(db) -> ISPInfo:
    return ISPInfo.objects.create(name="Minimal ISP", email="contact@minimal.example")


@pytest.fixture
def full_isp(isp) -> ISPInfo:
    isp.description = "Fournisseur d'accès associatif, neutre et local."
    isp.logoURL = "https://arlp.example/logo.svg"
    isp.mainMailingList = "membres@lists.arlp.example"
    isp.creationDate = datetime.date(2012, 3, 10)
    isp.ffdnMemberSince = datetime.date(2013, 1, 15)
    isp.progressStatus = ISPInfo.ProgressStatus.RUNNING
    isp.latitude = 45.764
    isp.longitude = 4.8357
    isp.save()
    RegisteredOffice.objects.create(
        isp=isp,
        post_office_box="BP 42",
        street_address="12 rue des Canuts",
        postal_code="69004",
        locality="Lyon",
        region="Auvergne-Rhône-Alpes",
        country_name="France",
    )
    OtherWebsite.objects.create(isp=isp, name="wiki", url="https://wiki.arlp.example")
    OtherWebsite.objects.create(isp=isp, name="pad", url="https://pad.arlp.example/p/ag")
    ChatRoom.objects.create(isp=isp, url="irc://irc.libera.chat/#arlp")
    ChatRoom.objects.create(isp=isp, url="xmpp:membres@rooms.arlp.example?join")
    CoveredArea.objects.create(isp=isp, name="France (VPN)", technologies=["vpn"])
    CoveredArea.objects.create(
        isp=isp,
        name="Croix-Rousse",
        technologies=["ftth", "wifi"],
        area={"type": "Polygon", "coordinates": [SQUARE, HOLE]},
    )
    CoveredArea.objects.create(
        isp=isp,
        name="Villages",
        technologies=["dsl", "fttb", "cube"],
        area={"type": "MultiPolygon", "coordinates": [[SQUARE], [TRIANGLE]]},
    )
    return isp


# --- The validator itself: it must be able to say no -------------------------------------


@pytest.mark.parametrize(
    "change, where",
    [
        ({"version": "0.1"}, "version"),
        ({"version": 0.2}, "version"),
        ({"email": "not an address"}, "email"),
        ({"website": "arlp.example"}, "website"),
        ({"chatrooms": ["#arlp on libera"]}, "chatrooms"),
        ({"shortname": "A name longer than fifteen"}, "shortname"),
        ({"memberCount": -1}, "memberCount"),
        ({"progressStatus": 8}, "progressStatus"),
        ({"coveredAreas": [{"name": "x", "technologies": ["adsl"]}]}, "coveredAreas"),
        ({"coveredAreas": [{"name": "x", "technologies": [], "area": {"type": "Polygon"}}]}, "coveredAreas"),
        (
            {
                "coveredAreas": [
                    {"name": "x", "technologies": [], "area": {"type": "Point", "coordinates": [1, 2]}}
                ]
            },
            "area of 'x'",
        ),
        ({"registeredOffice": {"post-office-box": "BP 1", "locality": "L"}}, "registeredOffice"),
        ({"coordinates": {"latitude": "45.7"}}, "coordinates"),
    ],
)
def test_the_validator_rejects_what_the_format_forbids(validator, change, where):
    document = {
        "name": "ISP",
        "email": "contact@isp.example",
        "memberCount": 0,
        "subscriberCount": 0,
        "coveredAreas": [],
        "version": 0.1,
    }
    assert format_errors(validator, document) == []
    errors = format_errors(validator, {**document, **change})
    assert errors
    assert any(where in error for error in errors), errors


def test_the_validator_never_goes_online(registry):
    with pytest.raises(Unresolvable):
        Draft4Validator({"$ref": "http://json-schema.org/elsewhere.json"}, registry=registry).validate(1)


# --- The document that Coin serves ----------------------------------------------------------


def test_minimal_isp_is_valid_and_leaves_out_empty_fields(client, validator, minimal_isp):
    response = get_isp_json(client)
    assert response.status_code == 200
    document = json.loads(response.content)
    assert format_errors(validator, document) == []
    assert document == {
        "name": "Minimal ISP",
        "email": "contact@minimal.example",
        "memberCount": 0,
        "subscriberCount": 0,
        "coveredAreas": [],
        "version": 0.1,
    }


def test_version_is_the_number_0_1(client, minimal_isp):
    response = get_isp_json(client)
    assert re.search(rb'"version":\s*0\.1\b', response.content)
    assert type(json.loads(response.content)["version"]) is float


def test_full_isp_is_valid(client, validator, full_isp):
    document = json.loads(get_isp_json(client).content)
    assert format_errors(validator, document) == []
    assert document["name"] == "Association Réseau Libre du Plateau"
    assert document["shortname"] == "ARLP"
    assert document["description"] == "Fournisseur d'accès associatif, neutre et local."
    assert document["logoURL"] == "https://arlp.example/logo.svg"
    assert document["website"] == "https://arlp.example"
    assert document["email"] == "contact@arlp.example"
    assert document["mainMailingList"] == "membres@lists.arlp.example"
    assert document["creationDate"] == "2012-03-10"
    assert document["ffdnMemberSince"] == "2013-01-15"
    assert document["progressStatus"] == 5
    assert document["coordinates"] == {"latitude": 45.764, "longitude": 4.8357}
    assert document["registeredOffice"] == {
        "post-office-box": "BP 42",
        "street-address": "12 rue des Canuts",
        "postal-code": "69004",
        "locality": "Lyon",
        "region": "Auvergne-Rhône-Alpes",
        "country-name": "France",
    }
    assert document["otherWebsites"] == {
        "wiki": "https://wiki.arlp.example",
        "pad": "https://pad.arlp.example/p/ag",
    }
    assert sorted(document["chatrooms"]) == [
        "irc://irc.libera.chat/#arlp",
        "xmpp:membres@rooms.arlp.example?join",
    ]
    areas = {area["name"]: area for area in document["coveredAreas"]}
    assert areas["France (VPN)"] == {"name": "France (VPN)", "technologies": ["vpn"]}
    assert areas["Croix-Rousse"]["technologies"] == ["ftth", "wifi"]
    assert areas["Croix-Rousse"]["area"] == {"type": "Polygon", "coordinates": [SQUARE, HOLE]}
    assert areas["Villages"]["area"] == {"type": "MultiPolygon", "coordinates": [[SQUARE], [TRIANGLE]]}
    # What only the portal and the invoices use stays private.
    body = get_isp_json(client).content.decode()
    for private in ["tresorerie@arlp.example", "support@arlp.example", "FR7630006000011234567890189"]:
        assert private not in body


def test_the_demo_isp_is_valid(client, validator, db):
    from io import StringIO

    from coin.isp_database import demo

    demo.load(StringIO())
    assert format_errors(validator, json.loads(get_isp_json(client).content)) == []


def test_coordinates_need_both_values_in_the_document(client, minimal_isp):
    # The admin refuses half coordinates; rows written another way publish none.
    ISPInfo.objects.filter(pk=minimal_isp.pk).update(latitude=45.0)
    assert "coordinates" not in json.loads(get_isp_json(client).content)


def test_member_count_counts_active_members_only_and_is_live(client, minimal_isp, member_factory):
    member_factory(status=Member.Status.MEMBER)
    member_factory(status=Member.Status.MEMBER)
    member_factory(status=Member.Status.MEMBER, is_active=False)
    member_factory(status=Member.Status.PENDING)
    member_factory(status=Member.Status.NOT_MEMBER)
    member_factory(status=Member.Status.NOT_MEMBER, is_staff=True, is_superuser=True)
    first = get_isp_json(client)
    assert json.loads(first.content)["memberCount"] == 2
    assert json.loads(first.content)["subscriberCount"] == 0

    member_factory(status=Member.Status.MEMBER)
    second = get_isp_json(client)
    assert json.loads(second.content)["memberCount"] == 3
    assert second["ETag"] != first["ETag"]


def test_served_as_json_with_cache_validators(client, minimal_isp):
    response = get_isp_json(client)
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0].strip() == "application/json"
    assert re.fullmatch(r'(W/)?"[^"]+"', response["ETag"])
    max_age = re.search(r"max-age=(\d+)", response["Cache-Control"])
    assert max_age and int(max_age.group(1)) > 0


def test_if_none_match_gets_304_with_empty_body(client, minimal_isp):
    etag = get_isp_json(client)["ETag"]
    response = get_isp_json(client, if_none_match=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert "max-age=" in response["Cache-Control"]


def test_changed_data_gets_200_despite_old_etag(client, minimal_isp):
    etag = get_isp_json(client)["ETag"]
    minimal_isp.description = "Now with a description"
    minimal_isp.save()
    response = get_isp_json(client, if_none_match=etag)
    assert response.status_code == 200
    assert json.loads(response.content)["description"] == "Now with a description"


def test_same_data_gets_same_etag(client, full_isp):
    assert get_isp_json(client)["ETag"] == get_isp_json(client)["ETag"]


def test_404_when_no_isp_is_set_up(client, db):
    assert get_isp_json(client).status_code == 404


def test_only_safe_methods(client, minimal_isp):
    url = reverse("portal:isp_json")
    assert client.post(url).status_code == 405
    head = client.head(url)
    assert head.status_code == 200
    assert head["ETag"] == get_isp_json(client)["ETag"]


def test_public_without_login(client, minimal_isp):
    assert reverse("portal:isp_json") == "/isp.json"
    assert get_isp_json(client).status_code == 200


def test_subscriber_count_counts_members_with_a_running_subscription(client, minimal_isp, member_factory):
    from coin.offers.models import Offer
    from coin.offers.subscriptions import subscribe

    today = timezone.localdate()
    vpn = Offer.objects.create(name="VPN", reference="VPN")
    dsl = Offer.objects.create(name="DSL", reference="DSL")
    two_lines = member_factory()
    subscribe(member=two_lines, offer=vpn, subscription_date=today)
    subscribe(member=two_lines, offer=dsl, subscription_date=today - datetime.timedelta(days=400))
    resigned = member_factory()
    subscribe(
        member=resigned, offer=vpn, subscription_date=today - datetime.timedelta(days=30), resign_date=today
    )
    future = member_factory()
    subscribe(member=future, offer=vpn, subscription_date=today + datetime.timedelta(days=2))
    assert json.loads(get_isp_json(client).content)["subscriberCount"] == 1

    subscribe(member=resigned, offer=dsl, subscription_date=today)
    assert json.loads(get_isp_json(client).content)["subscriberCount"] == 2
