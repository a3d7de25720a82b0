"""Issue 17 item 1: the kiosk PIN lockout holds under parallel guesses — at most five guesses per
15 minutes whatever the concurrency, and once locked the right PIN is refused too."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from accounts.models import StaffProfile

pytestmark = pytest.mark.django_db(transaction=True)
RIGHT = "246810"


@pytest.fixture
def profile():
    user = get_user_model().objects.create_user("pinuser", password="pw-pinuser-1")
    p = StaffProfile.objects.create(user=user)
    p.set_pin(RIGHT)
    p.save()
    return p


def guess_in_parallel(pk: int, pins: list[str]) -> list[bool]:
    results = [None] * len(pins)
    start = threading.Barrier(len(pins))

    def guess(i, pin):
        try:
            start.wait()
            results[i] = StaffProfile.objects.get(pk=pk).check_pin(pin)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(i, pin)) for i, pin in enumerate(pins)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_sixteen_parallel_wrong_guesses_lock_and_the_right_pin_then_fails(profile):
    assert guess_in_parallel(profile.pk, ["000000"] * 16) == [False] * 16
    profile.refresh_from_db()
    assert profile.pin_locked and profile.pin_failures == StaffProfile.PIN_MAX_FAILURES
    assert not profile.check_pin(RIGHT)


def test_a_right_pin_among_parallel_guesses_gets_at_most_five_checked(profile):
    checked = guess_in_parallel(profile.pk, ["000000"] * 15 + [RIGHT])
    profile.refresh_from_db()
    # the right PIN signs in only if it was one of the first five guesses the database ordered
    assert checked.count(True) <= 1
    assert profile.pin_locked or checked[-1] is True


def test_the_lock_expires_and_the_count_starts_again(profile):
    guess_in_parallel(profile.pk, ["000000"] * 6)
    StaffProfile.objects.filter(pk=profile.pk).update(pin_locked_until=timezone.now() - timedelta(seconds=1))
    profile.refresh_from_db()
    assert not profile.check_pin("111111")
    profile.refresh_from_db()
    assert profile.pin_failures == 1 and not profile.pin_locked
    assert profile.check_pin(RIGHT)
    profile.refresh_from_db()
    assert profile.pin_failures == 0
