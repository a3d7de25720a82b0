"""Rating runs, overrides and publication: what changes ratings, with its audit and tile refresh."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.log import record
from audit.models import AuditEntry
from gis_core.errors import BadRequest, NotFound
from gis_core.models import Community
from safety import evaluate
from safety.models import Colour, Override, Rating, RuleSet

SAFETY_LAYERS = ("safety", "safety_staff")


def communities_of(rule_set: RuleSet, among: list[int] | None = None) -> list[int]:
    """The communities an (active) rule set rates: its own, or — the default one — every community
    without an active rule set of its own."""
    if rule_set.community_id is not None:
        ids = [rule_set.community_id]
    else:
        own = RuleSet.objects.filter(active=True, community__isnull=False).values("community_id")
        ids = list(Community.objects.exclude(pk__in=own).values_list("pk", flat=True))
    return [i for i in ids if among is None or i in among]


def rule_set_for(community: Community) -> RuleSet | None:
    return (RuleSet.objects.filter(active=True).filter(Q(community=community) | Q(community__isnull=True))
            .order_by("community_id").first())  # NULLs sort last: the community's own first


@dataclass
class RunResult:
    month: date
    rule_sets: int
    ratings: int
    seconds: float


def rate(month: date | None = None, community_codes: list[str] | None = None, now=None) -> RunResult:
    """Rate every place of the chosen communities (all by default) for one month (default: the
    month in progress), with each community's active rule set: one statement per rule set."""
    import time

    now = now or timezone.now()
    month = evaluate.month_start(month or timezone.localdate(now))
    if month > timezone.localdate(now):
        raise BadRequest(_("不能评定尚未开始的月份"))
    among = None
    if community_codes:
        found = dict(Community.objects.filter(code__in=community_codes).values_list("code", "pk"))
        missing = sorted(set(community_codes) - set(found))
        if missing:
            raise NotFound(_("没有这个社区：%(codes)s") % {"codes": ", ".join(missing)})
        among = list(found.values())
    started = time.monotonic()
    total = runs = 0
    touched: list[int] = []
    with transaction.atomic():
        for rule_set in RuleSet.objects.filter(active=True).order_by("community_id"):
            ids = communities_of(rule_set, among)
            if not ids:
                continue
            spec = evaluate.Spec.of(rule_set)
            total += evaluate.write(spec, ids, evaluate.window_for(month, spec.window_days, now))
            runs += 1
            touched += ids
        refresh_tiles(touched)
    return RunResult(month, runs, total, time.monotonic() - started)


def refresh_tiles(community_ids: list[int]) -> None:
    """The safety layers' tiles over these communities, once the transaction commits."""
    from tiles.invalidation import invalidate_boxes
    from tiles.layers import LAYERS

    if not community_ids:
        return
    with connection.cursor() as cur:
        cur.execute("SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM"
                    " (SELECT boundary_3857::box2d AS b FROM gis_core_community WHERE id = ANY(%s)) x",
                    [list(community_ids)])
        boxes = cur.fetchall()
    invalidate_boxes(boxes, [LAYERS[name] for name in SAFETY_LAYERS if name in LAYERS])


def set_published(rule_set: RuleSet, published: bool, actor=None) -> None:
    """Publishing decides whether the colours appear in public tiles: refresh them."""
    with transaction.atomic():
        RuleSet.objects.filter(pk=rule_set.pk).update(published=published)
        rule_set.published = published
        refresh_tiles(list(Rating.objects.filter(rule_set=rule_set).values_list("community_id", flat=True)
                           .distinct()))


@transaction.atomic
def override(*, month: date, colour: str, reason: str, actor, grid=None, building=None) -> Override:
    """Set a place's colour for a month by hand. The reason is required and the act audited; the
    month's rating (if any) shows the new colour at once."""
    if colour not in Colour.values:
        raise BadRequest(_("颜色须为 green、yellow 或 red"))
    if not (reason or "").strip():
        raise BadRequest(_("人工调整必须说明理由"))
    if (grid is None) == (building is None):
        raise BadRequest(_("须指定一个网格（网眼）或一个楼栋"))
    month = evaluate.month_start(month)
    target = {"grid": grid} if grid is not None else {"building": building}
    previous = Override.objects.filter(month=month, **target).first()
    rating = Rating.objects.select_for_update(of=("self",)).order_by().filter(month=month, **target).first()
    if previous is not None:
        previous.colour, previous.reason, previous.created_by = colour, reason.strip(), actor
        previous.created_at = timezone.now()
        previous.save()
        ov = previous
    else:
        ov = Override.objects.create(month=month, colour=colour, reason=reason.strip(), created_by=actor, **target)
    before = rating.colour if rating else None
    if rating is not None:
        Rating.objects.filter(pk=rating.pk).update(colour=colour, override=ov)
        refresh_tiles([rating.community_id])
    record(AuditEntry.Action.OVERRIDE, actor=actor, reason=ov.reason, **_detail(ov, before, colour))
    return ov


@transaction.atomic
def lift(ov: Override, actor, reason: str = "") -> None:
    """Remove an override: the month's rating goes back to the colour its rules gave (audited)."""
    rating = Rating.objects.select_for_update(of=("self",)).order_by().filter(override=ov).first()
    after = rating.computed_colour if rating else None
    if rating is not None:
        Rating.objects.filter(pk=rating.pk).update(colour=rating.computed_colour, override=None)
        refresh_tiles([rating.community_id])
    record(AuditEntry.Action.OVERRIDE, actor=actor, reason=reason or _("撤销人工调整"),
           **_detail(ov, ov.colour, after), lifted=True)
    ov.delete()


def _detail(ov: Override, before, after) -> dict:
    return {"month": ov.month.isoformat(), "grid": ov.grid.code if ov.grid_id else None,
            "building": ov.building.code if ov.building_id else None, "before": before, "after": after}
