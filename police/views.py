"""Police pages: the registration feed (HTML, JSON, CSV export) and unmasking one person.

Police (and administrators) only. Everything is masked; CSV exports and every unmasking are
written to the audit log, and unmasking needs a reason and shows one person at a time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import wraps

from gis_core import csvexport
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.cache import never_cache

from accounts.roles import Role, granted, role_required
from audit import log as audit
from gis_core.models import Grid
from police import feed
from residents.models import Person, Tenancy

POLICE = (Role.POLICE, Role.ADMIN)
MAX_ROWS = 5000


class BadQuery(Exception):
    pass


def _query(request) -> feed.FeedQuery:
    since_s = request.GET.get("since", "").strip()
    if since_s:
        try:
            since = datetime.fromisoformat(since_s)
        except ValueError:
            raise BadQuery(_("since 须为日期或日期时间，如 2026-05-01 或 2026-05-01T08:00")) from None
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
    else:
        since = timezone.now() - timedelta(days=7)
    grid = None
    if request.GET.get("grid"):
        grid = Grid.objects.filter(code=request.GET["grid"]).first()
        if grid is None:
            raise BadQuery(_("没有这个网格编码"))
    flag = request.GET.get("flag", "")
    if flag and flag not in feed.FLAGS:
        raise BadQuery(_("flag 须为 late、lease_unregistered、six_months 或 checked_out"))
    return feed.FeedQuery(since=since, grid=grid, flag=flag)


def _feed_view(view):
    """Police and administrators only; the query parsed (400 with the reason if it is bad) and the
    feed's rows, masked, handed to the view as (request, q, rows, today)."""

    @never_cache  # personal data, even masked: never kept by a browser or proxy
    @require_GET
    @role_required(*POLICE)
    @wraps(view)
    def wrapped(request):
        try:
            q = _query(request)
        except BadQuery as exc:
            return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
        today = timezone.localdate()
        rows = [feed.row(t, today) for t in feed.tenancies(request.user, q)[:MAX_ROWS]]
        return view(request, q, rows, today)

    return wrapped


@_feed_view
def feed_page(request, q, rows, today):
    if request.GET.get("format") == "json":
        return JsonResponse({"since": q.since.isoformat(), "count": len(rows), "results": rows},
                            json_dumps_params={"ensure_ascii": False})
    return render(request, "police/feed.html", {
        "rows": rows, "q": q, "since": timezone.localtime(q.since).strftime("%Y-%m-%dT%H:%M"),
        "grids": Grid.objects.grids().order_by("code"), "flags": feed.FLAGS, "query": request.GET.urlencode(),
    })


@_feed_view
def feed_csv(request, q, rows, today):
    audit.record("export", actor=request.user, reason=request.GET.get("reason", ""), rows=len(rows),
                 since=q.since.isoformat(), grid=q.grid.code if q.grid else "", flag=q.flag)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="registrations-{today:%Y%m%d}.csv"'
    response.write("\ufeff")  # so spreadsheet programs read UTF-8
    columns = ["tenancy", "name", "id_number", "sex", "region", "grid", "building", "address", "floor", "room",
               "start_date", "end_date", "registered_at", "via", "flags"]
    writer = csvexport.writer(response)
    writer.writerow(columns)
    for r in rows:
        writer.writerow([";".join(r[c]) if c == "flags" else r[c] for c in columns])
    return response


@never_cache
@require_POST
def unmask(request, person_id: int):
    """One person's name, ID number, address and phone in the clear, for police, with a reason."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": _("请先登录")}, status=401)
    if not granted(request.user, Role.POLICE):  # a superuser without the police role may not
        return JsonResponse({"detail": _("只有民警可以查看明文")}, status=403)
    reason = request.POST.get("reason", "").strip()
    if len(reason) < 4:
        return JsonResponse({"detail": _("请填写查看事由（至少 4 个字）")}, status=400)
    person = get_object_or_404(Person, pk=person_id)
    from residents import crypto

    audit.record("unmask", actor=request.user, person_id=person.pk, reason=reason)
    data = {"person": person.pk, "name": person.unseal_name(), "id_number": person.unseal_id_number(),
            "address": crypto.open_text("address", person.address_sealed),
            "phone": crypto.open_text("phone", person.phone_sealed)}
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    tenancies = Tenancy.objects.filter(person=person).select_related("room__building").order_by("-start_date")
    return render(request, "police/person.html", {"p": data, "reason": reason, "tenancies": tenancies})
