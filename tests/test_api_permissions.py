"""Every endpoint of the router, with a staff user who is not a superuser: no
permission, view only, all permissions (see tests/api_cases.py)."""

import pytest
from rest_framework.test import APIClient

from tests.api_cases import CASES, build_world, endpoints, full_names, model_permissions

pytestmark = pytest.mark.django_db

WRITES = ("post", "patch", "put", "delete")


def test_every_endpoint_has_a_case():
    assert sorted(endpoints()) == sorted(CASES), "add a case to tests/api_cases.py for each new endpoint"


@pytest.fixture
def staff(member_factory):
    return member_factory(username="staffer", is_staff=True, email="staff@example.org")


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def requests(client, prefix: str, pk) -> dict:
    body = {"x": 1}
    return {
        "list": client.get(f"/api/{prefix}/"),
        "detail": client.get(f"/api/{prefix}/{pk}/"),
        "post": client.post(f"/api/{prefix}/", body, format="json"),
        "patch": client.patch(f"/api/{prefix}/{pk}/", body, format="json"),
        "put": client.put(f"/api/{prefix}/{pk}/", body, format="json"),
        "delete": client.delete(f"/api/{prefix}/{pk}/"),
    }


@pytest.mark.parametrize("prefix", sorted(CASES))
def test_without_permission_everything_is_refused(prefix, staff, member_factory):
    case = CASES[prefix]
    obj = case.make(build_world(member_factory))
    answers = requests(client_for(staff), prefix, obj.pk)
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 403)


@pytest.mark.parametrize("prefix", sorted(CASES))
def test_view_permission_reads_but_cannot_write(prefix, staff, member_factory):
    case = CASES[prefix]
    world = build_world(member_factory)
    obj = case.make(world)
    staff.user_permissions.add(
        *model_permissions(case.model, ["view"]), *full_names(case.extra_view_permissions)
    )
    answers = requests(client_for(staff), prefix, obj.pk)
    assert answers["list"].status_code == 200 and answers["list"].json()["count"] >= 1
    assert answers["detail"].status_code == 200 and answers["detail"].json()["id"] == obj.pk
    assert {name: answers[name].status_code for name in WRITES} == dict.fromkeys(WRITES, 403)


@pytest.mark.parametrize("prefix", sorted(CASES))
def test_full_permission_writes_what_the_endpoint_offers(prefix, staff, member_factory):
    case = CASES[prefix]
    world = build_world(member_factory)
    obj = case.make(world)
    staff.user_permissions.add(*model_permissions(case.model), *full_names(case.extra_view_permissions))
    client = client_for(staff)
    url = f"/api/{prefix}/{obj.pk}/"
    if case.create:
        response = client.post(f"/api/{prefix}/", case.create(world), format="json")
        assert response.status_code == 201, response.content
    else:
        assert client.post(f"/api/{prefix}/", {}, format="json").status_code == 405
    if case.update:
        response = client.patch(url, case.update(world, obj), format="json")
        assert response.status_code == 200, response.content
    else:
        assert client.patch(url, {}, format="json").status_code == 405
    if case.put:
        response = client.put(url, case.put(world, obj), format="json")
        assert response.status_code == 200, response.content
    else:
        assert client.put(url, {}, format="json").status_code == 405
    assert client.delete(url).status_code == (204 if case.delete else 405)
