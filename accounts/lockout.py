"""The login lockout (django-axes): when a try is counted, and what a locked-out sign-in gets.

axes counts a failure after the password was checked, so guesses that arrive together all pass
its lockout check before any is counted: 20 parallel wrong passwords were all checked. The
handler below counts each try before its password is checked — with axes' own atomic increment
of the username+address row, under its row lock — and lets a try through only if it was among the
first AXES_FAILURE_LIMIT of the cool-off window. A sign-in resets the count (AXES_RESET_ON_SUCCESS),
so only tries that do not sign in stay counted.

A locked-out sign-in gets 429 with the error contract's body or page, saying how many minutes are
left, and Retry-After (AXES_LOCKOUT_CALLABLE).
"""

from __future__ import annotations

import math

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from gis_core.errors import RateLimited
from gis_core.http_errors import render


def seconds_left(request, credentials=None) -> int:
    """Until the username+address pair may try again: the cool-off counts from its last failure."""
    cool_off = get_cool_off(request)
    username = get_client_username(request, credentials)
    last = AccessAttempt.objects.filter(username=username, ip_address=getattr(request, "axes_ip_address", None)
                                        ).aggregate(last=Max("attempt_time"))["last"]
    if cool_off is None:
        return 0
    if last is None:
        return int(cool_off.total_seconds())
    return max(1, math.ceil((last + cool_off - timezone.now()).total_seconds()))


def error(request, credentials=None) -> RateLimited:
    seconds = seconds_left(request, credentials)
    return RateLimited(_("登录失败次数过多，请 %(minutes)d 分钟后再试") % {"minutes": max(1, math.ceil(seconds / 60))},
                       retry_after=seconds)


def response(request, original_response=None, credentials=None):
    # A page that shows the lockout itself (the kiosk, which must not leave its screen) says so.
    if getattr(request, "lockout_shown", False) and original_response is not None:
        return original_response
    return render(request, error(request, credentials))


class ClaimFirstHandler(AxesDatabaseHandler):
    def is_allowed(self, request, credentials=None) -> bool:
        if not super().is_allowed(request, credentials):  # blacklisted, or already locked
            return False
        if self.is_whitelisted(request, credentials):
            return True
        # Count this try now. Parallel tries are ordered by the row lock; each then reads the
        # total, which may include tries counted after it — so a try is refused early at worst,
        # and never more than the limit are checked.
        super().user_login_failed(type(self), credentials or {}, request)
        request.axes_claimed = True
        request.axes_locked_out = False  # the limit-th try is still checked: it may be the right one
        return self.get_failures(request, credentials) <= get_failure_limit(request, credentials)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is not None and getattr(request, "axes_claimed", False):
            # Counted already when it was let through: only say whether this failure locks.
            if self.get_failures(request, credentials) >= get_failure_limit(request, credentials):
                request.axes_locked_out = True
                request.axes_credentials = credentials
            return
        super().user_login_failed(sender, credentials, request, **kwargs)
