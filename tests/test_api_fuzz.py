"""Schemathesis against /api/schema/, in process through the WSGI app, with a staff
token holding every permission: no 5xx, no response outside the schema, no invalid
request accepted. Bounded and reproducible (fixed examples per operation, derandomised)."""

import traceback

import pytest
import schemathesis
from django.contrib.auth.models import Permission
from django.db import transaction
from hypothesis import HealthCheck, given, settings

from coin.api.models import APIToken

pytestmark = pytest.mark.django_db

#: Operations whose findings are other branches' work (bounds of billing periods,
#: money digits and dates in coin/billing and coin/offers models), excluded here
#: until those land. Each entry: (method, path).
OTHER_BRANCHES: set[tuple[str, str]] = set()  # none left at the time of writing


#: "Schema-valid request rejected": a filter on a member or an invoice that does not
#: exist is an integer by the schema, and a 400 naming the filter by the API; that
#: is the answer we want. (Invalid requests accepted, 5xx and responses outside the
#: schema are all checked.)
EXCLUDED_CHECKS = [schemathesis.checks.positive_data_acceptance]


@pytest.fixture
def wsgi_app(db):
    """The project's WSGI application, keeping the test's database connection (as
    Django's test client does: a finished request would otherwise close it)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from coin.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app):
    return schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)


@pytest.fixture
def token_headers(member_factory) -> dict:
    staff = member_factory(username="fuzzer", is_staff=True, email="fuzzer@example.org")
    staff.user_permissions.set(Permission.objects.all())
    _token, key = APIToken.objects.issue(staff)
    return {"Authorization": f"Token {key}"}


def test_api_conforms_to_its_schema(api_schema, token_headers):
    failures, operations = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in OTHER_BRANCHES:
            continue
        operations += 1

        @settings(
            max_examples=15,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy())
        def run(case):
            # Each request is rolled back to a savepoint, so that one that leaves the
            # transaction aborted (see the report of issue 8) does not fail the next.
            savepoint = transaction.savepoint()
            try:
                case.call_and_validate(headers=token_headers, excluded_checks=EXCLUDED_CHECKS)
            finally:
                transaction.savepoint_rollback(savepoint)

        try:
            run()
        except (Exception, BaseExceptionGroup) as error:  # every operation's failures, reported together
            failures.append(f"{operation.label}: {error}\n" + "".join(traceback.format_exception(error)))
    assert operations > 30
    assert not failures, "\n\n".join(failures)
