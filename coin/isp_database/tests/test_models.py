"""Validation rules of the ISP identity: bad input gets an error naming the field."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from coin.isp_database.banking import check_iban, format_iban, iban_is_valid
from coin.isp_database.models import (
    BankInfo,
    ChatRoom,
    CoveredArea,
    ISPInfo,
    OtherWebsite,
    RegisteredOffice,
)

pytestmark = pytest.mark.django_db

SQUARE = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]


def errors_of(instance) -> dict[str, list[str]]:
    """The errors full_clean reports, by field ({} when valid)."""
    try:
        instance.full_clean()
    except ValidationError as error:
        return error.message_dict
    return {}


# --- Covered areas ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "area",
    [
        None,
        {"type": "Polygon", "coordinates": [SQUARE]},
        {"type": "Polygon", "coordinates": [SQUARE, [[0.2, 0.2], [0.4, 0.2], [0.4, 0.4], [0.2, 0.2]]]},
        {"type": "Polygon", "coordinates": [[[4.8, 45.7], [4.9, 45.7], [4.9, 45.8], [4.8, 45.7]]]},
        {"type": "MultiPolygon", "coordinates": [[SQUARE], [[[5, 5], [6, 5], [6, 6], [5, 5]]]]},
    ],
)
def test_polygon_and_multipolygon_areas_are_accepted(isp, area):
    assert errors_of(CoveredArea(isp=isp, name="Zone", technologies=["ftth"], area=area)) == {}


@pytest.mark.parametrize(
    "area",
    [
        pytest.param({"type": "Point", "coordinates": [4.8, 45.7]}, id="point"),
        pytest.param({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, id="linestring"),
        pytest.param(
            {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [SQUARE]}, "properties": {}},
            id="feature",
        ),
        pytest.param(
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}, id="unclosed-ring"
        ),
        pytest.param({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}, id="ring-of-3"),
        pytest.param({"type": "Polygon", "coordinates": []}, id="no-coordinates"),
        pytest.param({"type": "Polygon"}, id="coordinates-missing"),
        pytest.param(
            {"type": "Polygon", "coordinates": [[0, 0], [1, 0], [1, 1], [0, 0]]}, id="ring-not-nested"
        ),
        pytest.param({"type": "MultiPolygon", "coordinates": [SQUARE]}, id="multipolygon-of-rings"),
        pytest.param(
            {"type": "Polygon", "coordinates": [[[0, 0, 9], [1, 0, 9], [1, 1, 9], [0, 0, 9]]]},
            id="altitude",
        ),
        pytest.param(
            {"type": "Polygon", "coordinates": [[[0, 0], [True, 0], [1, 1], [0, 0]]]},
            id="boolean",
        ),
        pytest.param(
            {"type": "Polygon", "coordinates": [[["0", "0"], ["1", "0"], ["1", "1"], ["0", "0"]]]},
            id="strings",
        ),
        pytest.param(
            '{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}', id="json-text"
        ),
        pytest.param([SQUARE], id="bare-list"),
    ],
)
def test_other_areas_are_rejected_naming_the_field(isp, area):
    errors = errors_of(CoveredArea(isp=isp, name="Zone", technologies=["ftth"], area=area))
    assert list(errors) == ["area"]


def test_an_unclosed_ring_is_explained(isp):
    area = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}
    with translation.override("en"):
        [message] = errors_of(CoveredArea(isp=isp, name="Zone", technologies=["ftth"], area=area))["area"]
    assert "closed" in message


def test_a_point_is_explained(isp):
    area = {"type": "Point", "coordinates": [4.8, 45.7]}
    [message] = errors_of(CoveredArea(isp=isp, name="Zone", technologies=["ftth"], area=area))["area"]
    assert "Polygon" in message


@pytest.mark.parametrize("technologies", [["ftth", "fttb", "dsl", "wifi", "vpn", "cube"], ["vpn"]])
def test_technologies_of_the_list_are_accepted(isp, technologies):
    assert errors_of(CoveredArea(isp=isp, name="Zone", technologies=technologies)) == {}


@pytest.mark.parametrize("technologies", [["adsl"], ["ftth", "5g"], ["FTTH"], "ftth", {"ftth": True}])
def test_technologies_outside_the_list_are_rejected(isp, technologies):
    errors = errors_of(CoveredArea(isp=isp, name="Zone", technologies=technologies))
    assert list(errors) == ["technologies"]
    assert "ftth" in errors["technologies"][0]


def test_an_area_needs_a_technology(isp):
    assert list(errors_of(CoveredArea(isp=isp, name="Zone", technologies=[]))) == ["technologies"]


# --- The ISP itself ---------------------------------------------------------------------


def test_only_one_isp_identity(isp):
    second = ISPInfo(name="Another", email="contact@another.example")
    errors = errors_of(second)
    assert "__all__" in errors
    # Editing the existing one is fine.
    isp.description = "Changed"
    assert errors_of(isp) == {}


def test_the_first_isp_identity_is_valid(db):
    assert errors_of(ISPInfo(name="First", email="contact@first.example")) == {}


@pytest.mark.parametrize(
    "coordinates, field",
    [({"latitude": 45.7}, "longitude"), ({"longitude": 4.8}, "latitude")],
)
def test_half_coordinates_are_rejected_naming_the_missing_one(db, coordinates, field):
    errors = errors_of(ISPInfo(name="ISP", email="contact@isp.example", **coordinates))
    assert list(errors) == [field]


@pytest.mark.parametrize(
    "coordinates, field",
    [({"latitude": 91, "longitude": 0}, "latitude"), ({"latitude": 0, "longitude": -181}, "longitude")],
)
def test_coordinates_out_of_range_are_rejected(db, coordinates, field):
    assert field in errors_of(ISPInfo(name="ISP", email="contact@isp.example", **coordinates))


def test_both_coordinates_are_accepted(db):
    assert errors_of(ISPInfo(name="ISP", email="contact@isp.example", latitude=45.7, longitude=4.8)) == {}


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"shortname": "x" * 16}, "shortname"),
        ({"progressStatus": 8}, "progressStatus"),
        ({"progressStatus": 0}, "progressStatus"),
        ({"email": "not-an-address"}, "email"),
        ({"email": ""}, "email"),
        ({"name": ""}, "name"),
        ({"website": "arlp.example"}, "website"),
        ({"mainMailingList": "list"}, "mainMailingList"),
    ],
)
def test_isp_fields_are_checked(db, fields, field):
    assert field in errors_of(ISPInfo(**{"name": "ISP", "email": "contact@isp.example", **fields}))


def test_display_name_prefers_the_short_name(db):
    assert ISPInfo(name="Association Réseau Libre", shortname="ARL").display_name == "ARL"
    assert ISPInfo(name="Association Réseau Libre").display_name == "Association Réseau Libre"
    assert str(ISPInfo(name="Association Réseau Libre", shortname="ARL")) == "Association Réseau Libre"


# --- Bank details -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "iban",
    [
        "FR7630006000011234567890188",  # last check digit changed
        "FR7730006000011234567890189",  # check digits changed
        "FR7630006000011234567809189",  # two digits swapped
        "GB82WEST12345698765433",
        "FR76",
        "7630006000011234567890189FR",
        "",
    ],
)
def test_bad_iban_is_rejected(isp, iban):
    isp.bank_info.delete()
    errors = errors_of(BankInfo(isp=isp, iban=iban))
    assert list(errors) == ["iban"]


@pytest.mark.parametrize(
    "iban",
    [
        "FR7630006000011234567890189",
        "fr76 3000 6000 0112 3456 7890 189",
        "GB82WEST12345698765432",
        "DE89370400440532013000",
    ],
)
def test_good_iban_is_accepted_and_stored_compact(isp, iban):
    isp.bank_info.delete()
    bank = BankInfo(isp=isp, iban=iban)
    assert errors_of(bank) == {}
    assert bank.iban == "".join(iban.split()).upper()


def test_iban_helpers():
    assert iban_is_valid("FR76 3000 6000 0112 3456 7890 189")
    assert not iban_is_valid("FR76 3000 6000 0112 3456 7890 18")
    assert format_iban("fr7630006000011234567890189") == "FR76 3000 6000 0112 3456 7890 189"


# 25 characters whose mod-97 is right: the hand-written check accepted it, but a French
# IBAN has 27.
FR_IBAN_TOO_SHORT = "FR04300060000112345678901"


def test_an_iban_of_the_wrong_length_for_its_country_is_refused_even_with_good_check_digits(isp):
    rearranged = FR_IBAN_TOO_SHORT[4:] + FR_IBAN_TOO_SHORT[:4]
    assert int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1  # mod-97 alone passes
    assert not iban_is_valid(FR_IBAN_TOO_SHORT)
    isp.bank_info.delete()
    with translation.override("en"):
        errors = errors_of(BankInfo(isp=isp, iban=FR_IBAN_TOO_SHORT))
    assert errors == {"iban": ["This IBAN does not have the length and format of its country's IBANs."]}


def test_iban_refusals_say_why():
    with translation.override("en"):
        with pytest.raises(ValidationError) as wrong_digits:
            check_iban("FR7630006000011234567890188")
        with pytest.raises(ValidationError) as too_short:
            check_iban("FR76")
    assert wrong_digits.value.messages == ["This IBAN is not valid (check its digits)."]
    assert too_short.value.messages == [
        "This IBAN does not have the length and format of its country's IBANs."
    ]
    assert check_iban(" fr76 3000 6000 0112 3456 7890 189 ") == "FR7630006000011234567890189"


@pytest.mark.parametrize("bic", ["AGRIFRPP", "AGRIFRPPXXX", "agrifrpp"])
def test_good_bic_is_accepted(isp, bic):
    isp.bank_info.delete()
    bank = BankInfo(isp=isp, iban="FR7630006000011234567890189", bic=bic)
    assert errors_of(bank) == {}
    assert bank.bic == bic.upper()


@pytest.mark.parametrize(
    ("bic", "reason"),
    [
        ("AGRIFRP", "A BIC has 8 or 11 characters."),
        ("AGRIFRPPXX", "A BIC has 8 or 11 characters."),
        ("AGR1FRPP", "A BIC is 4 letters (bank), 2 letters (country), then letters or digits."),
    ],
)
def test_bad_bic_is_refused_with_its_reason(isp, bic, reason):
    isp.bank_info.delete()
    with translation.override("en"):
        errors = errors_of(BankInfo(isp=isp, iban="FR7630006000011234567890189", bic=bic))
    assert errors == {"bic": [reason]}


def test_one_bank_info_per_isp(isp):
    assert "isp" in errors_of(BankInfo(isp=isp, iban="DE89370400440532013000"))


# --- Registered office, websites, chat rooms -------------------------------------------------


def test_registered_office_needs_a_street_with_a_po_box(isp):
    office = RegisteredOffice(
        isp=isp, post_office_box="BP 1", locality="Lyon", region="ARA", country_name="France"
    )
    assert list(errors_of(office)) == ["street_address"]
    office.street_address = "1 rue de la Paix"
    assert errors_of(office) == {}


def test_registered_office_needs_locality_region_and_country(isp):
    assert set(errors_of(RegisteredOffice(isp=isp))) == {"locality", "region", "country_name"}


@pytest.mark.parametrize(
    "url",
    [
        "irc://irc.libera.chat/#arlp",
        "ircs://irc.libera.chat:6697/#arlp",
        "xmpp:membres@rooms.arlp.example?join",
        "https://matrix.to/#/#arlp:matrix.org",
        "matrix:r/arlp:matrix.org",
    ],
)
def test_chat_room_urls_with_a_scheme_are_accepted(isp, url):
    assert errors_of(ChatRoom(isp=isp, url=url)) == {}


@pytest.mark.parametrize(
    "url", ["#arlp on libera", "irc.libera.chat/#arlp", "irc://irc.libera.chat/# arlp", ""]
)
def test_chat_room_urls_without_a_scheme_are_rejected(isp, url):
    assert list(errors_of(ChatRoom(isp=isp, url=url))) == ["url"]


def test_chat_rooms_and_websites_are_unique_per_isp(isp):
    ChatRoom.objects.create(isp=isp, url="irc://irc.libera.chat/#arlp")
    OtherWebsite.objects.create(isp=isp, name="wiki", url="https://wiki.arlp.example")
    assert errors_of(ChatRoom(isp=isp, url="irc://irc.libera.chat/#arlp"))
    assert errors_of(OtherWebsite(isp=isp, name="wiki", url="https://wiki2.arlp.example"))


def test_other_website_needs_a_web_url(isp):
    assert list(errors_of(OtherWebsite(isp=isp, name="wiki", url="wiki.arlp.example"))) == ["url"]
