import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.roles import Role, grant
from tests.hardening import figures


@pytest.fixture(scope="session", autouse=True)
def _figures():
    yield
    figures.write()  # what this run tried (tests/hardening/figures.py)


@pytest.fixture
def anon():
    # Server errors come back as responses (what a client sees), not as exceptions in the test.
    return Client(raise_request_exception=False)


@pytest.fixture
def admin_client(db):
    user = get_user_model().objects.create_superuser("hardening-admin", "a@example.org", "pw-hardening-1")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def planner_client(db):
    user = get_user_model().objects.create_user("hardening-planner", password="pw-hardening-2", is_staff=True)
    grant(user, Role.PLANNER)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client
