"""Publish the built 3D Tiles of a community elsewhere.

    manage.py publish_3dtiles --ion [--community CODE]    upload to Cesium ion (needs CESIUM_ION_TOKEN)
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from model3d.models import TilesetState
from model3d.publish import IonClient, IonError, publish


class Command(BaseCommand):
    help = "Publish a community's 3D Tiles to Cesium ion (only with CESIUM_ION_TOKEN; offline deployments never call it)."

    def add_arguments(self, parser):
        parser.add_argument("--ion", action="store_true", required=True, help="upload to Cesium ion as a 3D Tiles asset")
        parser.add_argument("--community", help="community code (default: the only community)")
        parser.add_argument("--poll-seconds", type=float, default=10, help="how often to ask ion whether the asset is ready")

    def handle(self, *args, ion, community, poll_seconds, **opts):
        if not settings.CESIUM_ION_TOKEN:
            raise CommandError("CESIUM_ION_TOKEN is not set: this deployment is offline, nothing was sent. "
                               "Set it (a token with assets:write) to publish to Cesium ion.")
        states = TilesetState.objects.select_related("community").exclude(tileset_json="")
        if community:
            states = states.filter(community__code=community)
        states = list(states[:2])
        if not states:
            raise CommandError("no built 3D Tiles" + (f" for community {community}" if community else "")
                               + ": run `manage.py build_3dtiles` first.")
        if len(states) > 1:
            raise CommandError("several communities are built: name one with --community CODE.")
        client = IonClient(settings.CESIUM_ION_API, settings.CESIUM_ION_TOKEN)
        try:
            meta = publish(client, states[0], every=poll_seconds,
                           progress=lambda m: self.stdout.write(f"ion: {m.get('status')} {m.get('percentComplete', 0)}%"))
        except IonError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"published as Cesium ion asset {meta['id']}"))
