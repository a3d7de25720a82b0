"""GeoReport v2 endpoints under /open311/v2/. Every refusal is [{code, description}] in the
format asked for, with that HTTP status: 400 missing or invalid parameters, 403 a missing or
bad api_key, 404 unknown things, 405 other methods, and whatever the submit service answers
(413 a photo too large, 422 a place outside every community, 429 too many submissions)."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from gis_core.errors import BadRequest, DomainError, NotFound, PermissionDenied
from gis_core.http_errors import as_domain_error
from gis_core.public import public_url
from reports.models import Category, Report
from reports.open311 import formats, serializers, submission
from reports.open311.models import ApiClient, ApiRequest
from reports.services import submit

DEFAULT_DAYS = 90  # the spec's default window, and the longest a start/end range may span
MAX_ROWS = 1000


def endpoint(*methods):
    """Format check, method check, and DomainErrors (and database refusals) as Open311 errors."""

    def wrap(view):
        @csrf_exempt  # clients authenticate with api_key, never with a session cookie
        @functools.wraps(view)
        def inner(request, *args, fmt: str, **kwargs):
            if fmt not in formats.FORMATS:
                return formats.error("json", 404, _("不支持的格式：%(f)s（可用 json、xml）") % {"f": fmt[:10]})
            if request.method not in methods and not (request.method == "HEAD" and "GET" in methods):
                return formats.error(fmt, 405, _("不支持的请求方法"), {"Allow": ", ".join(methods)})
            try:
                return view(request, fmt, *args, **kwargs)
            except Http404:
                return formats.error(fmt, 404, _("未找到"))
            except Exception as exc:  # noqa: BLE001 — only the contract's errors are answered here
                err = as_domain_error(exc)
                if err is None:
                    raise
                retry = err.fields.get("retry_after")
                return formats.error(fmt, err.status, str(err.message), {"Retry-After": str(retry)} if retry else None)

        return inner

    return wrap


@endpoint("GET")
def discovery(request, fmt):
    base = public_url(reverse("open311:services", kwargs={"fmt": "json"}), request).rsplit("/", 1)[0] + "/"
    return formats.respond(fmt, "discovery", {
        "changeset": "2026-12-04T00:00:00Z",
        "contact": _("请联系社区管理员获取 api_key"),
        "key_service": _("由系统管理员在后台“Open311 客户端”签发"),
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
            "changeset": "2026-12-04T00:00:00Z", "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    })


@endpoint("GET")
def services(request, fmt):
    return formats.respond(fmt, "services", serializers.services())


@endpoint("GET")
def service_definition(request, fmt, code):
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise NotFound(_("未知的 service_code"))
    return formats.respond(fmt, "service_definition", serializers.definition(category))


@endpoint("GET", "POST")
def requests(request, fmt):
    if request.method == "POST":
        return _post(request, fmt)
    qs = serializers.requests_queryset()
    ids = _csv(request.GET.get("service_request_id"))
    if ids:
        try:
            qs = qs.filter(pk__in=[int(i) for i in ids][:MAX_ROWS])
        except ValueError:
            raise BadRequest(_("service_request_id 须为以逗号分隔的数字"), field="service_request_id") from None
    else:  # the spec: service_request_id overrides every other filter
        qs = _filter(qs, request.GET)
    resolve = serializers.deadlines()
    return formats.respond(fmt, "service_requests",
                           [serializers.request(r, resolve) for r in qs.order_by("-created_at", "-pk")[:MAX_ROWS]])


@endpoint("GET")
def request_detail(request, fmt, pk):
    report = serializers.requests_queryset().filter(pk=int(pk)).first() if pk.isdigit() and len(pk) < 12 else None
    if report is None:
        raise NotFound(_("未知的 service_request_id"))
    return formats.respond(fmt, "service_requests", [serializers.request(report, serializers.deadlines())])


@endpoint("GET")
def token(request, fmt, token):
    row = ApiRequest.objects.filter(token=token[:40]).values_list("report_id", flat=True).first()
    if row is None:
        raise NotFound(_("未知的令牌"))
    return formats.respond(fmt, "service_requests", [{"service_request_id": row, "token": token}])


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _date(value: str, field: str) -> datetime:
    dt = parse_datetime(value)
    if dt is None:
        d = parse_date(value)
        dt = datetime(d.year, d.month, d.day) if d else None
    if dt is None:
        raise BadRequest(_("%(f)s 须为 W3C 日期时间，如 2026-12-04T08:00:00+08:00") % {"f": field}, field=field)
    return timezone.make_aware(dt) if timezone.is_naive(dt) else dt


def _filter(qs, params):
    try:
        start = _date(params["start_date"], "start_date") if params.get("start_date") else None
        end = _date(params["end_date"], "end_date") if params.get("end_date") else None
    except ValueError:  # a date parse_datetime recognises but that does not exist (2026-02-30)
        raise BadRequest(_("日期无效"), field="start_date") from None
    window = timedelta(days=DEFAULT_DAYS)
    if start is None and end is None:
        end = timezone.now()
    start = start or end - window
    end = end or start + window
    if end < start:
        raise BadRequest(_("end_date 早于 start_date"), field="end_date")
    if end - start > window:
        raise BadRequest(_("查询时段不能超过 %(n)d 天") % {"n": DEFAULT_DAYS}, field="end_date")
    qs = qs.filter(created_at__gte=start, created_at__lte=end)
    codes = _csv(params.get("service_code"))
    if codes:
        qs = qs.filter(category__code__in=codes)
    statuses = _csv(params.get("status"))
    if statuses:
        if not set(statuses) <= {"open", "closed"}:
            raise BadRequest(_("status 只能是 open 或 closed"), field="status")
        if set(statuses) == {"open"}:
            qs = qs.filter(status__in=Report.OPEN)
        elif set(statuses) == {"closed"}:
            qs = qs.exclude(status__in=Report.OPEN)
    return qs


def _post(request, fmt):
    client = ApiClient.find(request.POST.get("api_key"))
    if client is None:
        raise PermissionDenied(_("api_key 缺失或无效"))
    if not request.POST.get("service_code", "").strip():
        raise BadRequest(_("缺少 service_code"), field="service_code")
    attrs = submission.attributes(request.POST)
    place = submission.place(request.POST, attrs)
    media = submission.media_url(request.POST)
    # The device a client names shares the limit with nobody else's; without one, the client's
    # own address does (a client relaying many residents should send device_id).
    device = f"open311:{client.pk}:{request.POST.get('device_id', '')[:100]}"
    report = submit(request, device=device, category_code=request.POST["service_code"].strip(),
                    description=request.POST.get("description", ""), phone=request.POST.get("phone"),
                    photos=[f.read() for f in request.FILES.getlist("media")], **place)
    with transaction.atomic():
        row = ApiRequest.objects.create(report=report, client=client, media_url=media)
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
    notice = ""
    limit = report.category.deadline("on_site", report.level)
    if limit is not None:
        notice = _("网格员将在 %(m)d 分钟内到场") % {"m": int(limit.total_seconds() // 60)}
    return formats.respond(fmt, "service_requests", [{
        "service_request_id": report.pk, "token": row.token, "service_notice": notice,
        "account_id": request.POST.get("account_id", "")[:100] or None,
    }])


@csrf_exempt
def unknown(request):
    """Anything else under /open311/ answers in the API's error format, not an HTML page."""
    return formats.error("xml" if request.path.endswith(".xml") else "json", 404, _("未找到该接口"))
