"""Sign-in with a one-time code (landlords/codes.py), as an authentication backend.

The /my/ sign-in page passes `one_time_code=True` to authenticate(request, …): the try goes past
the login lockout (django-axes' backend comes first in AUTHENTICATION_BACKENDS) and a wrong code
counts as one failed attempt, like a wrong password. Elsewhere no one passes it, so a code never
signs in at /login/ or the admin.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from accounts.roles import Role, has_role


class OneTimeCodeBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, one_time_code=False, **kwargs):
        if not one_time_code or not username or not password:
            return None
        from landlords import codes

        user = get_user_model().objects.filter(username=username).first()
        if user is None or not self.user_can_authenticate(user) or not has_role(user, Role.LANDLORD):
            return None
        return user if codes.redeem(user, password) else None
