"""Create the first administrator if there is none, with a random password kept in var/.

`make run` calls this so a newcomer can log in to /admin/ at once; the password is printed and
stored (mode 600) in var/admin_password. Set DJANGO_ADMIN_PASSWORD to choose it instead.
"""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the 'admin' superuser if no superuser exists yet."

    def handle(self, *args, **opts):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            return
        password = os.environ.get("DJANGO_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", "", password)
        path = settings.VAR_DIR / "admin_password"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(password + "\n")
        self.stdout.write(f"created superuser 'admin'; password in {path}")
