"""Issue 17 items 1 and 2: sign-in lockouts that hold under parallel guesses, on a real server.

Every password path — /login/, the planner's login, the admin's login and the kiosk's sign-in
(password or PIN) — is refused for a username+address pair after five failures, for 15 minutes,
however many guesses arrive at once; then the right password is refused too, with 429 and
"try again in N minutes". The API takes no HTTP Basic credentials at all.
"""

from __future__ import annotations

import base64
import threading
from datetime import timedelta

import pytest
import requests
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from accounts.models import StaffProfile
from accounts.roles import Role, grant
from registration.models import KioskSession
from tests.idcard_helpers import make_kiosk, make_landlord_user

pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = "a" * 32  # any well-formed CSRF secret, sent as cookie and field
PARALLEL = 20


@pytest.fixture
def staff():
    user = get_user_model().objects.create_superuser("lock-admin", "l@example.org", "right-pw-4711")
    grant(user, Role.PLANNER)
    return user


@pytest.fixture
def password_checks(monkeypatch):
    """How many passwords the server really checked (the live server runs in this process)."""
    from django.contrib.auth import base_user

    seen = []
    real = base_user.check_password

    def counting(*args, **kwargs):
        seen.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(base_user, "check_password", counting)
    return seen


def post(url: str, data: dict, **headers) -> requests.Response:
    return requests.post(url, data={**data, "csrfmiddlewaretoken": TOKEN}, cookies={"csrftoken": TOKEN},
                         headers=headers, allow_redirects=False, timeout=60)


def in_parallel(url: str, forms: list[dict]) -> list[requests.Response]:
    results: list = [None] * len(forms)
    start = threading.Barrier(len(forms))

    def one(i):
        start.wait()
        results[i] = post(url, forms[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(forms))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def signed_in(response: requests.Response) -> bool:
    return response.status_code == 302 and "sessionid" in response.cookies


@pytest.mark.parametrize("path", ["/login/", "/planner/login/", "/admin/login/"])
def test_parallel_wrong_passwords_lock_the_right_one_out_until_the_cool_off_ends(live_server, staff, path,
                                                                                   password_checks):
    url = live_server.url + path
    wrong = in_parallel(url, [{"username": "lock-admin", "password": f"wrong-{i}"} for i in range(PARALLEL)])
    assert not any(signed_in(r) for r in wrong)
    # at most five of the twenty were checked (axes alone checked all twenty), the rest refused
    assert 1 <= len(password_checks) <= 5
    assert sum(r.status_code == 429 for r in wrong) >= PARALLEL - 5
    right = post(url, {"username": "lock-admin", "password": "right-pw-4711"})
    assert right.status_code == 429 and not signed_in(right)
    assert "分钟后再试" in right.text and 1 <= int(right.headers["Retry-After"]) <= 15 * 60
    # the cool-off over, the right password is accepted and the count starts again
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    assert signed_in(post(url, {"username": "lock-admin", "password": "right-pw-4711"}))
    assert not AccessAttempt.objects.filter(username="lock-admin").exists()


def test_the_lockout_answer_is_json_for_programs_and_translated(live_server, staff):
    url = live_server.url + "/login/"
    for i in range(5):
        post(url, {"username": "lock-admin", "password": f"wrong-{i}"})
    r = post(url, {"username": "lock-admin", "password": "right-pw-4711"}, Accept="application/json")
    assert r.status_code == 429 and r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert body["detail"] == "登录失败次数过多，请 15 分钟后再试" and 14 * 60 < body["retry_after"] <= 15 * 60
    r = post(url, {"username": "lock-admin", "password": "right-pw-4711"}, **{"Accept-Language": "en"})
    assert r.status_code == 429 and "Too many failed sign-in attempts; try again in 15 minutes" in r.text


def test_the_lockout_holds_for_the_username_at_that_address_only(staff):
    here, elsewhere = Client(REMOTE_ADDR="10.0.0.7"), Client(REMOTE_ADDR="10.0.0.8")
    for i in range(5):
        here.post("/login/", {"username": "lock-admin", "password": f"wrong-{i}"})
    assert here.post("/login/", {"username": "lock-admin", "password": "right-pw-4711"}).status_code == 429
    assert elsewhere.post("/login/", {"username": "lock-admin", "password": "right-pw-4711"}).status_code == 302
    # a forged X-Forwarded-For is not trusted without our proxy in front: no new address per guess
    forged = Client(REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert forged.post("/login/", {"username": "lock-admin", "password": "right-pw-4711"}).status_code == 429


def test_behind_the_proxy_the_address_is_the_one_the_proxy_saw(staff, settings):
    settings.GIS_PROXY_HOPS = 1
    for i in range(5):  # the client's own X-Forwarded-For entry is ignored; nginx's last one counts
        Client(REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 10.1.1.1").post(
            "/login/", {"username": "lock-admin", "password": f"wrong-{i}"})
    via = Client(REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="10.1.1.1")
    assert via.post("/login/", {"username": "lock-admin", "password": "right-pw-4711"}).status_code == 429
    other = Client(REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="10.1.1.2")
    assert other.post("/login/", {"username": "lock-admin", "password": "right-pw-4711"}).status_code == 302


@pytest.fixture
def desk(building):
    kiosk, _secret = make_kiosk(building.community)
    make_landlord_user(building, pin="246810")
    return kiosk


def test_kiosk_sixteen_parallel_wrong_pins_lock_pin_and_password_at_that_kiosk(live_server, desk):
    url = f"{live_server.url}/kiosk/{desk.code}/register/sign-in/"
    results = in_parallel(url, [{"username": "landlord1", "secret": "000000"}] * 16)
    assert not any(signed_in(r) for r in results)
    profile = StaffProfile.objects.get(user__username="landlord1")
    assert 1 <= profile.pin_failures <= StaffProfile.PIN_MAX_FAILURES  # at most five PINs were checked
    for secret in ("246810", "landlord-pw-1"):  # locked: neither the right PIN nor the password
        r = post(url, {"username": "landlord1", "secret": secret})
        assert not signed_in(r) and "分钟后再试" in requests.utils.unquote(r.headers["Location"])
    assert not KioskSession.objects.exists()


def test_kiosk_a_right_pin_among_parallel_wrong_ones_signs_in_only_among_the_first_five(live_server, desk):
    url = f"{live_server.url}/kiosk/{desk.code}/register/sign-in/"
    forms = [{"username": "landlord1", "secret": "000000"}] * 15 + [{"username": "landlord1", "secret": "246810"}]
    results = in_parallel(url, forms)
    assert not any(signed_in(r) for r in results[:15])
    if not signed_in(results[-1]):  # it came after the fifth try: locked, nobody signed in
        assert not KioskSession.objects.exists()
        r = post(url, {"username": "landlord1", "secret": "246810"})
        assert not signed_in(r) and "分钟后再试" in requests.utils.unquote(r.headers["Location"])
    assert KioskSession.objects.count() <= 1


def test_kiosk_password_path_is_locked_after_parallel_wrong_passwords(live_server, desk):
    url = f"{live_server.url}/kiosk/{desk.code}/register/sign-in/"
    results = in_parallel(url, [{"username": "landlord1", "secret": f"wrong-pw-{i}"} for i in range(16)])
    assert not any(signed_in(r) for r in results)
    r = post(url, {"username": "landlord1", "secret": "landlord-pw-1"})
    assert not signed_in(r) and not KioskSession.objects.exists()
    # the kiosk stays on its own page and says why
    assert r.status_code == 302 and f"/kiosk/{desk.code}/register/?error=" in r.headers["Location"]
    # the secret is never kept by the lockout's records
    assert all("wrong-pw" not in a.post_data for a in AccessAttempt.objects.all())


def test_a_pin_is_no_password_on_the_login_page(desk):
    r = Client().post("/login/", {"username": "landlord1", "password": "246810"})
    assert r.status_code == 200 and "_auth_user_id" not in r.client.session


def test_the_api_takes_no_http_basic_credentials(staff):
    auth = "Basic " + base64.b64encode(b"lock-admin:right-pw-4711").decode()
    r = Client().get("/api/tenancies/", HTTP_AUTHORIZATION=auth)
    assert r.status_code in (401, 403)
