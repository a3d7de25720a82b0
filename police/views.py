"""Police pages: the registration feed (HTML, JSON, streamed CSV export) and unmasking one person.

Police (and administrators) only. Everything is masked; CSV exports and every unmasking are
written to the audit log, and unmasking needs a reason and shows one person at a time. The person
lookup and the room and building registers are in police/registers.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.http import JsonResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import Role, granted, role_required
from audit import log as audit
from gis_core import csvexport
from gis_core.errors import BadRequest
from gis_core.models import Grid
from police import feed
from residents.models import Person, Tenancy

POLICE = (Role.POLICE, Role.ADMIN)
GRID_CHOICES = 300


def police_page(view):
    """Police and administrators only, never kept by a browser or proxy (personal data, even masked)."""
    return never_cache(role_required(*POLICE)(view))


def _moment(value: str, name: str, *, end: bool = False) -> datetime:
    """A date (a whole local day: its start, or with end=True the next day's start) or a date-time."""
    try:
        if len(value) <= 10:
            day = date.fromisoformat(value)
            return timezone.make_aware(datetime.combine(day + timedelta(days=1 if end else 0), time()))
        moment = datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        raise BadRequest(_("%(name)s 须为日期或日期时间，如 2026-05-01 或 2026-05-01T08:00") % {"name": name}) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def parse_query(request) -> tuple[feed.FeedQuery, int]:
    """The feed query of a request's parameters (BadRequest, a 400 with the reason, when bad)."""
    get = request.GET
    since = until = None
    for name in ("since", "from"):
        if get.get(name, "").strip():
            since = _moment(get[name].strip(), name)
    if get.get("to", "").strip():
        until = _moment(get["to"].strip(), "to", end=True)
    if since is None and until is None:
        since = timezone.now() - timedelta(days=7)
    if since and until and until <= since:
        raise BadRequest(_("结束日期须晚于开始日期"))
    grid = None
    if get.get("grid"):
        grid = Grid.objects.filter(code=get["grid"][:18]).first()
        if grid is None:
            raise BadRequest(_("没有这个网格编码"))
    flag = get.get("flag", "")
    if flag and flag not in feed.FLAGS:
        raise BadRequest(_("flag 须为 late、lease_unregistered、six_months 或 checked_out"))
    order = get.get("order", "new")
    if order not in ("new", "old"):
        raise BadRequest(_("order 须为 new（最新在前）或 old（最早在前）"))
    q = feed.FeedQuery(since=since, until=until, grid=grid, flag=flag, descending=order == "new")
    if get.get("cursor"):
        try:
            q = replace(q, after=feed.parse_cursor(get["cursor"], q.key))
        except (ValueError, OverflowError):
            raise BadRequest(_("翻页位置无效，请从第一页重新查询")) from None
    size = get.get("size", str(feed.PAGE_SIZE))
    if not size.isdigit() or not 1 <= int(size) <= feed.MAX_PAGE_SIZE:
        raise BadRequest(_("size 须为 1 到 %(max)d 之间的整数") % {"max": feed.MAX_PAGE_SIZE})
    return q, int(size)


def _filters(request) -> dict:
    """The request's filters without the page position (for links and the export)."""
    return {k: v for k, v in request.GET.items() if k in ("since", "from", "to", "grid", "flag", "order") and v}


@require_safe
@police_page
def feed_page(request):
    q, size = parse_query(request)
    rows, next_q = feed.page(request.user, q, size)
    today = timezone.localdate()
    next_url = None
    if next_q is not None:
        params = {**_filters(request), "cursor": feed.cursor(next_q)}
        if request.GET.get("size"):
            params["size"] = size
        if request.GET.get("format") == "json":
            params["format"] = "json"
        next_url = f"{request.path}?{urlencode(params)}"
    if request.GET.get("format") == "json":
        return JsonResponse({"since": q.since.isoformat() if q.since else None,
                             "until": q.until.isoformat() if q.until else None, "count": len(rows),
                             "next": next_url, "results": [feed.row(t, today) for t in rows]},
                            json_dumps_params={"ensure_ascii": False})
    filters = _filters(request)
    can_lookup = granted(request.user, Role.POLICE)
    return render(request, "police/feed.html", {
        "rows": feed_rows(request, rows, today, can_lookup), "registered_label": _("登记"), "q": q, "next_url": next_url,
        "first_url": f"{request.path}?{urlencode(filters)}" if request.GET.get("cursor") else None,
        "since": timezone.localtime(q.since).date().isoformat() if q.since else "",
        "until": (timezone.localtime(q.until) - timedelta(days=1)).date().isoformat() if q.until else "",
        # a list to pick from where it is short; a city's thousands of grids are typed as a code
        "grids": grids if len(grids := list(Grid.objects.grids().current().order_by("code")
                                            .values("pk", "code", "name")[:GRID_CHOICES + 1])) <= GRID_CHOICES else None,
        "flags": feed.FLAGS, "can_lookup": can_lookup,
    })


def feed_rows(request, rows, today, can_lookup: bool) -> list[dict]:
    """The page's rows as ready strings: a page of 50 rows rendered through template tags (a
    translation, three URLs and a form per row) cost more than the query; here each label is
    translated once per page and each row is a few string formats."""
    labels = {"late": _("逾期登记"), "lease_unregistered": _("合同未备案"), "six_months": _("满 6 个月"),
              "checked_out": _("已退租")}
    room_url = reverse("police:room", args=[0])[:-2]
    history_url, unmask_url = reverse("police:history", args=[0]), reverse("police:unmask", args=[0])
    actions = ""
    if can_lookup:
        actions = format_html(
            '<details><summary>{}</summary><form method="post" action="{}">{}<label>{}'
            '<input name="reason" required minlength="4" maxlength="500" placeholder="{}"></label>'
            '<button type="submit">{}</button> <button type="submit" class="quiet" formaction="{}">{}</button>'
            "</form></details>",
            _("租住记录 / 查看明文"), history_url, csrf_input(request), _("事由（记入审计日志）"), _("如：案件核查"),
            _("租住记录"), unmask_url, _("查看明文"))
    moved_in, moved_out = _("入住"), _("退租")
    out = []
    for t in rows:
        b = t.room.building
        out.append({
            "pk": t.pk, "name": t.person.name_masked, "id": t.person.id_number_masked,
            "tags": format_html_join("", '<span class="tag {}">{}</span>', ((f, labels[f]) for f in feed.flags(t, today))),
            "room_url": f"{room_url}{t.room_id}/", "place": f"{b.address or b.code} {t.room.floor}-{t.room.number}",
            "grid": b.grid.name if b.grid_id else "",
            "iso": t.registered_at.isoformat(),
            "at": formats.date_format(timezone.localtime(t.registered_at), "DATETIME_FORMAT"),
            "dates": f"{moved_in} {formats.date_format(t.start_date)}"
                     + (f" · {moved_out} {formats.date_format(t.end_date)}" if t.end_date else ""),
            # (the URLs are ours and the id a number: the markup stays safe)
            "actions": mark_safe(actions.replace("/persons/0/", f"/persons/{t.person_id}/")) if actions else "",
        })
    return out


def csrf_input(request):
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))


class _Echo:
    def write(self, value):
        return value


@require_safe
@police_page
def feed_csv(request):
    """The whole filtered set as CSV, streamed a keyset page at a time (no row cap); masked,
    formula-escaped (gis_core/csvexport.py) and written to the audit log with its row count."""
    q, _size = parse_query(request)
    q = replace(q, after=None)
    today = timezone.localdate()
    rows = feed.tenancies(request.user, q).count()
    audit.record("export", actor=request.user, reason=request.GET.get("reason", "")[:500], rows=rows,
                 since=q.since.isoformat() if q.since else "", until=q.until.isoformat() if q.until else "",
                 grid=q.grid.code if q.grid else "", flag=q.flag)
    writer = csvexport.writer(_Echo())
    user = request.user

    def lines():
        yield "\ufeff" + writer.writerow(feed.CSV_COLUMNS)  # the BOM: spreadsheet programs read UTF-8
        batch = []
        for cells in feed.csv_rows(user, q):
            batch.append(writer.writerow(cells))
            if len(batch) == 500:  # one chunk per 500 rows, not one per row
                yield "".join(batch)
                batch = []
        if batch:
            yield "".join(batch)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="registrations-{today:%Y%m%d}.csv"'
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
