"""Sign-in with a kiosk PIN, as an authentication backend.

The kiosk's sign-in form takes a password or a PIN in one field. Passing both through
`authenticate(request, …, kiosk_pin=True)` means every try — password or PIN — goes past the
login lockout (django-axes, whose backend comes first in AUTHENTICATION_BACKENDS) and counts as one
failed attempt when neither matches. Elsewhere (/login/, the admin) no one passes kiosk_pin, so a
PIN never replaces a password there.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class KioskPinBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, kiosk_pin=False, **kwargs):
        if not kiosk_pin or not username or not password or not password.isdigit():
            return None
        user = get_user_model().objects.filter(username=username).select_related("staff_profile").first()
        profile = getattr(user, "staff_profile", None) if user is not None else None
        # check_pin has its own per-account limit (five per 15 minutes, counted in one UPDATE)
        if profile is None or not self.user_can_authenticate(user) or not profile.check_pin(password):
            return None
        return user
