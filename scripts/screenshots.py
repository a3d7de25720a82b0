"""Screenshots for the guides under docs/img/, taken from a running server with the demo loaded.

    make run                                   # in another shell: the demo on :8000
    .venv/bin/python scripts/screenshots.py    # [--base http://127.0.0.1:8000]

Debian's Chromium through Playwright, as the page tests use it. The service hall's screen is
opened with a key issued for this run (a screen named 文档截图, switched off afterwards); grids are
rated for the current month first so their colours show.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default=str(ROOT / "docs" / "img"))
    args = parser.parse_args()

    from project import checkout

    checkout.apply_defaults()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from playwright.sync_api import sync_playwright

    from gis_core.models import Community
    from screen.models import Screen
    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    community = Community.objects.order_by("code").first()
    if community is None:
        print("no community: load the demo first (make run)", file=sys.stderr)
        return 2
    call_command("rate_safety", verbosity=0)
    screen, _ = Screen.objects.get_or_create(community=community, name="文档截图", defaults={"key_digest": "-"})
    key = screen.issue_key()
    screen.active = True
    screen.save()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
            page.goto(f"{args.base}/screen/{community.code}/?key={key}")
            page.wait_for_function("Number(document.body.dataset.updates) >= 1", timeout=60_000)
            page.wait_for_timeout(4000)  # map tiles and chart animations
            page.screenshot(path=str(out / "screen.png"))
            browser.close()
    finally:
        Screen.objects.filter(pk=screen.pk).update(active=False)
    print(f"wrote {out / 'screen.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
