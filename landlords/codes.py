"""One-time sign-in codes for landlords (no SMS service is reachable: staff print them at the hall).

A code is 8 random digits; only a keyed digest (HMAC of the account and the code) is stored. It is
checked only through authenticate() (landlords/backends.py), behind the login lockout, so a
guesser gets the same five tries per 15 minutes as for a password; the code is used up by one
UPDATE, so two sign-ins racing with the same code cannot both succeed.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, has_role
from audit.log import record
from gis_core.errors import BadRequest
from landlords.models import SignInCode

DIGITS = 8


def digest(user_id: int, code: str) -> str:
    return salted_hmac("landlords.SignInCode", f"{user_id}:{code}", algorithm="sha256").hexdigest()


def lifetime() -> timedelta:
    return timedelta(hours=getattr(settings, "LANDLORD_CODE_HOURS", 12))


def issue(user, *, by=None) -> tuple[SignInCode, str]:
    """A new code for a landlord account; returns the row and the code in clear (shown once)."""
    if not has_role(user, Role.LANDLORD) or getattr(user, "staff_profile", None) is None \
            or user.staff_profile.landlord_id is None:
        raise BadRequest(_("只能为已关联房东的房东账户签发登录码"))
    code = "".join(secrets.choice("0123456789") for _ in range(DIGITS))
    row = SignInCode.objects.create(user=user, digest=digest(user.pk, code), issued_by=by,
                                    expires_at=timezone.now() + lifetime())
    record("landlord", reason="code_issued", actor=by, user=user.get_username(), code_id=row.pk,
           expires_at=row.expires_at.isoformat())
    return row, code


def redeem(user, code: str) -> bool:
    """Use up a valid code of this account (single use, not expired); True when one was used."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == DIGITS):
        return False
    now = timezone.now()
    used = SignInCode.objects.filter(user=user, digest=digest(user.pk, code), used_at__isnull=True,
                                     expires_at__gt=now).update(used_at=now)
    if used:
        record("landlord", reason="code_used", actor=user)
    return bool(used)
