"""POST /api/coa/ and the vendor operations, against manage.py coa_server as the BNG."""

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from rest_framework.test import APIClient

from coa.models import CoARequest
from coa.tests.coa_peer import coa_server, go_online

pytestmark = pytest.mark.django_db

#: Each vendor operation, its parameters, and the attributes the BNG must receive
#: after the session's (User-Name, Acct-Session-Id, Framed-IP-Address, NAS-IP-Address).
OPERATIONS = [
    ("cisco/account-logon", {}, ['Cisco-AVPair = "subscriber:command=account-logon"']),
    ("cisco/account-logoff", {}, ['Cisco-AVPair = "subscriber:command=account-logoff"']),
    ("cisco/account-update", {}, ['Cisco-AVPair = "subscriber:command=account-update"']),
    ("cisco/service-activate", {"service": "gold"}, ['Cisco-AVPair = "subscriber:sa=gold"']),
    ("cisco/service-deactivate", {"service": "gold"}, ['Cisco-AVPair = "subscriber:sd=gold"']),
    ("cisco/qos-policy-in", {"policy": "in-10M"}, ['Cisco-AVPair = "ip:sub-qos-policy-in=in-10M"']),
    ("cisco/qos-policy-out", {"policy": "out-100M"}, ['Cisco-AVPair = "ip:sub-qos-policy-out=out-100M"']),
    ("cisco/acl-v4", {"acl": "web-only", "direction": "in"}, ['Cisco-AVPair = "ip:inacl=web-only"']),
    ("cisco/acl-v6", {"acl": "v6-block", "direction": "out"}, ['Cisco-AVPair = "ipv6:outacl=v6-block"']),
    ("juniper/service-activate", {"service": "fibre(100M)"}, ['ERX-Service-Activate:1 = "fibre(100M)"']),
    ("juniper/service-deactivate", {"service": "fibre"}, ['ERX-Service-Deactivate = "fibre"']),
    ("mikrotik/rate-limit", {"rate": "10M/100M"}, ['Mikrotik-Rate-Limit = "10M/100M"']),
]


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def operator(member_factory):
    staff = member_factory(username="noc", is_staff=True, email="noc@example.org")
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="coa", codename__in=["add_coarequest", "view_coarequest"]
        )
    )
    client = APIClient()
    client.force_authenticate(staff)
    client.user = staff
    return client


def attribute_lines(block: str) -> list[str]:
    return [x.strip() for x in block.splitlines()[1:] if x.startswith("    ") and "Event-Timestamp" not in x]


def test_coa_with_attributes_to_an_online_subscriber(operator, account):
    with coa_server() as bng:
        session = go_online(account, bng.port)
        response = operator.post(
            "/api/coa/",
            {
                "bng": account.bng_id,
                "code": "coa",
                "username": account.login,
                "attributes": {"Filter-Id": "gold", "Session-Timeout": 3600},
                "secret": "ignored: the BNG record's secret is used",
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        (block,) = bng.wait_for(1)
    body = response.json()
    assert body["answer"] == 44 and body["answer_name"] == "CoA-ACK" and body["outcome"] == "ack"
    assert (
        body["code_name"] == "CoA-Request"
        and body["origin"] == "api"
        and body["requested_by"] == operator.user.pk
    )
    assert body["acct_session_id"] == session.acctsessionid and body["latency_ms"] > 0
    assert attribute_lines(block) == [
        f'User-Name = "{account.login}"',
        'Acct-Session-Id = "0000A1B2"',
        'Framed-IP-Address = "198.51.100.7"',
        'NAS-IP-Address = "127.0.0.1"',
        'Filter-Id = "gold"',
        "Session-Timeout = 3600",
    ]
    assert operator.get(f"/api/coa/{body['id']}/").json()["attributes"][4] == ["Filter-Id", "gold"]


def test_disconnect_nak_and_its_error_cause(operator, account):
    with coa_server("--nak-on", "User-Name", "--error-cause", "503") as bng:
        go_online(account, bng.port)
        response = operator.post(
            "/api/coa/",
            {"bng": account.bng_id, "code": "disconnect", "username": account.login},
            format="json",
        )
    body = response.json()
    assert response.status_code == 201 and body["answer_name"] == "Disconnect-NAK"
    assert body["error_cause"] == 503 and body["error_cause_name"] == "Session-Context-Not-Found"
    assert body["outcome"] == "gone"


def test_every_vendor_operation_as_the_bng_prints_it(operator, account, capsys):
    with coa_server() as bng:
        go_online(account, bng.port)
        for path, parameters, _expected in OPERATIONS:
            response = operator.post(
                f"/api/coa/{path}/",
                {"bng": account.bng_id, "username": account.login, **parameters},
                format="json",
            )
            assert response.status_code == 201, (path, response.content)
            assert response.json()["answer_name"] == "CoA-ACK"
            assert response.json()["operation"] == path.replace("/", ".")
        blocks = bng.wait_for(len(OPERATIONS))
    for (path, _parameters, expected), block in zip(OPERATIONS, blocks, strict=True):
        assert attribute_lines(block)[4:] == expected, (path, block)
    with capsys.disabled():
        print("\n--- vendor operations as coa_server printed them ---")
        for (path, _parameters, _expected), block in zip(OPERATIONS, blocks, strict=True):
            print(f"POST /api/coa/{path}/\n{block}")


@pytest.mark.parametrize(
    "path, body, field, reason",
    [
        (
            "",
            {"code": "coa", "attributes": {"Not-An-Attribute": "x"}},
            "attributes",
            "Not-An-Attribute: unknown",
        ),
        (
            "",
            {"code": "coa", "attributes": {"Framed-IP-Address": "x"}},
            "attributes",
            "Framed-IP-Address: 'x'",
        ),
        (
            "",
            {"code": "coa", "attributes": {"Message-Authenticator": "0x00"}},
            "attributes",
            "Message-Authent",
        ),
        ("", {"code": "reboot"}, "code", "not a valid choice"),
        ("", {"code": "coa", "username": "nobody-online"}, "username", "No open session"),
        ("cisco/acl-v4/", {"acl": "x", "direction": "sideways"}, "direction", "not a valid choice"),
        ("cisco/service-activate/", {"service": "two words"}, "service", "is not a name"),
        ("mikrotik/rate-limit/", {"rate": "fast"}, "rate", "not a MikroTik rate"),
        ("juniper/service-activate/", {}, "service", "required"),
    ],
)
def test_refused_requests_name_the_field_and_send_nothing(operator, bng, path, body, field, reason):
    response = operator.post(f"/api/coa/{path}", {"bng": bng.pk, **body}, format="json")
    assert response.status_code == 400, response.content
    assert reason in " ".join(response.json()[field])
    assert not CoARequest.objects.exists()


def test_unknown_bng_is_refused(operator):
    response = operator.post("/api/coa/", {"bng": 999, "code": "coa"}, format="json")
    assert response.status_code == 400 and "bng" in response.json()


def test_posts_are_throttled(operator, bng, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "coa": "2/minute"}}  # fmt: skip
    statuses = [
        operator.post("/api/coa/", {"bng": bng.pk, "code": "reboot"}, format="json").status_code
        for _ in range(3)
    ]
    assert statuses == [400, 400, 429]
    assert operator.get("/api/coa/").status_code == 200  # reading is not throttled by this scope


def test_the_openapi_document_describes_each_operation_and_its_answer_codes(operator, member_factory):
    from django.test import Client

    admin = member_factory(username="root", is_staff=True, is_superuser=True, email="root@example.org")
    client = Client()
    client.force_login(admin)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path, _parameters, _expected in OPERATIONS:
        operation = schema["paths"][f"/api/coa/{path}/"]["post"]
        assert "44 CoA-ACK" in operation["responses"]["201"]["description"]
        assert {"400", "403", "429"} <= set(operation["responses"])
    create = schema["paths"]["/api/coa/"]["post"]
    assert "42 Disconnect-NAK" in create["responses"]["201"]["description"]
