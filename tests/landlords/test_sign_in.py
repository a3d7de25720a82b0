"""Signing in at /my/login/: with a password, or with a one-time code printed at the service hall
(single use, expiring), both behind the product's login lockout (django-axes, five tries per
username and address per 15 minutes, 429 with 'try again in N minutes')."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from landlords import codes
from landlords.models import SignInCode
from tests.landlords.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _code_login(client, username, code):
    return client.post("/my/login/", {"mode": "code", "username": username, "code": code})


def test_password_sign_in_and_the_next_page(estate):
    client = Client()
    assert client.get("/my/").status_code == 302
    r = client.post("/my/login/", {"username": "landlord-a", "password": PASSWORD, "next": "/my/"})
    assert r.status_code == 302 and r["Location"] == "/my/"
    assert client.get("/my/").status_code == 200
    evil = Client().post("/my/login/", {"username": "landlord-a", "password": PASSWORD, "next": "https://evil.example/"})
    assert evil["Location"] == "/my/"
    assert Client().post("/my/login/", {"username": "landlord-a", "password": "nope"}).status_code == 401


def test_a_code_signs_in_once(estate):
    row, code = codes.issue(estate.user)
    assert len(code) == 8 and code.isdigit() and code not in row.digest
    assert not SignInCode.objects.filter(digest__contains=code).exists()
    first = Client()
    r = _code_login(first, "landlord-a", code)
    assert r.status_code == 302 and first.get("/my/").status_code == 200
    row.refresh_from_db()
    assert row.used_at is not None
    assert _code_login(Client(), "landlord-a", code).status_code == 401  # used up
    assert AuditEntry.objects.filter(action="landlord", reason="code_issued").exists()
    assert AuditEntry.objects.filter(action="landlord", reason="code_used").exists()
    assert not AuditEntry.objects.filter(detail__icontains=code).exists()


def test_an_expired_code_and_another_accounts_code_do_not_sign_in(estate):
    row, code = codes.issue(estate.user)
    SignInCode.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _code_login(Client(), "landlord-a", code).status_code == 401
    _row, theirs = codes.issue(estate.other_user)
    assert _code_login(Client(), "landlord-a", theirs).status_code == 401
    assert _code_login(Client(), "landlord-b", theirs).status_code == 302


def test_a_code_is_no_password_elsewhere_and_only_for_landlords(estate):
    _row, code = codes.issue(estate.user)
    assert Client().post("/login/", {"username": "landlord-a", "password": code}).status_code == 200  # form again
    assert Client().post("/admin/login/", {"username": "landlord-a", "password": code}).status_code == 200
    assert _code_login(Client(), "landlord-a", code).status_code == 302  # still unused
    planner = get_user_model().objects.create_user("planner-x", password="x-long-password-1")
    from gis_core.errors import BadRequest

    with pytest.raises(BadRequest):
        codes.issue(planner)


def test_wrong_codes_lock_out_like_wrong_passwords(estate):
    _row, code = codes.issue(estate.user)
    client = Client()
    for i in range(4):
        assert _code_login(client, "landlord-a", f"{10000000 + i}").status_code == 401
    assert _code_login(client, "landlord-a", "10000004").status_code == 429  # the fifth locks, as on /login/
    locked = _code_login(client, "landlord-a", code)
    assert locked.status_code == 429 and locked.has_header("Retry-After")
    assert "分钟后再试" in locked.content.decode()
    # the lockout holds for the password too (same username and address), and the code stays unused
    assert client.post("/my/login/", {"username": "landlord-a", "password": PASSWORD}).status_code == 429
    assert SignInCode.objects.get().used_at is None
    # counted in the same records as /login/: wrong passwords there lock the code sign-in here
    other = Client(REMOTE_ADDR="10.0.0.9")
    for i in range(5):
        other.post("/login/", {"username": "landlord-b", "password": f"wrong-{i}"})
    _row, theirs = codes.issue(estate.other_user)
    assert _code_login(other, "landlord-b", theirs).status_code == 429


def test_staff_issue_a_code_in_the_admin_and_see_it_once(estate):
    admin_user = get_user_model().objects.create_superuser("hall", password="hall-pw-123456")
    client = Client()
    client.force_login(admin_user)
    r = client.post("/admin/landlords/signincode/add/", {"user": estate.user.pk}, follow=True)
    assert r.status_code == 200
    row = SignInCode.objects.get()
    shown = [str(m) for m in r.context["messages"]]
    code = next(word for m in shown for word in m.replace("<", " ").replace(">", " ").split() if word.isdigit()
                and len(word) == 8)
    assert row.issued_by == admin_user and codes.digest(estate.user.pk, code) == row.digest
    assert code not in client.get(f"/admin/landlords/signincode/{row.pk}/change/").content.decode()
