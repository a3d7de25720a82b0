"""Property-based requests from the OpenAPI schema (/api/schema/) against the WSGI application
on the test database, anonymously and as an administrator: no 5xx, and every documented answer
matches its schema. Bounded (few examples per operation, no deadline) to stay well under 3 minutes."""

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.hardening import figures

CHECKS = [not_a_server_error, response_schema_conformance]
CSRF = "h" * 32  # a fixed token sent as cookie and header: Django accepts the pair


def _schema():
    from project.wsgi import application

    # Reading the schema needs no database. Placement runs an optimiser for up to its time_limit
    # (seconds), so it is left to the bad-input table.
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application).exclude(path_regex=r"placement")


@pytest.fixture
def admin_headers(db):
    user = get_user_model().objects.create_superuser("fuzz-admin", "f@example.org", "pw-fuzz-123")
    client = Client()
    client.force_login(user)
    return {"Cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}", "X-CSRFToken": CSRF}


schema = _schema()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI application closes old connections when a request starts and finishes, as a
    server should; the test's connection holds its transaction, so (as Django's test client
    does) that handler is off while the generated requests run."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
# Random generation only: no shrinking (minutes on a failure) and no explicit/coverage examples
# (schemathesis derives hundreds per operation from the schema, unbounded by max_examples).
BOUNDS = settings(max_examples=10, deadline=None, derandomize=True, database=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))


@schema.parametrize()
@BOUNDS
def test_api_anonymous(case, two_grids):
    case.call_and_validate(checks=CHECKS)
    figures.count("schemathesis_requests")


@schema.parametrize()
@BOUNDS
def test_api_as_administrator(case, two_grids, admin_headers):
    case.call_and_validate(headers=admin_headers, checks=CHECKS)
    figures.count("schemathesis_requests")
