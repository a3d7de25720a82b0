"""Set a landlord's or staff member's PIN for signing in at a kiosk."""

import getpass

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.models import StaffProfile


class Command(BaseCommand):
    help = "Set the kiosk PIN (6–12 digits) of a user; asks for it when --pin is not given."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--pin")

    def handle(self, username, pin, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        pin = pin or getpass.getpass("PIN: ")
        profile, _ = StaffProfile.objects.get_or_create(user=user)
        try:
            profile.set_pin(pin)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        profile.save(update_fields=["pin_hash"])
        self.stdout.write(f"PIN set for {username}")
